"""Pagination of the portal's lists that stays cheap when a list is long.

An exact `COUNT(*)` reads every matching row: on the published catalogue (tens of thousands of
resources) it costs more than the rest of the page. A list longer than `exact_up_to` rows therefore
shows PostgreSQL's planner estimate ("of about 78,000") and learns whether a next page exists by
asking for one row more than a page. Shorter lists, and every list on other databases, keep their
exact count: people notice when a short list is off by one, nobody when a long one is.
"""

from __future__ import annotations

import json
import math

from django.core.exceptions import EmptyResultSet
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property


def planner_estimate(queryset) -> int | None:
    """The number of rows PostgreSQL's planner expects `queryset` to return; None elsewhere."""
    if not isinstance(queryset, QuerySet):
        return None
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    try:
        sql, params = queryset.order_by().query.sql_with_params()
    except EmptyResultSet:  # .none(), or a filter Django knows matches nothing
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def _two_figures(number: int) -> int:
    """An estimate as people say it: 77,793 rows are "about 78,000"."""
    return round(number, 2 - len(str(number)))


class LongListPage(Page):
    # Known only when the list's length is estimated: whether the database had a row after this page.
    more: bool | None = None

    def has_next(self) -> bool:
        return super().has_next() if self.more is None else self.more

    def end_index(self) -> int:
        if self.more is None:
            return super().end_index()
        return (self.number - 1) * self.paginator.per_page + len(self.object_list)


class LongListPaginator(Paginator):
    """Exact counts up to `exact_up_to` rows, the planner's estimate beyond (see the module)."""

    exact_up_to = 10_000

    @cached_property
    def _length(self) -> tuple[int, bool]:
        """(count, whether it is an estimate)."""
        estimate = planner_estimate(self.object_list)
        # The estimate only decides whether to look: the list must really hold more rows than the
        # limit, or a misjudged estimate would show a short list as a long one.
        if estimate is not None and estimate > self.exact_up_to and self._longer_than(self.exact_up_to):
            return max(_two_figures(estimate), self.exact_up_to + 1), True
        return self._exact_count(), False

    def _exact_count(self) -> int:
        return self.object_list.count() if isinstance(self.object_list, QuerySet) else len(self.object_list)

    @property
    def count(self) -> int:
        return self._length[0]

    @property
    def is_estimate(self) -> bool:
        return self._length[1]

    def _longer_than(self, rows: int) -> bool:
        # Without an order the database may stop at the first rows it finds.
        return bool(self.object_list.order_by().values_list("pk")[rows : rows + 1])

    def validate_number(self, number) -> int:
        if not self.is_estimate:
            return super().validate_number(number)
        # Past the estimated last page may still be rows: only the database can say.
        try:
            number = int(number)
        except (TypeError, ValueError) as exc:
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from exc
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        # Estimates are off by some percent, not by half: far beyond is past the end (and a
        # number too large for the database's OFFSET is never sent to it).
        if number > 2 * self.num_pages:
            raise EmptyPage(self.error_messages["no_results"])
        return number

    def page(self, number) -> LongListPage:
        if not self.is_estimate:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        # The keys first, then the rows of this page only: the rows skipped on the way to a deep
        # page are read from the index, without the annotations and joins of the full rows.
        keys = list(self.object_list.values_list("pk", flat=True)[bottom : bottom + self.per_page + 1])
        if not keys and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        shown = keys[: self.per_page]
        by_key = {row.pk: row for row in self.object_list.filter(pk__in=shown)}
        page = self._get_page([by_key[key] for key in shown if key in by_key], number, self)
        page.more = len(keys) > self.per_page
        seen = bottom + len(keys)  # rows known to exist, the next page's first one included
        if seen > self.count:
            # The estimate was low: never say "about N" on a page that shows row N + 1.
            self.__dict__["_length"] = (seen, True)
            self.__dict__.pop("num_pages", None)
        return page

    def get_page(self, number) -> LongListPage:
        try:
            return super().get_page(number)
        except EmptyPage:
            # A page number past the end of an estimated list: its real last page.
            return self.page(max(1, math.ceil(self._exact_count() / self.per_page)))

    def _get_page(self, *args, **kwargs) -> LongListPage:
        return LongListPage(*args, **kwargs)


def paginate(request, queryset, per_page: int, parameter: str = "page") -> LongListPage:
    """The page of `queryset` the request asks for (`?page=`); a wrong number gives the first or last page."""
    return LongListPaginator(queryset, per_page).get_page(request.GET.get(parameter))
