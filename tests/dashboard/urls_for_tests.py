"""The project's URLs plus the dashboard (and its admin pages), until govdata/urls.py mounts them."""

from django.contrib import admin
from django.urls import include, path

import govdata.dashboard_admin  # noqa: F401  (registers before the admin URLs below are built)
from govdata.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("admin/", admin.site.urls),
    path("dashboard/", include("govdata.dashboard_urls")),
    *project_urlpatterns,
]
