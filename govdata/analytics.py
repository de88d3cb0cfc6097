"""Governance figures (DESIGN §3 Analytics): where the bureau's programme stalls.

- coverage funnel: duties → with a system → with a data resource → with a shareable resource →
  with a resource under an active agreement;
- aggregation quadrant: each published resource by usage frequency and spillover over a window,
  the recommended mode (DESIGN §1.1) and where it disagrees with the actual mode;
- one-data-one-source conformance: elements without a source, contested elements, duplicate
  collection;
- sharing health: requests by status, median decision time, overdue decisions;
- a scorecard per department combining these.

Every figure is an aggregate query over a scope: the whole bureau (`department_id=None`) or one
department. A scope costs the same number of queries whatever the number of rows. Each figure also
has a `…_by_department` twin that reads every department's at once, grouped by department (window
functions number and count each department's listed rows): asked scope by scope, a province of
200 departments cost ~4,000 queries. Computing every scope reads the whole catalogue, so
`snapshot_take` stores the result as a GovernanceSnapshot; the dashboard shows the latest one and
the series of snapshots is the scorecard history.

The figures are plain JSON (ids, codes, names, counts, ISO dates): the snapshot must still read
correctly after the objects it mentions have changed or gone.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import islice

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import NotSupportedError, transaction
from django.db.models import (
    BooleanField,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    Window,
)
from django.db.models.functions import Concat, RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import services
from catalog.choices import AggregationMode, ClaimStatus, ResourceStatus, ShareType
from catalog.models import DataElement, DataItem, DataResource, Department, Duty, SourceAssignment
from sharing.choices import AgreementStatus, UsageOutcome
from sharing.models import ShareAgreement, UsageRecord

from .models import AggregationPolicy, GovernanceSnapshot, UsageWindow
from .permissions import has_role, is_bureau_wide
from .roles import Role

FIGURES_VERSION = 1
# How many names each list on the dashboard shows; the count beside it is always complete.
LIST_LIMIT = 10
# Snapshots drawn in the scorecard history (the scheduled command runs once a day).
HISTORY_LENGTH = 30

FUNNEL_STAGES = ("duties", "with_system", "with_resource", "with_shareable", "with_agreement")
OPEN_CLAIMS = (ClaimStatus.CLAIMED, ClaimStatus.CONFIRMED)
# The recommendation when usage and spillover disagree: either mode is defensible.
EITHER = ""

# The columns of a resource in the quadrant's lists (resource_usage() names its rows the same).
RESOURCE_ROW = ("pk", "catalogue_code", "name", "department_id", "aggregation_mode")
# The columns of a duplicate collection; the bureau's rows also name both departments.
DUPLICATE_ROW = (
    "pk",
    "code",
    "name",
    "resource_id",
    "resource__catalogue_code",
    "resource__name",
    "element_id",
    "element__code",
    "element__name",
)
# The columns of an overdue decision; the bureau's rows also name both departments.
OVERDUE_ROW = ("pk", "number", "submitted_at", "decision_due")


def department_key(department_id: int) -> str:
    # Not the bare id: JSON key paths treat digit-only keys as array indexes on PostgreSQL.
    return f"d{department_id}"


def window_key(window_days: int) -> str:
    return f"w{window_days}"


def _iso(value) -> str | None:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _lists_by_department(rows: QuerySet, *, department: str, order_by: Sequence[str]) -> dict[int, tuple[int, list]]:
    """Each department's number of rows and its first LIST_LIMIT rows in `order_by` order.

    `rows` is a values() queryset holding the department's id under the name `department` (a
    department absent from the result has no rows). One query whatever the number of departments:
    window functions number and count each department's rows, so only the listed rows are read.
    """
    ranked = (
        rows.annotate(
            list_position=Window(
                RowNumber(), partition_by=F(department), order_by=[F(name).asc() for name in order_by]
            ),
            list_total=Window(Count("*"), partition_by=F(department)),
        )
        .filter(list_position__lte=LIST_LIMIT)
        .order_by(department, "list_position")
    )
    lists: dict[int, tuple[int, list]] = {}
    for row in ranked:
        department_id, total = row.pop(department), row.pop("list_total")
        del row["list_position"]
        lists.setdefault(department_id, (total, []))[1].append(row)
    return lists


# --- Coverage funnel ----------------------------------------------------------------------


def _funnel_counts() -> dict[str, Count]:
    """The count of each stage of the funnel, over duties.

    A duty is "with a system" when it has at least one system; "with a data resource" when it is
    linked to a resource that is not retired; "with a shareable resource" when linked to a
    published resource whose share type is not "not shared"; "under an active agreement" when
    linked to a resource with an item in an active agreement.
    """
    links = DataResource.duties.through.objects.filter(duty_id=OuterRef("pk"))
    items_in_force = ShareAgreement.items.through.objects.filter(
        shareagreement__status=AgreementStatus.ACTIVE, dataitem__resource_id=OuterRef("dataresource_id")
    )
    stages = {
        "with_system": Exists(Duty.systems.through.objects.filter(duty_id=OuterRef("pk"))),
        "with_resource": Exists(links.exclude(dataresource__status=ResourceStatus.RETIRED)),
        "with_shareable": Exists(
            links.filter(dataresource__status=ResourceStatus.PUBLISHED).exclude(
                dataresource__share_type=ShareType.NOT_SHARED
            )
        ),
        "with_agreement": Exists(links.filter(Exists(items_in_force))),
    }
    return {"duties": Count("pk"), **{name: Count("pk", filter=cond) for name, cond in stages.items()}}


def funnel(department_id: int | None = None) -> dict[str, int]:
    """How many duties reach each stage of the funnel (one query; stages: _funnel_counts)."""
    duties = Duty.objects.all()
    if department_id is not None:
        duties = duties.filter(department_id=department_id)
    return duties.aggregate(**_funnel_counts())


def funnel_by_department(department_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """funnel() of each department (one query)."""
    rows = Duty.objects.order_by().values("department_id").annotate(**_funnel_counts())
    funnels = {row.pop("department_id"): row for row in rows}
    return {pk: funnels.get(pk) or dict.fromkeys(FUNNEL_STAGES, 0) for pk in department_ids}


# --- Aggregation quadrant -----------------------------------------------------------------


class JSONArrayHasText(Func):
    """True when the JSON array in the first expression holds the text of the second.

    Usage records name the items they touched by code, in a JSON list; this keeps the match in
    SQL (PostgreSQL's jsonb `?`, SQLite's json_each) instead of reading every record.
    """

    arity = 2
    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError(f"JSONArrayHasText is not implemented for {connection.vendor}.")

    def as_postgresql(self, compiler, connection, **extra_context):
        (array_sql, array_params), (text_sql, text_params) = (compiler.compile(e) for e in self.source_expressions)
        return f"({array_sql} ? ({text_sql})::text)", (*array_params, *text_params)

    def as_sqlite(self, compiler, connection, **extra_context):
        (array_sql, array_params), (text_sql, text_params) = (compiler.compile(e) for e in self.source_expressions)
        sql = f"EXISTS (SELECT 1 FROM json_each({array_sql}) AS touched WHERE touched.value = {text_sql})"
        return sql, (*array_params, *text_params)


def _published(department_id: int | None) -> QuerySet[DataResource]:
    resources = DataResource.objects.filter(status=ResourceStatus.PUBLISHED)
    if department_id is not None:
        resources = resources.filter(department_id=department_id)
    return resources


def _touching_uses(since: datetime, **item_conditions) -> QuerySet[UsageRecord]:
    """Accepted uses since `since`, one row per (use, agreement item it touched).

    A use touches an item when the item is in its agreement and its qualified code ("catalogue
    code/item code", as sharing.services.usage_record stores it) is among those the use names.
    `item_conditions` (`agreement__items__…`) must be passed here: only conditions inside one
    filter() call are guaranteed to refer to the same item.
    """
    return UsageRecord.objects.filter(
        JSONArrayHasText(
            F("item_codes"),
            Concat(F("agreement__items__resource__catalogue_code"), Value("/"), F("agreement__items__code")),
        ),
        outcome=UsageOutcome.ACCEPTED,
        used_at__gte=since,
        **item_conditions,
    )


def recommendation(uses: int, spillover: int, policy: AggregationPolicy) -> str:
    """DESIGN §1.1: high frequency and high spillover → physical; low and low → logical."""
    high_use = uses >= policy.frequency_threshold
    high_spill = spillover >= policy.spillover_threshold
    if high_use and high_spill:
        return AggregationMode.PHYSICAL.value
    if not high_use and not high_spill:
        return AggregationMode.LOGICAL.value
    return EITHER


def resource_usage(
    *, window_days: int, policy: AggregationPolicy, department_id: int | None = None, now: datetime | None = None
) -> list[dict]:
    """The published resources used within the window (one grouped query), most used first.

    Each row: pk, catalogue_code, name, department_id, aggregation_mode, uses (accepted uses that
    touched one of its items), spillover (distinct requesting departments among those uses) and
    recommended. Resources that nobody used are not listed: they all sit at (0, 0).
    """
    since = (now or timezone.now()) - timedelta(days=window_days)
    resource = "agreement__items__resource"
    conditions = {f"{resource}__status": ResourceStatus.PUBLISHED}
    if department_id is not None:
        conditions[f"{resource}__department_id"] = department_id
    hits = _touching_uses(since, **conditions)
    rows = (
        hits.values(
            # Named like DataResource's own fields, so that rows read the same everywhere.
            resource_id=F(f"{resource}_id"),
            catalogue_code=F(f"{resource}__catalogue_code"),
            name=F(f"{resource}__name"),
            department_id=F(f"{resource}__department_id"),
            aggregation_mode=F(f"{resource}__aggregation_mode"),
        )
        .annotate(uses=Count("pk", distinct=True), spillover=Count("agreement__requester_id", distinct=True))
        .order_by("-uses", "-spillover", "catalogue_code")
    )
    used = []
    for row in rows:
        row["pk"] = row.pop("resource_id")
        row["recommended"] = recommendation(row["uses"], row["spillover"], policy)
        used.append(row)
    return used


def _idle(resource: dict) -> dict:
    """A published resource nobody used in the window: it sits at (0, 0), which the policy
    (thresholds of at least 1) calls logical."""
    return {**resource, "uses": 0, "spillover": 0, "recommended": AggregationMode.LOGICAL.value}


def quadrant(
    *,
    window_days: int,
    policy: AggregationPolicy,
    department_id: int | None = None,
    now: datetime | None = None,
    usage: list[dict] | None = None,
) -> dict:
    """The quadrant of one window (three queries, two with `usage`): points grouped by position and
    actual mode, recommendation counts, the mismatches and the most used resources.

    `usage`: resource_usage() of the whole bureau over this window, when the caller has read it
    already (it is the costliest query); the scope's own rows are taken from it.
    """
    now = now or timezone.now()
    if usage is None:
        used = resource_usage(window_days=window_days, policy=policy, department_id=department_id, now=now)
    else:
        used = [row for row in usage if department_id in (None, row["department_id"])]
    published = _published(department_id)
    by_mode = dict(published.order_by().values_list("aggregation_mode").annotate(n=Count("pk")))
    # Unused physical resources are mismatches too. Name the first few.
    since = now - timedelta(days=window_days)
    used_recently = _touching_uses(since, agreement__items__resource_id=OuterRef("pk"))
    idle_mismatches = [
        _idle(row)
        for row in published.filter(~Exists(used_recently), aggregation_mode=AggregationMode.PHYSICAL)
        .order_by("catalogue_code")
        .values(*RESOURCE_ROW)[:LIST_LIMIT]
    ]
    return _quadrant_figures(
        window_days=window_days, policy=policy, used=used, by_mode=by_mode, idle_mismatches=idle_mismatches
    )


def quadrants_by_department(
    department_ids: Sequence[int], *, policy: AggregationPolicy, usage: dict[int, list[dict]]
) -> dict[int, dict[str, dict]]:
    """quadrant() of every window for each department (two queries), keyed like scope_figures.

    `usage`: resource_usage() of the whole bureau, by window length.
    """
    by_mode: dict[int, dict[str, int]] = {pk: {} for pk in department_ids}
    counts = _published(None).order_by().values_list("department_id", "aggregation_mode").annotate(n=Count("pk"))
    for department_id, mode, count in counts:
        by_mode.setdefault(department_id, {})[mode] = count
    # Every published physical resource is read once (a tenth of the catalogue at province size):
    # which of them were used depends on the window, and the usage is already at hand.
    physical: dict[int, list[dict]] = {pk: [] for pk in department_ids}
    for row in (
        _published(None)
        .filter(aggregation_mode=AggregationMode.PHYSICAL)
        .order_by("catalogue_code")
        .values(*RESOURCE_ROW)
    ):
        physical.setdefault(row["department_id"], []).append(row)

    quadrants: dict[int, dict[str, dict]] = {pk: {} for pk in department_ids}
    for window_days, rows in usage.items():
        used: dict[int, list[dict]] = {pk: [] for pk in department_ids}
        for row in rows:
            used.setdefault(row["department_id"], []).append(row)
        used_pks = {row["pk"] for row in rows}
        for pk in department_ids:
            unused_physical = (row for row in physical[pk] if row["pk"] not in used_pks)
            quadrants[pk][window_key(window_days)] = _quadrant_figures(
                window_days=window_days,
                policy=policy,
                used=used[pk],
                by_mode=by_mode[pk],
                idle_mismatches=[_idle(row) for row in islice(unused_physical, LIST_LIMIT)],
            )
    return quadrants


def _quadrant_figures(
    *, window_days: int, policy: AggregationPolicy, used: list[dict], by_mode: dict[str, int], idle_mismatches: list
) -> dict:
    """The quadrant of a scope from its resource_usage() rows, its published resources by actual
    mode and the first LIST_LIMIT unused physical resources (in catalogue code order)."""
    groups: dict[tuple, int] = {}
    unused_by_mode = dict(by_mode)
    for row in used:
        key = (row["uses"], row["spillover"], row["aggregation_mode"])
        groups[key] = groups.get(key, 0) + 1
        unused_by_mode[row["aggregation_mode"]] = unused_by_mode.get(row["aggregation_mode"], 0) - 1
    for mode, count in unused_by_mode.items():
        if count > 0:
            groups[(0, 0, mode)] = count
    points = [
        {"uses": uses, "spillover": spill, "mode": mode, "count": count}
        for (uses, spill, mode), count in sorted(groups.items())
    ]

    recommended = {AggregationMode.PHYSICAL.value: 0, AggregationMode.LOGICAL.value: 0, "either": 0}
    mismatch_count = 0
    for point in points:
        advice = recommendation(point["uses"], point["spillover"], policy)
        recommended[advice or "either"] += point["count"]
        if advice and advice != point["mode"]:
            mismatch_count += point["count"]

    mismatches = [r for r in used if r["recommended"] and r["recommended"] != r["aggregation_mode"]]
    return {
        "window_days": window_days,
        "resources": sum(by_mode.values()),
        "points": points,
        "recommended": recommended,
        "mismatch_count": mismatch_count,
        "mismatches": (mismatches + idle_mismatches)[:LIST_LIMIT],
        "top": used[:LIST_LIMIT],
    }


def recommendations(*, policy: AggregationPolicy, window_days: int | None = None) -> dict[int, str]:
    """The recommended mode of every published resource: resource id → "physical" / "logical" / ""."""
    used = resource_usage(window_days=window_days or policy.window_days, policy=policy)
    advice = dict.fromkeys(_published(None).values_list("pk", flat=True), recommendation(0, 0, policy))
    advice.update({row["pk"]: row["recommended"] for row in used})
    return advice


# --- One data, one source -----------------------------------------------------------------


def _live_items() -> QuerySet[DataItem]:
    return DataItem.objects.exclude(resource__status=ResourceStatus.RETIRED)


def _confirmed_source(element) -> QuerySet[SourceAssignment]:
    """The confirmed source of `element` (an OuterRef to an element's id)."""
    return SourceAssignment.objects.filter(element_id=element, status=ClaimStatus.CONFIRMED)


def _source_elsewhere() -> QuerySet[SourceAssignment]:
    """For an item: the confirmed source of its element, when it is not the item's department."""
    return _confirmed_source(OuterRef("element_id")).exclude(department_id=OuterRef("resource__department_id"))


def _contested() -> QuerySet[DataElement]:
    # One open claim per element and department (a constraint), so two claims are two departments.
    return DataElement.objects.annotate(
        claims=Count("assignments", filter=Q(assignments__status__in=OPEN_CLAIMS))
    ).filter(claims__gt=1)


def conformance(department_id: int | None = None) -> dict:
    """Elements without a confirmed source, contested elements, and duplicate collection.

    For a department: the elements its (not retired) items carry that have no confirmed source,
    the elements it claims that another department claims too, and its items that carry an
    element whose confirmed source is another department.
    """
    live_items = _live_items()
    contested = _contested()
    carried = DataElement.objects.all()
    if department_id is not None:
        live_items = live_items.filter(resource__department_id=department_id)
        carried = carried.filter(Exists(live_items.filter(element_id=OuterRef("pk"))))
        open_claims = SourceAssignment.objects.filter(element_id=OuterRef("pk"), status__in=OPEN_CLAIMS)
        contested = contested.filter(Exists(open_claims.filter(department_id=department_id)))
    no_source = carried.filter(~Exists(_confirmed_source(OuterRef("pk"))))

    duplicates = live_items.filter(Exists(_source_elsewhere()))
    duplicate_row = list(DUPLICATE_ROW)
    if department_id is None:
        # Which department collects it and which is the source matters bureau-wide; a department
        # sees only its own side.
        source = Subquery(_source_elsewhere().values("department_id")[:1])
        duplicates = duplicates.annotate(source_department_id=source)
        duplicate_row += ["resource__department_id", "source_department_id"]
    return {
        "no_source_count": no_source.count(),
        "no_source": list(no_source.order_by("code").values("pk", "code", "name")[:LIST_LIMIT]),
        "contested_count": contested.count(),
        "contested": list(contested.order_by("code").values("pk", "code", "name", "claims")[:LIST_LIMIT]),
        "duplicate_count": duplicates.count(),
        "duplicates": list(duplicates.order_by("resource__catalogue_code", "code").values(*duplicate_row)[:LIST_LIMIT]),
    }


def conformance_by_department(department_ids: Sequence[int]) -> dict[int, dict]:
    """conformance() of each department (three queries)."""
    live_items = _live_items()
    # One row per department and element its live items carry (grouped: an element is counted
    # once however many of the department's items carry it).
    carried_without_source = (
        live_items.filter(element__isnull=False)
        .filter(~Exists(_confirmed_source(OuterRef("element_id"))))
        .values(
            department_id=F("resource__department_id"),
            element_pk=F("element_id"),
            element_code=F("element__code"),
            element_name=F("element__name"),
        )
        .annotate(items=Count("pk"))
    )
    no_source = _lists_by_department(carried_without_source, department="department_id", order_by=["element_code"])
    # Every open claim on a contested element: counted by element, they are its claims.
    contested_claims = SourceAssignment.objects.filter(
        status__in=OPEN_CLAIMS, element_id__in=_contested().values("pk")
    ).values(
        "department_id",
        "element_id",
        element_code=F("element__code"),
        element_name=F("element__name"),
        claims=Window(Count("*"), partition_by=F("element_id")),
    )
    contested = _lists_by_department(contested_claims, department="department_id", order_by=["element_code"])
    duplicates = _lists_by_department(
        live_items.filter(Exists(_source_elsewhere())).values(
            *DUPLICATE_ROW, collector_id=F("resource__department_id")
        ),
        department="collector_id",
        order_by=["resource__catalogue_code", "code"],
    )

    figures = {}
    for pk in department_ids:
        no_source_count, no_source_rows = no_source.get(pk, (0, []))
        contested_count, contested_rows = contested.get(pk, (0, []))
        duplicate_count, duplicate_rows = duplicates.get(pk, (0, []))
        figures[pk] = {
            "no_source_count": no_source_count,
            "no_source": [
                {"pk": row["element_pk"], "code": row["element_code"], "name": row["element_name"]}
                for row in no_source_rows
            ],
            "contested_count": contested_count,
            "contested": [
                {
                    "pk": row["element_id"],
                    "code": row["element_code"],
                    "name": row["element_name"],
                    "claims": row["claims"],
                }
                for row in contested_rows
            ],
            "duplicate_count": duplicate_count,
            "duplicates": duplicate_rows,
        }
    return figures


# --- Sharing health -----------------------------------------------------------------------


def _decided(agreements: QuerySet[ShareAgreement]) -> QuerySet[ShareAgreement]:
    return agreements.filter(submitted_at__isnull=False, decided_at__isnull=False)


def _overdue(agreements: QuerySet[ShareAgreement], today: date) -> QuerySet[ShareAgreement]:
    return agreements.filter(status=AgreementStatus.SUBMITTED, decision_due__lt=today)


def _decision_counts(today: date) -> dict[str, Count]:
    return {
        "decided": Count("pk", filter=Q(submitted_at__isnull=False, decided_at__isnull=False)),
        "pending": Count("pk", filter=Q(status=AgreementStatus.SUBMITTED)),
        "overdue": Count("pk", filter=Q(status=AgreementStatus.SUBMITTED, decision_due__lt=today)),
    }


def _duration() -> ExpressionWrapper:
    return ExpressionWrapper(F("decided_at") - F("submitted_at"), output_field=DurationField())


def sharing_health(department_id: int | None = None, *, today: date | None = None) -> dict:
    """Requests by status, median decision time and overdue decisions.

    Requests are agreements submitted at least once; a department's are those it requested or
    provides. Decision time (decided_at − submitted_at) and overdue decisions (still awaiting the
    provider after `decision_due`) belong to the providing department.
    """
    today = today or timezone.localdate()
    requests = ShareAgreement.objects.filter(submitted_at__isnull=False)
    provided = ShareAgreement.objects.all()
    if department_id is not None:
        requests = requests.filter(Q(requester_id=department_id) | Q(provider_id=department_id))
        provided = provided.filter(provider_id=department_id)
    by_status = dict(requests.order_by().values_list("status").annotate(n=Count("pk")))
    totals = provided.aggregate(**_decision_counts(today))
    overdue_row = list(OVERDUE_ROW)
    if department_id is None:
        overdue_row += ["requester_id", "provider_id"]
    overdue = _overdue(provided, today).order_by("decision_due", "number").values(*overdue_row)[:LIST_LIMIT]
    return _sharing_figures(
        by_status=by_status,
        totals=totals,
        median=_median_seconds(_decided(provided), totals["decided"]),
        overdue=overdue,
    )


def sharing_health_by_department(department_ids: Sequence[int], *, today: date) -> dict[int, dict]:
    """sharing_health() of each department (four queries)."""
    by_status: dict[int, dict[str, int]] = {pk: {} for pk in department_ids}
    requests = (
        ShareAgreement.objects.filter(submitted_at__isnull=False)
        .order_by()
        .values_list("requester_id", "provider_id", "status")
        .annotate(n=Count("pk"))
    )
    for requester_id, provider_id, status, count in requests:
        # A request counts for both sides, which are never one department (a constraint).
        for side in (requester_id, provider_id):
            counts = by_status.setdefault(side, {})
            counts[status] = counts.get(status, 0) + count
    agreements = ShareAgreement.objects.order_by()
    totals = {
        row.pop("provider_id"): row for row in agreements.values("provider_id").annotate(**_decision_counts(today))
    }
    medians = _median_seconds_by_provider(_decided(agreements))
    overdue = _lists_by_department(
        _overdue(agreements, today).values(*OVERDUE_ROW, "provider_id"),
        department="provider_id",
        order_by=["decision_due", "number"],
    )
    return {
        pk: _sharing_figures(
            by_status=by_status[pk],
            totals=totals.get(pk) or dict.fromkeys(_decision_counts(today), 0),
            median=medians.get(pk),
            overdue=overdue.get(pk, (0, []))[1],
        )
        for pk in department_ids
    }


def _sharing_figures(*, by_status: dict[str, int], totals: dict[str, int], median: float | None, overdue) -> dict:
    return {
        "by_status": {status: by_status.get(status, 0) for status in AgreementStatus.values},
        "requests": sum(by_status.values()),
        "decided": totals["decided"],
        "median_decision_seconds": median,
        "pending": totals["pending"],
        "overdue_count": totals["overdue"],
        "overdue": [{key: _iso(value) for key, value in row.items()} for row in overdue],
    }


def _median_seconds(decided: QuerySet[ShareAgreement], count: int) -> float | None:
    """The median of decided_at − submitted_at, read as the one or two middle rows (one query)."""
    if not count:
        return None
    durations = decided.annotate(duration=_duration()).order_by("duration").values_list("duration", flat=True)
    middle = list(durations[(count - 1) // 2 : count // 2 + 1])
    return _mean_seconds(middle)


def _median_seconds_by_provider(decided: QuerySet[ShareAgreement]) -> dict[int, float]:
    """_median_seconds() of every providing department (one query: window functions number each
    provider's decisions by duration and count them, and only the middle one or two are read)."""
    provider = F("provider_id")
    # Positions counted from 1: the middle of n rows is (n + 1) // 2 to n // 2 + 1.
    middles = (
        decided.annotate(duration=_duration())
        .annotate(
            position=Window(RowNumber(), partition_by=provider, order_by=F("duration").asc()),
            decisions=Window(Count("*"), partition_by=provider),
        )
        .filter(position__gte=(F("decisions") + 1) / 2, position__lte=F("decisions") / 2 + 1)
        .values_list("provider_id", "duration")
    )
    durations: dict[int, list[timedelta]] = {}
    for provider_id, duration in middles:
        durations.setdefault(provider_id, []).append(duration)
    return {provider_id: _mean_seconds(middle) for provider_id, middle in durations.items()}


def _mean_seconds(durations: list[timedelta]) -> float:
    return sum(d.total_seconds() for d in durations) / len(durations)


# --- Scopes, scorecards and snapshots -----------------------------------------------------


def scope_figures(
    department_id: int | None,
    *,
    policy: AggregationPolicy,
    now: datetime | None = None,
    usage: dict[int, list[dict]] | None = None,
) -> dict:
    """Every figure of one scope (the bureau, or one department).

    `usage`: resource_usage() of the whole bureau by window length, when the caller has it.
    """
    now = now or timezone.now()
    usage = usage or {}
    return {
        "funnel": funnel(department_id),
        "quadrant": {
            window_key(days): quadrant(
                window_days=days, policy=policy, department_id=department_id, now=now, usage=usage.get(days)
            )
            for days in UsageWindow.values
        },
        "conformance": conformance(department_id),
        "sharing": sharing_health(department_id, today=timezone.localdate(now)),
    }


def department_figures(
    department_ids: Sequence[int], *, policy: AggregationPolicy, now: datetime, usage: dict[int, list[dict]]
) -> dict[int, dict]:
    """scope_figures() of each department, grouped by department: the number of queries does not
    depend on the number of departments. `usage`: resource_usage() of the whole bureau by window."""
    funnels = funnel_by_department(department_ids)
    quadrants = quadrants_by_department(department_ids, policy=policy, usage=usage)
    conformances = conformance_by_department(department_ids)
    sharing = sharing_health_by_department(department_ids, today=timezone.localdate(now))
    return {
        pk: {"funnel": funnels[pk], "quadrant": quadrants[pk], "conformance": conformances[pk], "sharing": sharing[pk]}
        for pk in department_ids
    }


def scorecard(figures: dict, policy: AggregationPolicy) -> dict:
    """The headline figures of a scope, small enough to keep for every snapshot (the history)."""
    default_window = figures["quadrant"][window_key(policy.window_days)]
    return {
        **figures["funnel"],
        "resources": default_window["resources"],
        "mismatches": default_window["mismatch_count"],
        "no_source": figures["conformance"]["no_source_count"],
        "contested": figures["conformance"]["contested_count"],
        "duplicates": figures["conformance"]["duplicate_count"],
        "requests": figures["sharing"]["requests"],
        "pending": figures["sharing"]["pending"],
        "overdue": figures["sharing"]["overdue_count"],
        "median_decision_seconds": figures["sharing"]["median_decision_seconds"],
    }


def compute_figures(*, now: datetime | None = None) -> dict:
    """The figures of the bureau and of every active department, with their scorecards.

    The usage of every resource in each window (the costliest reads) is read once, for the bureau
    and the departments alike; the departments' figures are read grouped (department_figures).
    """
    now = now or timezone.now()
    policy = AggregationPolicy.current()
    usage = {days: resource_usage(window_days=days, policy=policy, now=now) for days in UsageWindow.values}
    bureau = scope_figures(None, policy=policy, now=now, usage=usage)
    department_ids = list(Department.objects.filter(active=True).order_by("code").values_list("pk", flat=True))
    departments = {
        department_key(pk): figures
        for pk, figures in department_figures(department_ids, policy=policy, now=now, usage=usage).items()
    }
    return {
        "version": FIGURES_VERSION,
        "policy": {
            "frequency_threshold": policy.frequency_threshold,
            "spillover_threshold": policy.spillover_threshold,
            "window_days": int(policy.window_days),
        },
        "bureau": bureau,
        "departments": departments,
        "scorecards": {
            "bureau": scorecard(bureau, policy),
            **{key: scorecard(figures, policy) for key, figures in departments.items()},
        },
    }


def may_take_snapshot(user) -> bool:
    return bool(user is None or user.is_superuser or has_role(user, Role.OFFICER))


def snapshot_take(*, actor=None) -> GovernanceSnapshot:
    """Compute every figure now and store it. `actor` is the officer who asked, None for the schedule."""
    if not may_take_snapshot(actor):
        raise PermissionDenied(_("Only the bureau recomputes the governance figures."))
    started = time.monotonic()
    now = timezone.now()
    figures = compute_figures(now=now)
    return GovernanceSnapshot.objects.create(
        taken_at=now, taken_by=actor, figures=figures, duration_ms=int((time.monotonic() - started) * 1000)
    )


# --- Reading snapshots ----------------------------------------------------------------------


@dataclass
class DashboardFigures:
    """What the dashboard shows for one scope, and how fresh it is."""

    taken_at: datetime
    duration_ms: int
    policy: dict
    # funnel / quadrant / conformance / sharing of the bureau, or of the one department.
    scope: dict
    # "bureau" and every department for the bureau; only the department's own for a department.
    scorecards: dict
    # True when the figures were computed for this request rather than read from a snapshot.
    live: bool = False


def _snapshot_paths(department_id: int | None) -> dict[str, str]:
    # Only the parts the page shows are read: the whole snapshot holds every department's details.
    if department_id is None:
        return {"scope": "figures__bureau", "scorecards": "figures__scorecards", "policy": "figures__policy"}
    key = department_key(department_id)
    return {
        "scope": f"figures__departments__{key}",
        "scorecard": f"figures__scorecards__{key}",
        "policy": "figures__policy",
    }


def _latest(department_id: int | None) -> dict | None:
    paths = _snapshot_paths(department_id)
    row = GovernanceSnapshot.objects.order_by("-taken_at").values("taken_at", "duration_ms", *paths.values()).first()
    if row is None:
        return None
    return {"taken_at": row["taken_at"], "duration_ms": row["duration_ms"], **{k: row[v] for k, v in paths.items()}}


def dashboard_figures(*, department_id: int | None, actor) -> DashboardFigures:
    """The latest snapshot's figures for a scope; the first visitor of a fresh installation has a
    snapshot computed and stored, and a department newer than the snapshot is computed live."""
    row = _latest(department_id)
    if row is None:
        # Whoever may see the dashboard may cause the first computation; it is recorded without
        # them when they are not the bureau.
        snapshot_take(actor=actor if may_take_snapshot(actor) else None)
        row = _latest(department_id)
    if department_id is None:
        return DashboardFigures(row["taken_at"], row["duration_ms"], row["policy"], row["scope"], row["scorecards"])
    key = department_key(department_id)
    if row["scope"] is None:
        policy = AggregationPolicy.current()
        now = timezone.now()
        scope = scope_figures(department_id, policy=policy, now=now)
        return DashboardFigures(now, 0, row["policy"], scope, {key: scorecard(scope, policy)}, live=True)
    return DashboardFigures(row["taken_at"], row["duration_ms"], row["policy"], row["scope"], {key: row["scorecard"]})


def scorecard_history(department_id: int | None = None, *, limit: int = HISTORY_LENGTH) -> list[tuple[datetime, dict]]:
    """(taken_at, scorecards) of the latest snapshots, oldest first: every department's for the
    bureau, {key: card} for one department (an empty dict where it did not exist yet)."""
    if department_id is None:
        path = "figures__scorecards"
    else:
        path = f"figures__scorecards__{department_key(department_id)}"
    rows = list(GovernanceSnapshot.objects.order_by("-taken_at").values_list("taken_at", path)[:limit])
    if department_id is not None:
        key = department_key(department_id)
        rows = [(taken_at, {key: card} if card else {}) for taken_at, card in rows]
    return [(taken_at, cards or {}) for taken_at, cards in reversed(rows)]


# --- The policy ---------------------------------------------------------------------------


def policy_save(*, policy: AggregationPolicy, actor, reason: str = "") -> AggregationPolicy:
    """Change the bureau's aggregation thresholds (officers only), with history."""
    if not (actor.is_superuser or has_role(actor, Role.OFFICER)):
        raise PermissionDenied(_("Only the bureau sets the aggregation policy."))
    with transaction.atomic():
        policy.pk = AggregationPolicy.SINGLETON_PK
        policy.full_clean()
        policy._history_user = actor
        policy._change_reason = reason or None
        policy.save()
    return policy


def recommendations_store(*, actor, window_days: int | None = None, reason: str = "") -> tuple[int, int]:
    """Recompute every published resource's recommended mode and store the changed ones.

    Returns (resources considered, resources changed).
    """
    if window_days is not None and window_days not in UsageWindow.values:
        raise ValidationError(_("Choose a window of 30, 90 or 365 days."))
    if not is_bureau_wide(actor, DataResource, "change"):
        raise PermissionDenied(_("Only the bureau stores aggregation recommendations."))
    policy = AggregationPolicy.current()
    advice = recommendations(policy=policy, window_days=window_days)
    days = window_days or policy.window_days
    reason = reason or _(
        "Recommended aggregation mode recomputed over the last %(days)d days "
        "(thresholds: %(uses)d uses, %(departments)d departments)."
    ) % {"days": days, "uses": policy.frequency_threshold, "departments": policy.spillover_threshold}
    changed = services.resources_set_recommended_mode(recommendations=advice, actor=actor, reason=reason)
    return len(advice), changed
