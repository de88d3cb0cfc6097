"""The portal pages of operator users and audit-firm users: thin views over operations.selectors
(reads) and operations.services (writes).

Objects of another operator or firm are 404 because the selectors never return them; users who
are not staff of an operator (or firm) get 403 on its pages; a service's refusal (ValidationError)
is shown on the form or as a message, never as a server error.
"""

from __future__ import annotations

import secrets
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govdata.pagination import paginate

from . import selectors, services
from .choices import AuditStatus, Distribution, LicenseStatus, ProductStatus
from .forms import (
    AnswerForm,
    AuditFilterForm,
    DisclosureForm,
    FindingFilterForm,
    FindingForm,
    LicenseChoiceForm,
    ProductFilterForm,
    ProductForm,
    ReasonForm,
    RuleForm,
    TradeForm,
)
from .models import DataProduct

PAGE_SIZE = 25
EDITABLE_PRODUCT_STATUSES = (ProductStatus.DRAFT, ProductStatus.REJECTED)


# --- Helpers --------------------------------------------------------------------------------


def home_url(user) -> str | None:
    """Where /portal/ sends operator and audit-firm staff, who have no department pages."""
    if selectors.staff_operator_ids(user):
        return reverse("portal:ops_home")
    if selectors.staff_firm_ids(user):
        return reverse("portal:ops_audit_list")
    return None


