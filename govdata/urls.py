from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

admin.site.site_header = _("govdata · data governance")
admin.site.site_title = _("govdata")
admin.site.index_title = _("Bureau administration")

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="portal:dashboard", permanent=False)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("portal/", include("govdata.portal_urls")),
    path("audit/", include("govdata.audit_urls")),
    path("dashboard/", include("govdata.dashboard_urls")),
    path("api/", include(("govdata.api_urls", "api"))),
]
