"""The bureau's admin for licensed data operation: every write goes through operations.services."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import BooleanField, Count, DecimalField, ExpressionWrapper, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from catalog.models import User
from govdata.admin import (
    ChangelistSummaryMixin,
    GovdataModelAdmin,
    ReadOnlyHistoryAdmin,
    WorkflowStep,
    add_refusal_to_form,
    adopt_saved,
)
from govdata.permissions import restrict

from . import services
from .choices import FindingStatus, LicenseStatus, ProductStatus
from .models import AnnualDisclosure, Audit, AuditFirm, DataProduct, Finding, OperatingLicense, Operator, Trade


def _table(headers, rows) -> str:
    """A small read-only table for a change form (rows: tuples of already-escapable values)."""
    head = format_html_join("", "<th>{}</th>", ((h,) for h in headers))
    body = format_html_join(
        "", "<tr>{}</tr>", ((format_html_join("", "<td>{}</td>", ((v,) for v in row)),) for row in rows)
    )
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)


# --- Organisations and their staff ----------------------------------------------------------


class StaffAddForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        user = User.objects.filter(username=username).first()
        if user is None:
            raise ValidationError(_("There is no user “%(username)s”.") % {"username": username})
        self.user = user
        return username


class OrganisationAdmin(GovdataModelAdmin):
    """Operators and audit firms: registered by the bureau, with their staff added one by one."""

    add_staff_step = WorkflowStep(
        name="add_staff",
        label=_("Add a staff user"),
        run=None,
        permission="",
        help_text=_("The user becomes staff of this organisation, with the matching role."),
    )

    def get_readonly_fields(self, request, obj=None):
        return ("staff",)

    @admin.display(description=_("staff"))
    def staff(self, obj):
        if not obj.staff_group_id:
            return "—"
        names = User.objects.filter(groups=obj.staff_group_id).order_by("username").values_list("username", flat=True)
        return ", ".join(names) or "—"

    def service_save(self, request, obj, form, formsets, change):
        services.organisation_save(organisation=obj, actor=request.user)

    def _may_add_staff(self, request, obj) -> bool:
        return self.has_change_permission(request, obj)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/add-staff/",
                self.admin_site.admin_view(self.add_staff_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_add_staff",
            ),
            *super().get_urls(),
        ]

    def add_staff_view(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(_("This object does not exist or you may not see it."))
        if not self._may_add_staff(request, obj):
            raise PermissionDenied
        change_url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=[quote(obj.pk)],
            current_app=self.admin_site.name,
        )
        form = StaffAddForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            try:
                services.staff_add(organisation=obj, user=form.user, actor=request.user)
            except (ValidationError, PermissionDenied) as exc:
                add_refusal_to_form(form, exc)
            else:
                self.message_user(
                    request,
                    _("%(user)s is now staff of %(organisation)s.") % {"user": form.user, "organisation": obj},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(change_url)
        return self.render_workflow_page(request, [obj], self.add_staff_step, form, cancel_url=change_url)

    def workflow_buttons(self, request, obj):
        buttons = super().workflow_buttons(request, obj)
        if obj is not None and obj.pk is not None and self._may_add_staff(request, obj):
            url = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_add_staff",
                args=[quote(obj.pk)],
                current_app=self.admin_site.name,
            )
            buttons.append({"label": self.add_staff_step.label, "url": url})
        return buttons


@admin.register(Operator)
class OperatorAdmin(OrganisationAdmin):
    list_display = ("name", "credit_code", "nature", "status", "contact_name", "license_count")
    list_filter = ("nature", "status")
    search_fields = ("name", "^credit_code")
    search_help_text = _("Name or unified social credit code (beginning).")
    ordering = ("name",)
    fields = (
        "name",
        "credit_code",
        "nature",
        "status",
        "contact_name",
        "contact_phone",
        "contact_email",
        "staff",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(license_count=Count("licenses"))

    @admin.display(description=_("licences"), ordering="license_count")
    def license_count(self, obj):
        return obj.license_count


@admin.register(AuditFirm)
class AuditFirmAdmin(OrganisationAdmin):
    list_display = ("name", "certificate_number", "certified_until_flagged")
    search_fields = ("name", "^certificate_number")
    search_help_text = _("Name or certificate number (beginning).")
    ordering = ("name",)
    fields = ("name", "certificate_number", "certified_until", "staff")

    @admin.display(description=_("certified until"), ordering="certified_until")
    def certified_until_flagged(self, obj):
        if obj.certified_until < timezone.localdate():
            return format_html('<strong class="errornote">{} {}</strong>', obj.certified_until, _("(lapsed)"))
        return obj.certified_until


# --- Licences -------------------------------------------------------------------------------


def _license_step(service):
    def run(*, obj, actor, reason):
        return service(license=obj, actor=actor, reason=reason)

    return run


_DECIDE_LICENSE = "operations.decide_operatinglicense"
# A licence in force is changed by suspending or revoking it (license_save refuses the edit).
_LICENSE_EDITABLE = (LicenseStatus.APPLIED, LicenseStatus.APPROVED)


@admin.register(OperatingLicense)
class OperatingLicenseAdmin(GovdataModelAdmin):
    list_display = ("number", "operator", "status", "term_start", "term_end", "fee_model", "resource_count")
    list_select_related = ("operator",)
    list_filter = ("status", "fee_model")
    search_fields = ("^number", "operator__name")
    search_help_text = _("Licence number (beginning) or operator name.")
    ordering = ("-term_start", "number")
    autocomplete_fields = ("operator", "resources")
    fields = (
        "number",
        "operator",
        "resources",
        "scope",
        "permitted_uses",
        "term_start",
        "term_end",
        "fee_model",
        "fee_terms",
        "price_cap",
        "conditions",
        "status",
        "status_reason",
    )
    workflow_steps = (
        WorkflowStep(
            name="approve",
            label=_("Approve"),
            run=_license_step(services.license_approve),
            permission=_DECIDE_LICENSE,
            from_statuses=(LicenseStatus.APPLIED,),
        ),
        WorkflowStep(
            name="activate",
            label=_("Bring into force"),
            run=_license_step(services.license_activate),
            permission=_DECIDE_LICENSE,
            from_statuses=(LicenseStatus.APPROVED,),
        ),
        WorkflowStep(
            name="suspend",
            label=_("Suspend"),
            run=_license_step(services.license_suspend),
            permission=_DECIDE_LICENSE,
            from_statuses=(LicenseStatus.ACTIVE,),
            reason_required=True,
        ),
        WorkflowStep(
            name="resume",
            label=_("Resume"),
            run=_license_step(services.license_resume),
            permission=_DECIDE_LICENSE,
            from_statuses=(LicenseStatus.SUSPENDED,),
            reason_required=True,
        ),
        WorkflowStep(
            name="revoke",
            label=_("Revoke"),
            run=_license_step(services.license_revoke),
            permission=_DECIDE_LICENSE,
            from_statuses=(
                LicenseStatus.APPLIED,
                LicenseStatus.APPROVED,
                LicenseStatus.ACTIVE,
                LicenseStatus.SUSPENDED,
            ),
            reason_required=True,
        ),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(resource_count=Count("resources"))

    @admin.display(description=_("resources"), ordering="resource_count")
    def resource_count(self, obj):
        return obj.resource_count

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status not in _LICENSE_EDITABLE:
            return self.fields
        return ("status", "status_reason")

    def service_save(self, request, obj, form, formsets, change):
        resources = list(form.cleaned_data["resources"]) if "resources" in form.cleaned_data else None
        services.license_save(license=obj, actor=request.user, resources=resources)


# --- Products -------------------------------------------------------------------------------


def _run_product_approve(*, obj, actor, reason):
    return services.product_approve(product=obj, actor=actor, reason=reason)


def _run_product_reject(*, obj, actor, reason):
    return services.product_reject(product=obj, actor=actor, reason=reason)


@admin.register(DataProduct)
class DataProductAdmin(ReadOnlyHistoryAdmin):
    """Products are built by operators in the portal; the bureau reviews them here."""

    list_display = ("name", "license", "operator", "distribution", "list_price", "status", "created_at")
    list_select_related = ("license__operator",)
    list_filter = ("status", "distribution")
    search_fields = ("name", "^license__number")
    search_help_text = _("Product name or licence number (beginning).")
    ordering = ("-created_at", "-pk")
    readonly_extras = ("items_list", "rules_list")
    exclude = ("pseudonym_key",)
    workflow_steps = (
        WorkflowStep(
            name="approve",
            label=_("Approve"),
            run=_run_product_approve,
            permission="operations.review_dataproduct",
            from_statuses=(ProductStatus.SUBMITTED,),
        ),
        WorkflowStep(
            name="reject",
            label=_("Reject"),
            run=_run_product_reject,
            permission="operations.review_dataproduct",
            from_statuses=(ProductStatus.SUBMITTED,),
            reason_required=True,
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        return [f for f in super().get_readonly_fields(request, obj) if f != "pseudonym_key"]

    @admin.display(description=_("operator"), ordering="license__operator__name")
    def operator(self, obj):
        return obj.license.operator

    @admin.display(description=_("data items"))
    def items_list(self, obj):
        items = obj.items.select_related("resource").order_by("resource__catalogue_code", "code")
        return _table(
            (_("resource"), _("item code"), _("item"), _("personal information")),
            ((i.resource.catalogue_code, i.code, i.name, i.get_personal_info_display()) for i in items),
        )

    @admin.display(description=_("desensitization rules"))
    def rules_list(self, obj):
        rules = obj.rules.select_related("item__resource").order_by("item__resource__catalogue_code", "item__code")
        return _table(
            (_("data item"), _("method"), _("parameters")),
            (
                (
                    f"{r.item.resource.catalogue_code}/{r.item.code} {r.item.name}",
                    r.get_method_display(),
                    json.dumps(r.params, ensure_ascii=False, sort_keys=True) if r.params else "—",
                )
                for r in rules
            ),
        )


# --- Trades and disclosures -----------------------------------------------------------------


@admin.register(Trade)
class TradeAdmin(ChangelistSummaryMixin, ReadOnlyHistoryAdmin):
    """Sales as the operators recorded them, with totals per operator and product."""

    list_display = ("traded_on", "product", "operator", "buyer", "price", "license")
    list_select_related = ("product", "license__operator")
    list_filter = ("license__operator",)
    search_fields = ("buyer", "product__name", "^license__number")
    search_help_text = _("Buyer, product name or licence number (beginning).")
    ordering = ("-traded_on", "-pk")
    # Beyond this many operator/product pairs the summary names the largest and says so.
    summary_rows = 20

    @admin.display(description=_("operator"), ordering="license__operator__name")
    def operator(self, obj):
        return obj.license.operator

    def changelist_summary(self, request, queryset):
        rows = list(
            queryset.order_by()
            .values("license__operator__name", "product__name")
            .annotate(count=Count("pk"), total=Coalesce(Sum("price"), Value(0), output_field=DecimalField()))
            .order_by("-total", "license__operator__name", "product__name")[: self.summary_rows + 1]
        )
        if not rows:
            return ""
        more = len(rows) > self.summary_rows
        table = _table(
            (_("operator"), _("product"), _("trades"), _("total (yuan)")),
            (
                (r["license__operator__name"], r["product__name"], r["count"], f"{r['total']:.2f}")
                for r in rows[: self.summary_rows]
            ),
        )
        note = (
            format_html("<p>{}</p>", _("Only the largest totals are shown; filter the list to see the others."))
            if more
            else ""
        )
        return format_html(
            '<div class="module"><h2>{}</h2>{}{}</div>', _("Totals per operator and product"), table, note
        )


@admin.register(AnnualDisclosure)
class AnnualDisclosureAdmin(ChangelistSummaryMixin, ReadOnlyHistoryAdmin):
    """Operators' yearly reports as filed; operators that owe one are named above the list."""

    list_display = ("operator", "year", "filed_at", "filed_by")
    list_select_related = ("operator", "filed_by")
    list_filter = ("year",)
    search_fields = ("operator__name",)
    ordering = ("-year", "operator__name")
    readonly_extras = ("formatted_figures",)
    summary_rows = 50

    def get_readonly_fields(self, request, obj=None):
        return [f for f in super().get_readonly_fields(request, obj) if f != "figures"]

    @admin.display(description=_("figures"))
    def formatted_figures(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.figures, indent=2, ensure_ascii=False, sort_keys=True))

    def changelist_summary(self, request, queryset):
        missing, year = services.operators_missing_disclosure()
        missing = restrict(missing, request.user, "view")
        names = list(missing.order_by("name").values_list("name", flat=True)[: self.summary_rows + 1])
        if not names:
            return format_html(
                '<div class="module"><p>{}</p></div>',
                _("Every operator licensed in %(year)s has filed its disclosure.") % {"year": year},
            )
        shown = ", ".join(names[: self.summary_rows]) + ("…" if len(names) > self.summary_rows else "")
        return format_html(
            '<div class="module"><p class="errornote">{} {}</p></div>',
            _("Overdue disclosures for %(year)s:") % {"year": year},
            shown,
        )