def _add_service_error(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def operator_page(view):
    """Pages of an operator's staff only; everybody else (officers included) is told so with a 403."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not selectors.staff_operator_ids(request.user):
            raise PermissionDenied(_("These pages are for the staff of licensed operators."))
        return view(request, *args, **kwargs)

    return wrapper


def firm_page(view):
    """Pages of an audit firm's staff only."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not selectors.staff_firm_ids(request.user):
            raise PermissionDenied(_("These pages are for the staff of certified audit firms."))
        return view(request, *args, **kwargs)

    return wrapper


# --- Operator: home and licences ------------------------------------------------------------


@operator_page
def home(request):
    return render(request, "operations/home.html", selectors.operator_home(request.user))


@operator_page
def license_detail(request, pk):
    license = selectors.license_detail(request.user, pk)
    context = {
        "license": license,
        "in_force": selectors.is_in_force(license),
        "products": selectors.product_list(request.user).filter(license=license),
    }
    return render(request, "operations/license_detail.html", context)


# --- Operator: products ---------------------------------------------------------------------


@operator_page
def product_list(request):
    filters = ProductFilterForm(request.GET)
    products = selectors.product_list(request.user, status=filters.value("status"))
    return render(
        request, "operations/product_list.html", {"page": paginate(request, products, PAGE_SIZE), "filters": filters}
    )


def _rule_rows(items, rule_forms, selected):
    """The items of the licensed resources, grouped by resource, each with its rule form if it needs one."""
    groups = []
    for item in items:
        if not groups or groups[-1]["resource"].pk != item.resource_id:
            groups.append({"resource": item.resource, "rows": []})
        groups[-1]["rows"].append({"item": item, "checked": item.pk in selected, "rule_form": rule_forms.get(item.pk)})
    return groups


def _selected_ids(form) -> set[int]:
    values = form["items"].value() or []
    selected = set()
    for value in values:
        try:
            selected.add(int(value))
        except (TypeError, ValueError):
            continue
    return selected


def _product_page(request, product: DataProduct, license, *, creating: bool):
    items = list(selectors.licensed_items(license))
    existing_rules = {} if creating else {r.item_id: r for r in selectors.product_rules(product)}
    data = request.POST if request.method == "POST" else None
    initial = {} if creating else {"items": [i.pk for i in product.items.all()]}
    form = ProductForm(data, instance=product, items=selectors.licensed_items(license), initial=initial)
    rule_forms = {
        item.pk: RuleForm(data, prefix=f"rule-{item.pk}", item=item, rule=existing_rules.get(item.pk))
        for item in items
        if services.needs_rule(item)
    }
    selected = _selected_ids(form)
    preview = None
    if data is not None and "preview" in data:
        # The preview never saves: it applies the rules as typed to the samples and shows the page
        # again. The product's own fields are carried over unchecked, so a half-filled form is not
        # greeted with errors the user did not ask for yet.
        carried = {name: data.get(name, "") for name in ("name", "description", "distribution", "list_price")}
        form = ProductForm(
            instance=product, items=form.fields["items"].queryset, initial={**carried, "items": sorted(selected)}
        )
        key = product.pseudonym_key.encode() if product.pk else secrets.token_hex(32).encode()
        valid = [rf for rf in rule_forms.values() if rf.is_valid() and rf.rule()]
        preview = services.product_preview(
            key, [rf.rule() for rf in valid], {rf.item.pk: rf.cleaned_data["sample"] for rf in valid}
        )
    elif data is not None:
        form_valid = form.is_valid()
        chosen = [rf for pk, rf in rule_forms.items() if pk in selected]
        rules_valid = all([rf.is_valid() for rf in chosen])
        missing = [rf for rf in chosen if rf.is_valid() and rf.rule() is None]
        for rf in missing:
            rf.add_error("method", _("This item carries personal information: choose a rule."))
        if missing:
            form.add_error(None, _("Every chosen item that carries personal information needs a desensitization rule."))
        if form_valid and rules_valid and not missing:
            try:
                services.product_save(
                    product=form.instance,
                    actor=request.user,
                    items=list(form.cleaned_data["items"]),
                    rules=[rf.rule() for rf in chosen],
                )
            except ValidationError as exc:
                _add_service_error(form, exc)
            except IntegrityError:
                form.add_error(None, _("Someone saved this product at the same time. Check it and save again."))
            else:
                return _after_product_save(request, form.instance, submit="save_submit" in data)
    context = {
        "form": form,
        "product": product,
        "license": license,
        "creating": creating,
        "groups": _rule_rows(items, rule_forms, selected),
        "rule_errors": any(rf.is_bound and rf.errors for pk, rf in rule_forms.items() if pk in selected),
        "preview": preview,
        "personal_count": len(rule_forms),
        "license_in_force": selectors.is_in_force(license),
    }
    return render(request, "operations/product_form.html", context)


def _after_product_save(request, product, *, submit: bool):
    if submit:
        try:
            services.product_submit(product=product, actor=request.user)
        except ValidationError as exc:
            messages.warning(request, _("Saved, but not submitted: %(error)s") % {"error": " ".join(exc.messages)})
        else:
            messages.success(request, _("The product was saved and submitted. The bureau will review it."))
            return redirect("portal:ops_product_detail", pk=product.pk)
    else:
        messages.success(request, _("The product was saved as a draft. Submit it for review when it is complete."))
    return redirect("portal:ops_product_detail", pk=product.pk)


@operator_page
def product_create(request):
    licenses = selectors.in_force(selectors.licenses(request.user)).order_by("number")
    license = None
    chosen = request.POST.get("license") or request.GET.get("license")
    if chosen:
        # Any of the operator's licences may be named: one that is not in force gets the service's refusal.
        license = get_object_or_404(selectors.licenses(request.user), pk=chosen if str(chosen).isdigit() else 0)
    elif len(licenses) == 1:
        license = licenses[0]
    if license is None:
        chooser = LicenseChoiceForm(licenses=licenses)
        return render(request, "operations/product_license_choice.html", {"chooser": chooser, "licenses": licenses})
    return _product_page(request, DataProduct(license=license), license, creating=True)


@operator_page
def product_edit(request, pk):
    product = selectors.product(request.user, pk, "change")
    if product.status not in EDITABLE_PRODUCT_STATUSES:
        messages.error(request, _("Only drafts and rejected products can be edited."))
        return redirect("portal:ops_product_detail", pk=product.pk)
    return _product_page(request, product, product.license, creating=False)


def _product_detail(request, product, *, withdraw_form=None):
    trades = selectors.product_trades(product)
    rules = {rule.item_id: rule for rule in selectors.product_rules(product)}
    items = list(selectors.product_items(product))
    for item in items:
        item.rule = rules.get(item.pk)
    context = {
        "product": product,
        "items": items,
        "trades": trades[:20],
        "trade_totals": selectors.trade_totals(trades),
        "license_in_force": selectors.is_in_force(product.license),
        "editable": product.status in EDITABLE_PRODUCT_STATUSES,
        "withdrawable": product.status in (ProductStatus.DRAFT, ProductStatus.SUBMITTED, ProductStatus.APPROVED),
        "tradable": product.status == ProductStatus.APPROVED and product.distribution == Distribution.TRADED,
        "withdraw_form": withdraw_form or ReasonForm(),
    }
    return render(request, "operations/product_detail.html", context)


@operator_page
def product_detail(request, pk):
    return _product_detail(request, selectors.product(request.user, pk))


@operator_page
@require_POST
def product_submit(request, pk):
    product = selectors.product(request.user, pk, "change")
    try:
        services.product_submit(product=product, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Submitted. The bureau will review the product and approve or reject it."))
    return redirect("portal:ops_product_detail", pk=product.pk)


@operator_page
@require_POST
def product_withdraw(request, pk):
    product = selectors.product(request.user, pk, "change")
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.product_withdraw(product=product, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The product was withdrawn."))
        return redirect("portal:ops_product_detail", pk=product.pk)
    return _product_detail(request, product, withdraw_form=form)


# --- Operator: trades -----------------------------------------------------------------------


def _int_param(request, name):
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


@operator_page
def trade_list(request):
    product_id, year = _int_param(request, "product"), _int_param(request, "year")
    trades = selectors.trade_list(request.user, product_id=product_id, year=year)
    context = {
        "page": paginate(request, trades, PAGE_SIZE),
        "totals": selectors.trade_totals(trades),
        "products": selectors.products(request.user).order_by("name", "pk").only("pk", "name"),
        "product_id": product_id,
        "year": year,
        "years": range(timezone.localdate().year, timezone.localdate().year - 6, -1),
    }
    return render(request, "operations/trade_list.html", context)


@operator_page
def trade_create(request):
    products = selectors.tradable_products(request.user)
    initial = {"product": _int_param(request, "product")}
    form = TradeForm(request.POST or None, products=products, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            trade = services.trade_record(
                product=data["product"],
                actor=request.user,
                buyer=data["buyer"],
                buyer_credit_code=data["buyer_credit_code"],
                price=data["price"],
                traded_on=data["traded_on"],
            )
        except ValidationError as exc:
            _add_service_error(form, exc)
        else:
            messages.success(request, _("The trade was recorded."))
            return redirect("portal:ops_trade_detail", pk=trade.pk)
    suspended = [p for p in products if not selectors.is_in_force(p.license)]
    return render(request, "operations/trade_form.html", {"form": form, "suspended": suspended, "products": products})


@operator_page
def trade_detail(request, pk):
    return render(request, "operations/trade_detail.html", {"trade": selectors.trade(request.user, pk)})


# --- Operator: annual disclosure ------------------------------------------------------------


@operator_page
def disclosure_list(request):
    schedule = selectors.disclosure_schedule(request.user)
    context = {
        "schedule": schedule,
        "missing": [entry for entry in schedule if entry.missing],
        "today": timezone.localdate(),
    }
    return render(request, "operations/disclosure_list.html", context)


@operator_page
def disclosure_file(request, operator_pk, year):
    operator = get_object_or_404(selectors.staff_operators(request.user), pk=operator_pk)
    filed = selectors.disclosures(request.user).filter(operator=operator, year=year).first()
    if filed:
        messages.info(request, _("The disclosure for %(year)s has already been filed.") % {"year": year})
        return redirect("portal:ops_disclosure_detail", pk=filed.pk)
    form = DisclosureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            disclosure = services.disclosure_file(
                operator=operator, year=year, actor=request.user, statement=form.cleaned_data["statement"]
            )
        except ValidationError as exc:
            _add_service_error(form, exc)
        except IntegrityError:
            form.add_error(None, _("The disclosure for %(year)s has already been filed.") % {"year": year})
        else:
            messages.success(request, _("The disclosure for %(year)s was filed.") % {"year": year})
            return redirect("portal:ops_disclosure_detail", pk=disclosure.pk)
    context = {
        "operator": operator,
        "year": year,
        "due": services.disclosure_due_date(year),
        "today": timezone.localdate(),
        "figures": _figures(services.disclosure_figures(operator, year)),
        "form": form,
    }
    return render(request, "operations/disclosure_form.html", context)


def _figures(figures: dict) -> dict:
    """Stored figures as the page shows them: licence statuses by their label."""
    labels = dict(LicenseStatus.choices)
    licenses = [
        {**lic, "status_label": labels.get(lic.get("status"), lic.get("status"))} for lic in figures.get("licenses", [])
    ]
    return {**figures, "licenses": licenses}


@operator_page
def disclosure_detail(request, pk):
    disclosure = selectors.disclosure(request.user, pk)
    context = {"disclosure": disclosure, "figures": _figures(disclosure.figures)}
    return render(request, "operations/disclosure_detail.html", context)


# --- Operator: findings about it ------------------------------------------------------------


@operator_page
def finding_list(request):
    filters = FindingFilterForm(request.GET)
    findings = selectors.operator_finding_list(request.user, state=filters.value("status"))
    context = {"page": paginate(request, findings, PAGE_SIZE), "filters": filters, "today": timezone.localdate()}
    return render(request, "operations/finding_list.html", context)


@operator_page
def finding_detail(request, pk):
    finding = selectors.operator_finding(request.user, pk)
    form = AnswerForm(request.POST or None)
    if request.method == "POST":
        # Answering needs the answer grant, not just the view grant.
        finding = selectors.operator_finding(request.user, pk, "answer")
        if form.is_valid():
            try:
                services.finding_answer(finding=finding, actor=request.user, response=form.cleaned_data["response"])
            except ValidationError as exc:
                _add_service_error(form, exc)
            else:
                messages.success(request, _("Your answer was sent to the audit firm."))
                return redirect("portal:ops_finding_detail", pk=finding.pk)
    context = {"finding": finding, "form": form, "today": timezone.localdate()}
    return render(request, "operations/finding_detail.html", context)


# --- Audit firm -----------------------------------------------------------------------------


@firm_page
def audit_list(request):
    filters = AuditFilterForm(request.GET)
    audits = selectors.firm_audit_list(request.user, status=filters.value("status"))
    context = {
        "page": paginate(request, audits, PAGE_SIZE),
        "filters": filters,
        "firms": list(selectors.staff_firms(request.user)),
    }
    return render(request, "operations/audit_list.html", context)


def _audit_detail(request, audit, *, close_form=None, close_pk=None):
    context = {
        "audit": audit,
        "findings": selectors.audit_findings(audit),
        "next_status": {
            AuditStatus.ASSIGNED: AuditStatus.IN_PROGRESS,
            AuditStatus.IN_PROGRESS: AuditStatus.COMPLETED,
        }.get(audit.status),
        "close_form": close_form or ReasonForm(),
        "close_pk": close_pk,
        "today": timezone.localdate(),
    }
    return render(request, "operations/audit_detail.html", context)


@firm_page
def audit_detail(request, pk):
    return _audit_detail(request, selectors.firm_audit(request.user, pk))


@firm_page
@require_POST
def audit_status(request, pk):
    audit = selectors.firm_audit(request.user, pk, "change")
    status = request.POST.get("status", "")
    try:
        if status not in AuditStatus.values:
            raise ValidationError(_("Unknown audit status."))
        services.audit_set_status(audit=audit, actor=request.user, status=AuditStatus(status))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The audit is now “%(status)s”.") % {"status": audit.get_status_display()})
    return redirect("portal:ops_audit_detail", pk=audit.pk)


@firm_page
def finding_create(request, pk):
    audit = selectors.firm_audit(request.user, pk, "change")
    form = FindingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.finding_file(audit=audit, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_service_error(form, exc)
        else:
            messages.success(request, _("The finding was filed. The operator sees it and will answer."))
            return redirect("portal:ops_audit_detail", pk=audit.pk)
    return render(request, "operations/finding_form.html", {"audit": audit, "form": form})


@firm_page
@require_POST
def finding_close(request, pk):
    finding = selectors.firm_finding(request.user, pk, "change")
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.finding_close(finding=finding, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The finding was closed."))
        return redirect("portal:ops_audit_detail", pk=finding.audit_id)
    audit = selectors.firm_audit(request.user, finding.audit_id)
    return _audit_detail(request, audit, close_form=form, close_pk=finding.pk)
