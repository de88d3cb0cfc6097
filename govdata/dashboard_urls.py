"""The governance dashboard, mounted at /dashboard/ under the namespace "dashboard"."""

from django.urls import path

from . import dashboard_views

app_name = "dashboard"

urlpatterns = [
    path("", dashboard_views.index, name="index"),
    path("recompute/", dashboard_views.recompute, name="recompute"),
]