# --- Audits and findings --------------------------------------------------------------------


class FindingInline(admin.TabularInline):
    model = Finding
    fields = ("severity", "description", "due_date", "status", "closed_at")
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Audit)
class AuditAdmin(GovdataModelAdmin):
    """Audits are assigned here (add) and then worked on by the firm in the portal."""

    list_display = ("pk", "firm", "operator", "license", "period_start", "period_end", "status", "finding_count")
    list_display_links = ("pk", "firm")
    list_select_related = ("firm", "operator", "license__operator")
    list_filter = ("status",)
    search_fields = ("firm__name", "operator__name")
    ordering = ("-assigned_at", "-pk")
    autocomplete_fields = ("firm", "operator", "license")
    assign_fields = ("firm", "operator", "license", "period_start", "period_end")
    fields = (*assign_fields, "status", "assigned_at")
    inlines = (FindingInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(finding_count=Count("findings"))

    @admin.display(description=_("findings"), ordering="finding_count")
    def finding_count(self, obj):
        return obj.finding_count

    def get_fields(self, request, obj=None):
        return self.assign_fields if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.fields

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def service_save(self, request, obj, form, formsets, change):
        if change:
            raise ValidationError(_("An audit cannot be edited once assigned."))
        audit = services.audit_assign(
            firm=obj.firm,
            operator=obj.operator,
            actor=request.user,
            period_start=obj.period_start,
            period_end=obj.period_end,
            license=obj.license,
        )
        adopt_saved(obj, audit)


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return (("yes", _("Overdue")), ("no", _("Not overdue")))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(is_overdue=True)
        if self.value() == "no":
            return queryset.filter(is_overdue=False)
        return queryset


def _run_finding_close(*, obj, actor, reason):
    return services.finding_close(finding=obj, actor=actor, reason=reason)


@admin.register(Finding)
class FindingAdmin(ReadOnlyHistoryAdmin):
    list_display = ("short_description", "audit", "severity", "status", "due_date", "is_overdue")
    list_select_related = ("audit__firm", "audit__operator")
    list_filter = ("status", "severity", OverdueFilter)
    search_fields = ("description",)
    ordering = ("due_date", "pk")
    workflow_steps = (
        WorkflowStep(
            name="close",
            label=_("Close"),
            run=_run_finding_close,
            permission="operations.change_finding",
            from_statuses=(FindingStatus.OPEN, FindingStatus.ANSWERED),
            reason_required=True,
        ),
    )

    def get_queryset(self, request):
        overdue = ~Q(status=FindingStatus.CLOSED) & Q(due_date__lt=timezone.localdate())
        return super().get_queryset(request).annotate(is_overdue=ExpressionWrapper(overdue, BooleanField()))

    @admin.display(description=_("finding"))
    def short_description(self, obj):
        return obj.description[:60]

    @admin.display(description=_("overdue"), boolean=True, ordering="is_overdue")
    def is_overdue(self, obj):
        return obj.is_overdue
