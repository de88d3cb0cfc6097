"""The reads that the portal (and later admin, API and exports) share.

Every function takes the user and returns rows already filtered by `govdata.permissions`, with the
joins and annotations its page needs, so a page costs the same number of queries for 5 rows as
for 50. Department pages additionally pin the rows to the user's own department: a liaison's
grants follow their department, and the pin keeps a stale grant from leaking another department's
work onto "my department" pages.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from govdata.permissions import has_model_permission, has_role, restrict
from govdata.queries import count_of
from govdata.roles import Role

from .choices import ClaimStatus, OpenType, ResourceStatus
from .models import DataElement, DataItem, DataResource, Department, Duty, InformationSystem, SourceAssignment
from .search import text_search

OPEN_CLAIM_STATUSES = (ClaimStatus.CLAIMED, ClaimStatus.CONFIRMED)


def portal_department_id(user) -> int | None:
    """The department whose pages `user` works on, or None if the portal has no department pages for them."""
    if getattr(user, "is_authenticated", False) and user.department_id and has_role(user, Role.LIAISON):
        return user.department_id
    return None


def _own(queryset: QuerySet, user, action: str) -> QuerySet:
    department_id = portal_department_id(user)
    if department_id is None:
        return queryset.none()
    return restrict(queryset, user, action).filter(department_id=department_id)


# --- Resources of the user's department ---------------------------------------------------


def department_resources(user, action: str = "view") -> QuerySet[DataResource]:
    return _own(DataResource.objects.all(), user, action)


def _item_count():
    return count_of(DataItem.objects.all(), "resource")


def department_resource_list(user, *, status: str = "", query: str = "") -> QuerySet[DataResource]:
    qs = department_resources(user).select_related("source_system").annotate(item_count=_item_count())
    if status == "returned":
        qs = qs.filter(status=ResourceStatus.DRAFT).exclude(return_reason="")
    elif status in ResourceStatus.values:
        qs = qs.filter(status=status)
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(catalogue_code__icontains=query))
    return qs.order_by("-updated_at", "catalogue_code")


def department_resource(user, pk, action: str = "view") -> DataResource:
    """One resource of the user's department, or 404 (also for other departments' resources)."""
    qs = department_resources(user, action).select_related("department", "source_system")
    return get_object_or_404(qs, pk=pk)


def resource_items(resource: DataResource) -> QuerySet[DataItem]:
    return resource.items.select_related("element").order_by("id")


def resource_duties(resource: DataResource) -> QuerySet[Duty]:
    return resource.duties.order_by("code")


# --- The published catalogue --------------------------------------------------------------


def catalogue(user) -> QuerySet[DataResource]:
    """Published resources of every department: what any catalogue reader may see."""
    # Publication is the grant here, so the per-object subqueries of restrict() would only cost time.
    if not has_model_permission(user, DataResource, "view"):
        return DataResource.objects.none()
    return DataResource.objects.filter(status=ResourceStatus.PUBLISHED)


def public_catalogue(*, after: str = "") -> QuerySet[DataResource]:
    """What the public may see, signed in or not: published resources the bureau opens to the
    public (unconditionally or on conditions), in catalogue-code order after `after`."""
    resources = DataResource.objects.filter(status=ResourceStatus.PUBLISHED).exclude(open_type=OpenType.NOT_OPEN)
    if after:
        resources = resources.filter(catalogue_code__gt=after)
    return resources.select_related("department").order_by("catalogue_code")


def catalogue_search(
    user,
    *,
    query: str = "",
    department=None,
    subject: str = "",
    share_type: str = "",
    security_grade: str = "",
) -> QuerySet[DataResource]:
    # The departments come in a second query: joined, a misjudged search estimate can make the
    # planner loop over every department for each matching row.
    qs = catalogue(user).prefetch_related("department").annotate(item_count=_item_count())
    if query:
        qs = text_search(qs, query, ["name", "catalogue_code", "summary"])
    if department:
        qs = qs.filter(department=department)
    if subject:
        qs = qs.filter(subject=subject)
    if share_type:
        qs = qs.filter(share_type=share_type)
    if security_grade:
        qs = qs.filter(security_grade=security_grade)
    return qs.order_by("catalogue_code")


def catalogue_resource(user, pk) -> DataResource:
    return get_object_or_404(catalogue(user).select_related("department", "source_system"), pk=pk)


def catalogue_departments() -> QuerySet[Department]:
    return Department.objects.filter(active=True).order_by("code")


def confirmed_sources(element_ids: Iterable[int]) -> dict[int, SourceAssignment]:
    """The confirmed source of each element, in one query: element id -> assignment."""
    ids = {pk for pk in element_ids if pk}
    if not ids:
        return {}
    rows = SourceAssignment.objects.filter(element_id__in=ids, status=ClaimStatus.CONFIRMED).select_related(
        "department", "resource"
    )
    return {a.element_id: a for a in rows}


def items_with_sources(items: Iterable[DataItem], department_id: int | None = None) -> list[DataItem]:
    """Attach `confirmed_source` to each item, and `collected_elsewhere` when another department is the source."""
    items = list(items)
    sources = confirmed_sources(i.element_id for i in items)
    for item in items:
        item.confirmed_source = sources.get(item.element_id)
        item.collected_elsewhere = bool(
            department_id and item.confirmed_source and item.confirmed_source.department_id != department_id
        )
    return items


# --- Duties and systems -------------------------------------------------------------------


def department_duties(user, action: str = "view") -> QuerySet[Duty]:
    return _own(Duty.objects.all(), user, action)


def _duty_flags(qs: QuerySet[Duty]) -> QuerySet[Duty]:
    return qs.annotate(
        has_system=Exists(Duty.systems.through.objects.filter(duty_id=OuterRef("pk"))),
        has_data=Exists(DataResource.duties.through.objects.filter(duty_id=OuterRef("pk"))),
    )


def department_duty_list(user, *, query: str = "", gap: str = "") -> QuerySet[Duty]:
    qs = _duty_flags(department_duties(user)).annotate(
        system_count=count_of(Duty.systems.through.objects.all(), "duty"),
        resource_count=count_of(DataResource.duties.through.objects.all(), "duty"),
    )
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(code__icontains=query))
    if gap == "no_system":
        qs = qs.filter(has_system=False)
    elif gap == "no_data":
        qs = qs.filter(has_data=False)
    return qs.order_by("code")


def department_duty(user, pk, action: str = "view") -> Duty:
    return get_object_or_404(department_duties(user, action), pk=pk)


def department_systems(user, action: str = "view") -> QuerySet[InformationSystem]:
    return _own(InformationSystem.objects.all(), user, action)


def department_system_list(user, *, query: str = "") -> QuerySet[InformationSystem]:
    qs = department_systems(user).annotate(
        duty_count=count_of(Duty.systems.through.objects.all(), "informationsystem"),
        resource_count=count_of(DataResource.objects.all(), "source_system"),
    )
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(code__icontains=query))
    return qs.order_by("code")


def department_system(user, pk, action: str = "view") -> InformationSystem:
    return get_object_or_404(department_systems(user, action), pk=pk)


# --- One data, one source -----------------------------------------------------------------


def elements(user) -> QuerySet[DataElement]:
    # Standard data elements are a public vocabulary: the model permission is the whole question.
    if not has_model_permission(user, DataElement, "view"):
        return DataElement.objects.none()
    return DataElement.objects.all()


def element_list(user, *, query: str = "", state: str = "") -> QuerySet[DataElement]:
    """Elements with their confirmed source, open-claim count and whether the user's department claims them."""
    department_id = portal_department_id(user)
    confirmed = SourceAssignment.objects.filter(status=ClaimStatus.CONFIRMED).select_related("department")
    qs = (
        elements(user)
        .annotate(
            open_claims=count_of(SourceAssignment.objects.filter(status__in=OPEN_CLAIM_STATUSES), "element"),
            pending_claims=count_of(SourceAssignment.objects.filter(status=ClaimStatus.CLAIMED), "element"),
            claimed_by_me=Exists(
                SourceAssignment.objects.filter(
                    element_id=OuterRef("pk"), department_id=department_id, status__in=OPEN_CLAIM_STATUSES
                )
            ),
            has_source=Exists(SourceAssignment.objects.filter(element_id=OuterRef("pk"), status=ClaimStatus.CONFIRMED)),
        )
        .prefetch_related(Prefetch("assignments", queryset=confirmed, to_attr="confirmed_assignments"))
    )
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(code__icontains=query))
    if state == "no_source":
        qs = qs.filter(has_source=False)
    elif state == "contested":
        qs = qs.filter(open_claims__gt=1)
    elif state == "mine":
        qs = qs.filter(claimed_by_me=True)
    return qs.order_by("code")


