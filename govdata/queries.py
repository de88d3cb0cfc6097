"""Query building blocks the apps share."""

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


def count_of(queryset, field: str, *, distinct: str = ""):
    """A correlated COUNT subquery of `queryset` rows whose `field` points at the outer row.

    Unlike `Count()` over a join, which groups every row the filters leave before the page is cut,
    the subquery runs for the rows of the page only, each served by the foreign key's index, so a
    list costs the same whether the table holds a thousand rows or a million. `distinct` counts
    distinct values of that path instead of rows.
    """
    counted = (
        queryset.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count(distinct or "*", distinct=bool(distinct)))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))
