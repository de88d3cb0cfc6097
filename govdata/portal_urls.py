"""The portal at /portal/: one namespace ("portal") for the pages of every app."""

from django.urls import include, path

app_name = "portal"

urlpatterns = [
    path("", include("catalog.urls")),
    path("", include("sharing.urls")),
    path("", include("operations.urls")),
]
