from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from catalog.dcat import public_catalogue
from sharing.api import AgreementViewSet, UsageRecordViewSet

router = DefaultRouter()
router.register("agreements", AgreementViewSet, basename="agreement")
router.register("usage", UsageRecordViewSet, basename="usage")

urlpatterns = [
    path("", include(router.urls)),
    path("dcat/", public_catalogue, name="dcat"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
