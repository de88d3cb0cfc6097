"""Reads of agreements and usage that every channel shares, filtered by permission."""

from django.db.models import Prefetch, QuerySet

from catalog.models import DataItem
from govdata.permissions import restrict

from .models import ShareAgreement, UsageRecord


def agreements_visible_to(user) -> QuerySet[ShareAgreement]:
    """Agreements of the user's department as requester or provider; all of them for the bureau."""
    return restrict(
        ShareAgreement.objects.select_related("requester", "provider").prefetch_related(
            Prefetch("items", queryset=DataItem.objects.select_related("resource").order_by("resource_id", "pk"))
        ),
        user,
        "view",
    )


def usage_visible_to(user) -> QuerySet[UsageRecord]:
    """Usage of the agreements the user may see (both sides see every use)."""
    visible = restrict(ShareAgreement.objects.all(), user, "view")
    return UsageRecord.objects.filter(agreement__in=visible.values("pk")).select_related("agreement", "user")