def element(user, pk) -> DataElement:
    return get_object_or_404(elements(user), pk=pk)


def department_claims(user, action: str = "view") -> QuerySet[SourceAssignment]:
    return _own(SourceAssignment.objects.all(), user, action)


def department_claim_list(user, *, state: str = "open") -> QuerySet[SourceAssignment]:
    """The department's claims, each with the other departments' open claims on the same element."""
    department_id = portal_department_id(user)
    competing = (
        SourceAssignment.objects.filter(status__in=OPEN_CLAIM_STATUSES)
        .exclude(department_id=department_id)
        .select_related("department")
        .order_by("claimed_at")
    )
    qs = (
        department_claims(user)
        .select_related("element", "resource", "decided_by")
        .prefetch_related(Prefetch("element__assignments", queryset=competing, to_attr="competing_claims"))
    )
    if state == "open":
        qs = qs.filter(status__in=OPEN_CLAIM_STATUSES)
    elif state in ClaimStatus.values:
        qs = qs.filter(status=state)
    return qs.order_by("element__code", "-claimed_at")


def department_claim(user, pk, action: str = "view") -> SourceAssignment:
    return get_object_or_404(department_claims(user, action).select_related("element"), pk=pk)


def duplicate_collection(user) -> QuerySet[DataItem]:
    """Items of the department's resources whose element has another department as confirmed source."""
    department_id = portal_department_id(user)
    elsewhere = SourceAssignment.objects.filter(
        element_id=OuterRef("element_id"), status=ClaimStatus.CONFIRMED
    ).exclude(department_id=department_id)
    return (
        DataItem.objects.filter(resource__in=department_resources(user).values("pk"))
        .filter(Exists(elsewhere))
        .select_related("resource", "element")
        .order_by("resource__catalogue_code", "id")
    )


