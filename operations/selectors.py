"""The reads of the operations pages, shared by the portal and anything else that lists these objects.

Every function takes the user and returns rows filtered by `govdata.permissions.restrict`, pinned
to the user's own operator or audit firm, with the joins its page needs: a page costs the same
number of queries for 5 rows as for 50. The pin matters: officers are bureau-wide in `restrict`,
but the portal's "our licences" pages are about the organisation the user works for, and a stale
grant must not bring another operator's objects onto them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, DecimalField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from catalog.models import DataItem, DataResource, Department
from govdata.permissions import has_role, restrict
from govdata.roles import Role

from . import services
from .choices import Distribution, FindingStatus, LicenseStatus, ProductStatus
from .models import (
    AnnualDisclosure,
    Audit,
    AuditFirm,
    DataProduct,
    DesensitizationRule,
    Finding,
    OperatingLicense,
    Operator,
    Trade,
)

_MONEY = DecimalField(max_digits=16, decimal_places=2)


# --- Whose pages ----------------------------------------------------------------------------


def staff_operator_ids(user) -> list[int]:
    """The operators whose staff `user` is (usually one), cached on the user for the request."""
    cached = getattr(user, "_operations_operator_ids", None)
    if cached is None:
        cached = []
        if getattr(user, "is_authenticated", False) and has_role(user, Role.OPERATOR_USER):
            qs = restrict(Operator.objects.filter(staff_group__user=user), user, "view")
            cached = list(qs.order_by("name", "pk").values_list("pk", flat=True))
        user._operations_operator_ids = cached
    return cached


def staff_firm_ids(user) -> list[int]:
    """The audit firms whose staff `user` is, cached on the user for the request."""
    cached = getattr(user, "_operations_firm_ids", None)
    if cached is None:
        cached = []
        if getattr(user, "is_authenticated", False) and has_role(user, Role.AUDIT_FIRM_USER):
            qs = restrict(AuditFirm.objects.filter(staff_group__user=user), user, "view")
            cached = list(qs.order_by("name", "pk").values_list("pk", flat=True))
        user._operations_firm_ids = cached
    return cached


def staff_operators(user) -> QuerySet[Operator]:
    return Operator.objects.filter(pk__in=staff_operator_ids(user)).order_by("name", "pk")


def staff_firms(user) -> QuerySet[AuditFirm]:
    return AuditFirm.objects.filter(pk__in=staff_firm_ids(user)).order_by("name", "pk")


# --- Licences -------------------------------------------------------------------------------


def licenses(user, action: str = "view") -> QuerySet[OperatingLicense]:
    return restrict(OperatingLicense.objects.filter(operator_id__in=staff_operator_ids(user)), user, action)


def _resources_with_department():
    return Prefetch(
        "resources", queryset=DataResource.objects.select_related("department").order_by("catalogue_code", "pk")
    )


def license_list(user) -> QuerySet[OperatingLicense]:
    return (
        licenses(user)
        .select_related("operator")
        .prefetch_related(_resources_with_department())
        .annotate(product_count=Count("products", distinct=True))
        .order_by("-term_start", "number")
    )


def license_detail(user, pk) -> OperatingLicense:
    return get_object_or_404(
        licenses(user).select_related("operator").prefetch_related(_resources_with_department()), pk=pk
    )


def in_force(qs: QuerySet[OperatingLicense], today: date | None = None) -> QuerySet[OperatingLicense]:
    """Licences under which new products and trades may be made today (the services' own test)."""
    today = today or timezone.localdate()
    return qs.filter(status=LicenseStatus.ACTIVE, term_start__lte=today, term_end__gte=today)


def is_in_force(license: OperatingLicense, today: date | None = None) -> bool:
    today = today or timezone.localdate()
    return license.status == LicenseStatus.ACTIVE and license.term_start <= today <= license.term_end


def licensed_items(license: OperatingLicense) -> QuerySet[DataItem]:
    """The items a product under `license` may draw on: every item of its licensed resources."""
    return (
        DataItem.objects.filter(resource__in=license.resources.all())
        .select_related("resource__department")
        .order_by("resource__catalogue_code", "resource_id", "pk")
    )


# --- Products -------------------------------------------------------------------------------


def products(user, action: str = "view") -> QuerySet[DataProduct]:
    return restrict(DataProduct.objects.filter(license__operator_id__in=staff_operator_ids(user)), user, action)


def _revenue():
    per_product = Trade.objects.filter(product=OuterRef("pk")).order_by().values("product").annotate(total=Sum("price"))
    return Coalesce(Subquery(per_product.values("total")), Value(0), output_field=_MONEY)


def product_list(user, *, status: str = "") -> QuerySet[DataProduct]:
    qs = (
        products(user)
        .select_related("license__operator")
        .annotate(
            item_count=Count("items", distinct=True),
            trade_count=Count("trades", distinct=True),
            revenue=_revenue(),
        )
    )
    if status in ProductStatus.values:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-pk")


def product(user, pk, action: str = "view") -> DataProduct:
    return get_object_or_404(products(user, action).select_related("license__operator"), pk=pk)


def product_items(product: DataProduct) -> QuerySet[DataItem]:
    return product.items.select_related("resource__department").order_by("resource__catalogue_code", "pk")


def product_rules(product: DataProduct) -> QuerySet[DesensitizationRule]:
    return product.rules.select_related("item").order_by("item__resource_id", "item_id")


def product_trades(product: DataProduct) -> QuerySet[Trade]:
    return product.trades.select_related("recorded_by", "license").order_by("-traded_on", "-pk")


def product_counts(user) -> dict[str, int]:
    return products(user).aggregate(
        total=Count("pk"), **{status: Count("pk", filter=Q(status=status)) for status in ProductStatus.values}
    )


def tradable_products(user) -> QuerySet[DataProduct]:
    """Approved products offered for trade. A suspended licence still lists them: the service then
    refuses the trade and says why, which tells the operator more than a missing choice."""
    return (
        products(user)
        .filter(status=ProductStatus.APPROVED, distribution=Distribution.TRADED)
        .select_related("license")
        .order_by("name", "pk")
    )


# --- Trades ---------------------------------------------------------------------------------


def trades(user) -> QuerySet[Trade]:
    return restrict(Trade.objects.filter(license__operator_id__in=staff_operator_ids(user)), user, "view")


def trade_list(user, *, product_id: int | None = None, year: int | None = None) -> QuerySet[Trade]:
    qs = trades(user).select_related("product", "license", "recorded_by")
    if product_id:
        qs = qs.filter(product_id=product_id)
    if year:
        qs = qs.filter(traded_on__year=year)
    return qs.order_by("-traded_on", "-pk")


def trade_totals(qs: QuerySet[Trade]) -> dict:
    totals = qs.order_by().aggregate(count=Count("pk"), revenue=Sum("price"))
    totals["revenue"] = totals["revenue"] or 0
    return totals


def trade(user, pk) -> Trade:
    return get_object_or_404(trades(user).select_related("product", "license__operator", "recorded_by"), pk=pk)


# --- Annual disclosure ----------------------------------------------------------------------


def disclosures(user) -> QuerySet[AnnualDisclosure]:
    return restrict(AnnualDisclosure.objects.filter(operator_id__in=staff_operator_ids(user)), user, "view")


def disclosure(user, pk) -> AnnualDisclosure:
    return get_object_or_404(disclosures(user).select_related("operator", "filed_by"), pk=pk)


@dataclass
class DisclosureYear:
    """One operator's report for one year: filed, due (deadline ahead) or overdue."""

    operator: Operator
    year: int
    due: date
    filed: AnnualDisclosure | None = None
    overdue: bool = False

    @property
    def missing(self) -> bool:
        return self.filed is None


def disclosure_schedule(user, *, today: date | None = None) -> list[DisclosureYear]:
    """Every past year in which one of the user's operators held a licence, newest first.

    The same definition of "held a licence that year" as services.operators_missing_disclosure
    (services.years_in_force), so the operator sees what the bureau flags.
    """
    today = today or timezone.localdate()
    operators = {o.pk: o for o in staff_operators(user)}
    years: dict[tuple[int, int], DisclosureYear] = {}
    licenses = services.with_force_period(OperatingLicense.objects.filter(operator_id__in=operators))
    for license in licenses.only("operator_id", "term_start", "term_end"):
        for year in services.years_in_force(license):
            if year >= today.year:
                break
            due = services.disclosure_due_date(year)
            years[license.operator_id, year] = DisclosureYear(
                operators[license.operator_id], year, due, overdue=today > due
            )
    for filed in disclosures(user).select_related("filed_by"):
        entry = years.setdefault(
            (filed.operator_id, filed.year),
            DisclosureYear(operators[filed.operator_id], filed.year, services.disclosure_due_date(filed.year)),
        )
        entry.filed, entry.overdue = filed, False
    return sorted(years.values(), key=lambda e: (-e.year, e.operator.name, e.operator.pk))


# --- Findings about the operator ------------------------------------------------------------


def operator_findings(user, action: str = "view") -> QuerySet[Finding]:
    return restrict(Finding.objects.filter(audit__operator_id__in=staff_operator_ids(user)), user, action)


def operator_finding_list(user, *, state: str = "") -> QuerySet[Finding]:
    qs = operator_findings(user).select_related("audit__firm", "audit__license", "audit__operator")
    if state in FindingStatus.values:
        qs = qs.filter(status=state)
    elif state == "pending":
        qs = qs.exclude(status=FindingStatus.CLOSED)
    return qs.order_by("status", "due_date", "pk")


def operator_finding(user, pk, action: str = "view") -> Finding:
    return get_object_or_404(
        operator_findings(user, action).select_related("audit__firm", "audit__license", "audit__operator"), pk=pk
    )


# --- Audits of the user's firm --------------------------------------------------------------


def firm_audits(user, action: str = "view") -> QuerySet[Audit]:
    return restrict(Audit.objects.filter(firm_id__in=staff_firm_ids(user)), user, action)


def firm_audit_list(user, *, status: str = "") -> QuerySet[Audit]:
    qs = (
        firm_audits(user)
        .select_related("firm", "operator", "license")
        .annotate(
            finding_count=Count("findings"),
            open_count=Count("findings", filter=Q(findings__status=FindingStatus.OPEN)),
            answered_count=Count("findings", filter=Q(findings__status=FindingStatus.ANSWERED)),
        )
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-assigned_at", "-pk")


def firm_audit(user, pk, action: str = "view") -> Audit:
    return get_object_or_404(firm_audits(user, action).select_related("firm", "operator", "license"), pk=pk)


def audit_findings(audit: Audit) -> QuerySet[Finding]:
    return audit.findings.order_by("status", "due_date", "pk")


def firm_finding(user, pk, action: str = "view") -> Finding:
    qs = restrict(Finding.objects.filter(audit__firm_id__in=staff_firm_ids(user)), user, action)
    return get_object_or_404(qs.select_related("audit"), pk=pk)


# --- The three rights (数据二十条) ----------------------------------------------------------


@dataclass
class Holder:
    """A party named under one of the rights, with what gives it the right (agreements, licences, products)."""

    party: Department | Operator
    basis: list = field(default_factory=list)


@dataclass
class ThreeRights:
    holding: list[Holder]
    processing_departments: list[Holder]
    processing_operators: list[Holder]
    operation: list[Holder]


def _group(objects, party_of) -> list[Holder]:
    grouped: dict[int, Holder] = {}
    for obj in objects:
        party = party_of(obj)
        grouped.setdefault(party.pk, Holder(party)).basis.append(obj)
    return sorted(grouped.values(), key=lambda h: (h.party.name, h.party.pk))


def _processing(resource_ids, item_ids, today: date) -> tuple[list[Holder], list[Holder]]:
    # The share agreements are read from the model rather than sharing.selectors: whether a
    # department may use data is a public fact of the resource, not a question of who is asking.
    from sharing.choices import AgreementStatus
    from sharing.models import ShareAgreement

    agreement_items = ShareAgreement.items.through.objects.filter(dataitem_id__in=item_ids)
    agreements = (
        ShareAgreement.objects.filter(
            pk__in=agreement_items.values("shareagreement_id"),
            status=AgreementStatus.ACTIVE,
            valid_from__lte=today,
            valid_to__gte=today,
        )
        .select_related("requester")
        .order_by("number")
    )
    license_resources = OperatingLicense.resources.through.objects.filter(dataresource_id__in=resource_ids)
    licensed = in_force(
        OperatingLicense.objects.filter(pk__in=license_resources.values("operatinglicense_id")), today
    ).select_related("operator")
    return _group(agreements, lambda a: a.requester), _group(licensed.order_by("number"), lambda lic: lic.operator)


def resource_rights(resource: DataResource, *, today: date | None = None) -> ThreeRights:
    """Who holds a resource, who may process and use it, who operates products made from it. Three queries."""
    today = today or timezone.localdate()
    item_ids = DataItem.objects.filter(resource=resource).values("pk")
    departments, operators = _processing([resource.pk], item_ids, today)
    product_items = DataProduct.items.through.objects.filter(dataitem__resource=resource)
    released = (
        DataProduct.objects.filter(pk__in=product_items.values("dataproduct_id"), status=ProductStatus.APPROVED)
        .select_related("license__operator")
        .order_by("name", "pk")
    )
    return ThreeRights(
        holding=[Holder(resource.department)],
        processing_departments=departments,
        processing_operators=operators,
        operation=_group(released, lambda p: p.license.operator),
    )


def product_rights(product: DataProduct, *, today: date | None = None) -> ThreeRights:
    """The same three rights for a product: its data stays held by the departments it comes from. Three queries."""
    today = today or timezone.localdate()
    item_ids = DataProduct.items.through.objects.filter(dataproduct_id=product.pk).values("dataitem_id")
    resources = list(
        DataResource.objects.filter(pk__in=DataItem.objects.filter(pk__in=item_ids).values("resource_id"))
        .select_related("department")
        .order_by("catalogue_code", "pk")
    )
    departments, operators = _processing([r.pk for r in resources], item_ids, today)
    return ThreeRights(
        holding=_group(resources, lambda r: r.department),
        processing_departments=departments,
        processing_operators=operators,
        operation=[Holder(product.license.operator, [product.license])],
    )


# --- The operator's home --------------------------------------------------------------------


def operator_home(user, *, today: date | None = None, limit: int = 8) -> dict:
    today = today or timezone.localdate()
    all_trades = trades(user)
    findings_open = operator_finding_list(user, state=FindingStatus.OPEN)
    schedule = disclosure_schedule(user, today=today)
    return {
        "operators": list(staff_operators(user)),
        "licenses": list(license_list(user)),
        "product_counts": product_counts(user),
        "recent_products": list(product_list(user)[:limit]),
        "trades_all": trade_totals(all_trades),
        "trades_year": trade_totals(all_trades.filter(traded_on__year=today.year)),
        "findings": list(findings_open[:limit]),
        "findings_total": findings_open.count(),
        "disclosures_missing": [entry for entry in schedule if entry.missing],
        "today": today,
    }
