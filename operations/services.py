"""Every write of licensed data operation, for every channel (admin, portal, commands).

The rules that matter most: a licence grants operation, never ownership (no step here touches a
resource's department); core-grade resources cannot be licensed; a licence that is not active
stops new products and trades at once; every personal-information item of a product has a
desensitization rule; every step is attributed, reasoned and ledgered.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, F, Max, Model, OuterRef, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.utils import get_group_obj_perms_model

from catalog.choices import PersonalInfo, ResourceStatus, SecurityGrade
from catalog.models import DataItem, DataResource
from govdata.permissions import has_object_grant, has_role
from govdata.roles import Role
from sharing import ledger

from . import desensitize
from .choices import (
    LICENSE_TRANSITIONS,
    PRODUCT_TRANSITIONS,
    AuditStatus,
    Distribution,
    FindingStatus,
    LicenseStatus,
    OperatorStatus,
    ProductStatus,
)
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

# What an operator's staff group, and an audit firm's, hold on the objects that concern them.
OPERATOR_ACTIONS = {
    Operator: ("view",),
    OperatingLicense: ("view",),
    DataProduct: ("view", "change"),
    Trade: ("view",),
    AnnualDisclosure: ("view",),
    Audit: ("view",),
    Finding: ("view", "answer"),
}
# A firm sees itself and the operators it was assigned to audit.
FIRM_ACTIONS = {AuditFirm: ("view",), Operator: ("view",), Audit: ("view", "change"), Finding: ("view", "change")}


def _save(obj: Model, *, actor, reason: str = "") -> None:
    obj._history_user = actor
    obj._change_reason = reason or None
    obj.save()


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


def _reason(reason: str, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationError(_("Please state a reason for this step."))
    return reason


def _is_bureau(actor) -> bool:
    return bool(actor) and (has_role(actor, Role.OFFICER) or actor.is_superuser)


# --- Organisations and their staff ----------------------------------------------------------


def _staff_group(org: Operator | AuditFirm) -> Group:
    if org.staff_group_id:
        return org.staff_group
    prefix = "operator" if isinstance(org, Operator) else "auditfirm"
    group, _created = Group.objects.get_or_create(name=f"{prefix}:{org.pk}")
    org.staff_group = group
    type(org).objects.filter(pk=org.pk).update(staff_group=group)  # bookkeeping, not a business change
    return group


def organisation_save(*, organisation: Operator | AuditFirm, actor, reason: str = "") -> Operator | AuditFirm:
    """Register or edit an operator or an audit firm (the bureau's job)."""
    _require(_is_bureau(actor), _("Only the bureau registers operators and audit firms."))
    with transaction.atomic():
        organisation.full_clean()
        _save(organisation, actor=actor, reason=reason)
        if isinstance(organisation, Operator):
            _grant_operator(organisation, organisation)
        else:
            _grant_firm(organisation, organisation)
    return organisation


def staff_add(*, organisation: Operator | AuditFirm, user, actor) -> None:
    """Make `user` staff of an operator or audit firm, with the matching role."""
    _require(_is_bureau(actor), _("Only the bureau assigns staff."))
    role = Role.OPERATOR_USER if isinstance(organisation, Operator) else Role.AUDIT_FIRM_USER
    with transaction.atomic():
        user.groups.add(_staff_group(organisation), Group.objects.get(name=role.value))


def _grant(obj: Model, group: Group, actions: Sequence[str]) -> None:
    model = type(obj)
    group_perm_model = get_group_obj_perms_model(model)
    codenames = [f"{a}_{model._meta.model_name}" for a in actions]
    permissions = Permission.objects.filter(content_type__app_label="operations", codename__in=codenames)
    existing = set(
        group_perm_model.objects.filter(content_object=obj, group=group).values_list("permission_id", flat=True)
    )
    group_perm_model.objects.bulk_create(
        group_perm_model(content_object=obj, group=group, permission=p) for p in permissions if p.pk not in existing
    )


def _grant_operator(obj: Model, operator: Operator) -> None:
    _grant(obj, _staff_group(operator), OPERATOR_ACTIONS[type(obj)])


def _grant_firm(obj: Model, firm: AuditFirm) -> None:
    _grant(obj, _staff_group(firm), FIRM_ACTIONS[type(obj)])


def _is_staff_of(actor, organisation: Operator | AuditFirm) -> bool:
    return (
        bool(actor)
        and organisation.staff_group_id is not None
        and actor.groups.filter(pk=organisation.staff_group_id).exists()
    )


# --- Licences -------------------------------------------------------------------------------


def validate_licensed_resources(resources: Sequence[DataResource]) -> None:
    errors = []
    if not resources:
        errors.append(_("A licence covers at least one resource."))
    for resource in resources:
        if resource.security_grade == SecurityGrade.CORE:
            errors.append(_("“%(name)s” is core-grade data and cannot be licensed.") % {"name": resource.name})
        if resource.status != ResourceStatus.PUBLISHED:
            errors.append(_("“%(name)s” is not published in the catalogue.") % {"name": resource.name})
    if errors:
        raise ValidationError(errors)


def license_save(
    *, license: OperatingLicense, actor, resources: Sequence[DataResource] | None = None, reason: str = ""
) -> OperatingLicense:
    """Register or edit a licence application. Ownership of the resources is not touched."""
    _require(_is_bureau(actor), _("Only the bureau issues licences."))
    with transaction.atomic():
        creating = license.pk is None
        locked = None
        if not creating:
            locked = OperatingLicense.objects.select_for_update().get(pk=license.pk)
            if locked.status not in (LicenseStatus.APPLIED, LicenseStatus.APPROVED):
                raise ValidationError(_("A licence in force is changed by suspending or revoking it, not by editing."))
        if resources is not None:
            validate_licensed_resources(list(resources))
        license.full_clean()
        _save(license, actor=actor, reason=reason)
        if resources is not None:
            license.resources.set(resources)
        if creating or locked.operator_id != license.operator_id:
            # The grants follow the licence to its operator; the former operator's staff lose it.
            get_group_obj_perms_model(OperatingLicense).objects.filter(content_object=license).delete()
            _grant_operator(license, license.operator)
    return license


def _license_step(*, license: OperatingLicense, actor, step: str, reason: str = "", check=None) -> OperatingLicense:
    sources, target, reason_required = LICENSE_TRANSITIONS[step]
    reason = _reason(reason, reason_required)
    _require(actor is None if step == "expire" else _is_bureau(actor), _("Only the bureau decides on licences."))
    with transaction.atomic():
        locked = OperatingLicense.objects.select_for_update().select_related("operator").get(pk=license.pk)
        if locked.status not in sources:
            raise ValidationError(
                _("The licence is now “%(status)s”; this step is not possible.")
                % {"status": locked.get_status_display()}
            )
        if check:
            check(locked)
        previous = locked.status
        locked.status, locked.status_reason = target, reason
        _save(locked, actor=actor, reason=reason or step)
        ledger.append(
            action=f"license.{step}",
            obj=locked,
            actor=actor,
            reason=reason,
            data={"from": previous, "to": target, "operator": locked.operator.credit_code},
        )
    license.refresh_from_db()
    return license


def license_approve(*, license: OperatingLicense, actor, reason: str = "") -> OperatingLicense:
    def check(locked):
        validate_licensed_resources(list(locked.resources.all()))

    return _license_step(license=license, actor=actor, step="approve", reason=reason, check=check)


def license_activate(*, license: OperatingLicense, actor, reason: str = "") -> OperatingLicense:
    def check(locked):
        today = timezone.localdate()
        if not locked.term_start <= today <= locked.term_end:
            raise ValidationError(_("A licence can only come into force within its term."))
        validate_licensed_resources(list(locked.resources.all()))

    return _license_step(license=license, actor=actor, step="activate", reason=reason, check=check)


def license_suspend(*, license: OperatingLicense, actor, reason: str) -> OperatingLicense:
    return _license_step(license=license, actor=actor, step="suspend", reason=reason)


def license_resume(*, license: OperatingLicense, actor, reason: str) -> OperatingLicense:
    def check(locked):
        if locked.term_end < timezone.localdate():
            raise ValidationError(_("The term has ended; the licence can only expire."))

    return _license_step(license=license, actor=actor, step="resume", reason=reason, check=check)


def license_revoke(*, license: OperatingLicense, actor, reason: str) -> OperatingLicense:
    return _license_step(license=license, actor=actor, step="revoke", reason=reason)


def licenses_expire_due(*, today: date | None = None) -> int:
    today = today or timezone.localdate()
    due = OperatingLicense.objects.filter(
        status__in=[LicenseStatus.ACTIVE, LicenseStatus.SUSPENDED], term_end__lt=today
    ).values_list("pk", flat=True)
    count = 0
    for pk in due.iterator():
        try:
            _license_step(license=OperatingLicense(pk=pk), actor=None, step="expire", reason=_("The term ended."))
            count += 1
        except ValidationError:
            pass  # resumed or revoked in the meantime
    return count


def _require_license_in_force(license: OperatingLicense) -> None:
    if license.status != LicenseStatus.ACTIVE or not license.term_start <= timezone.localdate() <= license.term_end:
        raise ValidationError(
            _("Licence %(number)s is not in force (%(status)s): no new products or trades under it.")
            % {"number": license.number, "status": license.get_status_display()}
        )
    # A suspended or deregistered operator stops operating at once, whatever its licences say.
    if license.operator.status != OperatorStatus.ACTIVE:
        raise ValidationError(
            _("%(operator)s is %(status)s: no new products or trades.")
            % {"operator": license.operator.name, "status": license.operator.get_status_display()}
        )


# --- Products -------------------------------------------------------------------------------


def needs_rule(item: DataItem) -> bool:
    return item.personal_info != PersonalInfo.NONE


def validate_product(
    license: OperatingLicense, items: Sequence[DataItem], rules: Sequence[DesensitizationRule]
) -> None:
    """Items come from the licensed resources; every personal-information item has a working rule."""
    errors = []
    if not items:
        errors.append(_("Choose at least one data item."))
    licensed = set(license.resources.values_list("pk", flat=True))
    ruled = {r.item_id: r for r in rules}
    for item in items:
        if item.resource_id not in licensed:
            errors.append(_("“%(item)s” is not part of the licensed resources.") % {"item": item.name})
        if needs_rule(item) and item.pk not in ruled:
            errors.append(
                _("“%(item)s” carries personal information and needs a desensitization rule.") % {"item": item.name}
            )
    item_ids = {i.pk for i in items}
    for rule in rules:
        if rule.item_id not in item_ids:
            errors.append(_("A rule names an item that is not in the product."))
        try:
            desensitize.check_rule(rule.method, rule.params)
        except desensitize.RuleError as exc:
            errors.append(_("Rule for “%(item)s”: %(error)s") % {"item": rule.item.name, "error": exc})
    if errors:
        raise ValidationError(sorted(set(errors), key=errors.index))


def product_save(
    *, product: DataProduct, actor, items: Sequence[DataItem], rules: Sequence[DesensitizationRule], reason: str = ""
) -> DataProduct:
    """Create or edit a product draft of the actor's operator, with its items and rules."""
    with transaction.atomic():
        creating = product.pk is None
        locked = None if creating else DataProduct.objects.select_for_update().get(pk=product.pk)
        # An edit is judged by the product as stored: pointing it at one's own licence must not
        # let another operator's staff take it over.
        license_id = product.license_id if creating else locked.license_id
        license = OperatingLicense.objects.select_for_update().select_related("operator").get(pk=license_id)
        _require(_is_staff_of(actor, license.operator), _("Only the operator's staff build its products."))
        if not creating:
            if product.license_id != locked.license_id:
                raise ValidationError(_("A product stays under the licence it was built under."))
            if locked.status not in (ProductStatus.DRAFT, ProductStatus.REJECTED):
                raise ValidationError(_("Only drafts and rejected products can be edited."))
        _require_license_in_force(license)
        items = list(DataItem.objects.select_related("resource").filter(pk__in=[i.pk for i in items]))
        validate_product(license, items, rules)
        if creating:
            product.pseudonym_key = secrets.token_hex(32)
        product.full_clean()
        _save(product, actor=actor, reason=reason)
        product.items.set(items)
        kept = []
        for rule in rules:
            rule.product = product
            existing = DesensitizationRule.objects.filter(product=product, item_id=rule.item_id).first()
            if existing:
                existing.method, existing.params = rule.method, rule.params
                rule = existing
            rule.full_clean()
            _save(rule, actor=actor, reason=reason)
            kept.append(rule.pk)
        for stale in DesensitizationRule.objects.filter(product=product).exclude(pk__in=kept):
            stale._history_user = actor
            stale.delete()
        if creating:
            _grant_operator(product, license.operator)
    return product


def product_preview(product_or_key, rules: Sequence[DesensitizationRule], samples: dict[int, str]) -> list[dict]:
    """Each rule applied to a sample value: what the product form shows before saving."""
    key = product_or_key.pseudonym_key.encode() if isinstance(product_or_key, DataProduct) else product_or_key
    rows = []
    for rule in rules:
        sample = samples.get(rule.item_id, "")
        try:
            result, error = desensitize.apply(rule.method, sample, rule.params, key=key), ""
        except desensitize.RuleError as exc:
            result, error = "", str(exc)
        rows.append({"rule": rule, "sample": sample, "result": result, "error": error})
    return rows


def _product_step(*, product: DataProduct, actor, step: str, reason: str = "") -> DataProduct:
    sources, target, party, reason_required = PRODUCT_TRANSITIONS[step]
    reason = _reason(reason, reason_required)
    with transaction.atomic():
        locked = DataProduct.objects.select_for_update().select_related("license__operator").get(pk=product.pk)
        operator = locked.license.operator
        allowed = {
            "operator": _is_staff_of(actor, operator),
            "bureau": bool(actor) and actor.has_perm("operations.review_dataproduct"),
        }
        allowed["operator_or_bureau"] = allowed["operator"] or allowed["bureau"]
        _require(allowed[party], _("You may not take this step on this product."))
        if locked.status not in sources:
            raise ValidationError(
                _("The product is now “%(status)s”; this step is not possible.")
                % {"status": locked.get_status_display()}
            )
        if step in ("submit", "approve"):
            _require_license_in_force(locked.license)
            validate_product(
                locked.license, list(locked.items.select_related("resource")), list(locked.rules.select_related("item"))
            )
        previous = locked.status
        locked.status, locked.status_reason = target, reason
        _save(locked, actor=actor, reason=reason or step)
        ledger.append(
            action=f"product.{step}",
            obj=locked,
            actor=actor,
            reason=reason,
            data={"from": previous, "to": target, "license": locked.license.number},
        )
    product.refresh_from_db()
    return product


def product_submit(*, product: DataProduct, actor, reason: str = "") -> DataProduct:
    return _product_step(product=product, actor=actor, step="submit", reason=reason)


def product_approve(*, product: DataProduct, actor, reason: str = "") -> DataProduct:
    return _product_step(product=product, actor=actor, step="approve", reason=reason)


def product_reject(*, product: DataProduct, actor, reason: str) -> DataProduct:
    return _product_step(product=product, actor=actor, step="reject", reason=reason)


def product_withdraw(*, product: DataProduct, actor, reason: str) -> DataProduct:
    return _product_step(product=product, actor=actor, step="withdraw", reason=reason)


# --- Trades ---------------------------------------------------------------------------------


def trade_record(
    *, product: DataProduct, actor, buyer: str, price: Decimal, traded_on: date, buyer_credit_code: str = ""
) -> Trade:
    """Record a sale of an approved, traded product under the licence in force."""
    with transaction.atomic():
        locked = DataProduct.objects.select_for_update().select_related("license__operator").get(pk=product.pk)
        license = locked.license
        _require(_is_staff_of(actor, license.operator), _("Only the operator's staff record its trades."))
        _require_license_in_force(license)
        if locked.status != ProductStatus.APPROVED or locked.distribution != Distribution.TRADED:
            raise ValidationError(_("Only approved products offered for trade can be sold."))
        if traded_on > timezone.localdate() or not license.term_start <= traded_on <= license.term_end:
            raise ValidationError(_("The trade date must lie within the licence term and not in the future."))
        if traded_on < timezone.localdate(locked.created_at):
            raise ValidationError(_("The trade date lies before the product was registered."))
        if license.price_cap is not None and price > license.price_cap:
            raise ValidationError(
                _("The price exceeds the licence's price cap of %(cap)s yuan.") % {"cap": license.price_cap}
            )
        trade = Trade(
            product=locked,
            license=license,
            buyer=buyer,
            buyer_credit_code=buyer_credit_code,
            price=price,
            traded_on=traded_on,
            recorded_by=actor,
        )
        trade.full_clean()
        _save(trade, actor=actor)
        _grant_operator(trade, license.operator)
        ledger.append(
            action="trade.record",
            obj=trade,
            actor=actor,
            data={
                "product": locked.pk,
                "license": license.number,
                "buyer": buyer,
                "price": str(price),
                "date": traded_on.isoformat(),
            },
        )
    return trade


# --- Annual disclosure ----------------------------------------------------------------------


def disclosure_due_date(year: int) -> date:
    """A year's report is due by the end of March of the following year."""
    return date(year + 1, 3, 31)


def _money(value: Decimal | None) -> str | None:
    # SQLite returns sums as floats turned Decimal ("800"), PostgreSQL as numeric ("800.00"): a
    # published figure must read the same on both.
    return None if value is None else f"{value:.2f}"


def disclosure_figures(operator: Operator, year: int) -> dict:
    licenses = list(
        operator.licenses.filter(term_start__year__lte=year, term_end__year__gte=year).values(
            "number", "status", "price_cap"
        )
    )
    trades = Trade.objects.filter(license__operator=operator, traded_on__year=year)
    per_product = list(
        trades.values("product_id", "product__name")
        .annotate(count=Count("pk"), revenue=Sum("price"), top_price=Max("price"))
        .order_by("product__name", "product_id")
    )
    return {
        "licenses": [{**lic, "price_cap": _money(lic["price_cap"])} for lic in licenses],
        "products": operator_products(operator).filter(created_at__year__lte=year).count(),
        "trades": [
            {**row, "revenue": _money(row["revenue"]), "top_price": _money(row["top_price"])} for row in per_product
        ],
        "trades_over_cap": trades.filter(price__gt=F("license__price_cap")).count(),
    }


def operator_products(operator: Operator):
    return DataProduct.objects.filter(license__operator=operator)


def disclosure_file(*, operator: Operator, year: int, actor, statement: str = "") -> AnnualDisclosure:
    _require(_is_staff_of(actor, operator), _("Only the operator's staff file its disclosure."))
    if year >= timezone.localdate().year:
        raise ValidationError(_("A year's disclosure is filed after the year has ended."))
    with transaction.atomic():
        # Two simultaneous filings would both pass the check below; the second then hit the
        # unique constraint as a server error instead of this message.
        Operator.objects.select_for_update().filter(pk=operator.pk).first()
        if AnnualDisclosure.objects.filter(operator=operator, year=year).exists():
            raise ValidationError(_("The disclosure for %(year)s has already been filed.") % {"year": year})
        disclosure = AnnualDisclosure(
            operator=operator,
            year=year,
            statement=statement,
            figures=disclosure_figures(operator, year),
            filed_at=timezone.now(),
            filed_by=actor,
        )
        disclosure.full_clean()
        _save(disclosure, actor=actor)
        _grant_operator(disclosure, operator)
        ledger.append(action="disclosure.file", obj=disclosure, actor=actor, data={"year": year})
    return disclosure


def with_force_period(licenses: QuerySet[OperatingLicense]) -> QuerySet[OperatingLicense]:
    """The licences with what `years_in_force` reads from their history, in the same query."""
    history = OperatingLicense.history.model
    return licenses.annotate(
        took_effect=Exists(history.objects.filter(id=OuterRef("pk"), status=LicenseStatus.ACTIVE)),
        revoked_at=Subquery(
            history.objects.filter(id=OuterRef("pk"), status=LicenseStatus.REVOKED)
            .order_by("history_date")
            .values("history_date")[:1]
        ),
    )


def years_in_force(license: OperatingLicense) -> range:
    """The calendar years in which a licence (from `with_force_period`) was in force.

    The term dates a licence, so one recorded after the fact still counts from its start; the
    history says whether it took effect at all (an application approved or refused but never
    activated held no rights) and when a revocation ended it. The one rule for "held a licence
    that year", for the bureau's list of missing disclosures and the operator's own schedule.
    """
    if not license.took_effect:
        return range(0)
    last = license.term_end.year
    if license.revoked_at is not None:
        last = min(last, timezone.localtime(license.revoked_at).year)
    return range(license.term_start.year, last + 1)


def operators_missing_disclosure(*, today: date | None = None):
    """Operators that held a licence in force last year and have not filed for it after the deadline."""
    today = today or timezone.localdate()
    year = today.year - 1
    if today <= disclosure_due_date(year):
        year -= 1  # last year's report is not due yet; the year before is
    # The licences whose term touches the year are few; the rule itself is years_in_force.
    touching = OperatingLicense.objects.filter(term_start__year__lte=year, term_end__year__gte=year)
    touching = with_force_period(touching.only("operator_id", "term_start", "term_end"))
    held = {license.operator_id for license in touching if year in years_in_force(license)}
    return Operator.objects.filter(pk__in=held).exclude(disclosures__year=year), year


# --- Audits and findings --------------------------------------------------------------------


def audit_assign(
    *,
    firm: AuditFirm,
    operator: Operator,
    actor,
    period_start: date,
    period_end: date,
    license: OperatingLicense | None = None,
) -> Audit:
    _require(_is_bureau(actor), _("Only the bureau assigns audits."))
    if firm.certified_until < timezone.localdate():
        raise ValidationError(_("%(firm)s's certification has lapsed.") % {"firm": firm.name})
    if license is not None and license.operator_id != operator.pk:
        raise ValidationError(_("The licence belongs to another operator."))
    with transaction.atomic():
        audit = Audit(firm=firm, operator=operator, license=license, period_start=period_start, period_end=period_end)
        audit.full_clean()
        # The step's code, as for every step without a reason: the history pages translate it.
        _save(audit, actor=actor, reason="assign")
        _grant_firm(audit, firm)
        _grant_firm(operator, firm)
        _grant_operator(audit, operator)
        ledger.append(
            action="audit.assign",
            obj=audit,
            actor=actor,
            data={"firm": firm.certificate_number, "operator": operator.credit_code},
        )
    return audit


def audit_set_status(*, audit: Audit, actor, status: AuditStatus, reason: str = "") -> Audit:
    order = [AuditStatus.ASSIGNED, AuditStatus.IN_PROGRESS, AuditStatus.COMPLETED]
    with transaction.atomic():
        locked = Audit.objects.select_for_update().select_related("firm").get(pk=audit.pk)
        _require(_is_staff_of(actor, locked.firm), _("Only the assigned firm works on this audit."))
        if status not in order or order.index(status) != order.index(locked.status) + 1:
            raise ValidationError(
                _("The audit is “%(status)s”; this step is not possible.") % {"status": locked.get_status_display()}
            )
        locked.status = status
        _save(locked, actor=actor, reason=reason or status)
        ledger.append(action=f"audit.{status}", obj=locked, actor=actor, reason=reason)
    audit.refresh_from_db()
    return audit


def finding_file(*, audit: Audit, actor, severity: str, description: str, remediation: str, due_date: date) -> Finding:
    with transaction.atomic():
        locked = Audit.objects.select_for_update().select_related("firm", "operator").get(pk=audit.pk)
        _require(_is_staff_of(actor, locked.firm), _("Only the assigned firm files findings."))
        if locked.status == AuditStatus.COMPLETED:
            raise ValidationError(_("The audit is completed; no new findings."))
        finding = Finding(
            audit=locked, severity=severity, description=description, remediation=remediation, due_date=due_date
        )
        finding.full_clean()
        _save(finding, actor=actor)
        _grant_firm(finding, locked.firm)
        _grant_operator(finding, locked.operator)
        ledger.append(
            action="finding.file",
            obj=finding,
            actor=actor,
            data={"audit": locked.pk, "severity": severity, "due": due_date.isoformat()},
        )
    return finding


def finding_answer(*, finding: Finding, actor, response: str) -> Finding:
    response = _reason(response, True)
    with transaction.atomic():
        locked = Finding.objects.select_for_update().get(pk=finding.pk)
        _require(has_object_grant(actor, "answer", locked), _("Only the audited operator answers findings."))
        if locked.status == FindingStatus.CLOSED:
            raise ValidationError(_("The finding is closed."))
        locked.operator_response, locked.status = response, FindingStatus.ANSWERED
        _save(locked, actor=actor, reason=response)
        ledger.append(action="finding.answer", obj=locked, actor=actor, reason=response)
    finding.refresh_from_db()
    return finding


def finding_close(*, finding: Finding, actor, reason: str) -> Finding:
    reason = _reason(reason, True)
    with transaction.atomic():
        locked = Finding.objects.select_for_update().select_related("audit__firm").get(pk=finding.pk)
        _require(
            _is_staff_of(actor, locked.audit.firm) or _is_bureau(actor),
            _("Only the audit firm or the bureau closes findings."),
        )
        if locked.status == FindingStatus.CLOSED:
            raise ValidationError(_("The finding is already closed."))
        locked.status, locked.closed_at = FindingStatus.CLOSED, timezone.now()
        _save(locked, actor=actor, reason=reason)
        ledger.append(action="finding.close", obj=locked, actor=actor, reason=reason)
    finding.refresh_from_db()
    return finding


def overdue_findings(*, today: date | None = None):
    return Finding.objects.exclude(status=FindingStatus.CLOSED).filter(due_date__lt=today or timezone.localdate())