# --- Dashboard ----------------------------------------------------------------------------


def resource_counts(user) -> dict[str, int]:
    counts = department_resources(user).aggregate(
        total=Count("pk"),
        returned=Count("pk", filter=Q(status=ResourceStatus.DRAFT) & ~Q(return_reason="")),
        **{status: Count("pk", filter=Q(status=status)) for status in ResourceStatus.values},
    )
    return counts


def duty_counts(user) -> dict[str, int]:
    return _duty_flags(department_duties(user)).aggregate(
        total=Count("pk"),
        no_system=Count("pk", filter=Q(has_system=False)),
        no_data=Count("pk", filter=Q(has_data=False)),
    )


def claim_counts(user) -> dict[str, int]:
    return department_claims(user).aggregate(
        claimed=Count("pk", filter=Q(status=ClaimStatus.CLAIMED)),
        confirmed=Count("pk", filter=Q(status=ClaimStatus.CONFIRMED)),
    )


def share_requests_to_decide(user) -> QuerySet:
    """Share requests addressed to the user's department that wait for its decision as provider."""
    # Read through the sharing app's own selector; imported here because sharing builds on catalog.
    from sharing.choices import AgreementStatus
    from sharing.selectors import agreements_visible_to

    department_id = portal_department_id(user)
    if department_id is None:
        return agreements_visible_to(user).none()
    return (
        agreements_visible_to(user)
        .prefetch_related(None)
        .filter(provider_id=department_id, status=AgreementStatus.SUBMITTED)
        .order_by("decision_due", "pk")
    )


def inbox(user, *, limit: int = 10) -> dict:
    """What the department owes: share requests to decide, resources returned by the bureau, drafts to finish."""
    drafts = department_resources(user).filter(status=ResourceStatus.DRAFT).order_by("-updated_at")
    requests = share_requests_to_decide(user)
    return {
        "requests": list(requests[:limit]),
        "requests_total": requests.count(),
        "returned": list(drafts.exclude(return_reason="")[:limit]),
        "drafts": list(drafts.filter(return_reason="")[:limit]),
    }


def element_open_claims(element: DataElement) -> QuerySet[SourceAssignment]:
    """Who claims or is confirmed as the source of one element (shown before a department claims it)."""
    return (
        element.assignments.filter(status__in=OPEN_CLAIM_STATUSES)
        .select_related("department")
        .order_by("-status", "claimed_at")
    )
