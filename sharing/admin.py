"""The bureau's admin for sharing: agreements (decided and supervised through sharing.services),
usage records and the ledger (read-only), and the calendar that decision deadlines count on."""

from __future__ import annotations

import json

from django.contrib import admin
from django.contrib.admin.utils import quote
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from govdata.admin import GovdataModelAdmin, ReadOnlyHistoryAdmin, ReadOnlyModelAdmin, WorkflowStep
from govdata.permissions import is_bureau_wide, restrict

from . import services
from .choices import AWAITING_PROVIDER, AgreementStatus
from .models import Holiday, LedgerEntry, ShareAgreement, UsageRecord


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyModelAdmin):
    list_display = ("seq", "recorded_at", "action", "ledger_object", "actor", "short_hash")
    list_select_related = ("actor",)
    # Exact or prefix lookups only: the ledger is the largest table and must not be scanned.
    search_fields = ("^action", "=object_type", "=object_id")
    search_help_text = _("Action (beginning), object type (e.g. catalog.dataresource) or object id.")
    ordering = ("-seq",)
    fields = (
        "seq",
        "recorded_at",
        "action",
        "ledger_object",
        "actor",
        "formatted_payload",
        "prev_hash",
        "entry_hash",
    )

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    @admin.display(description=_("object"))
    def ledger_object(self, entry):
        label = f"{entry.object_type}:{entry.object_id}"
        app_label, _dot, model_name = entry.object_type.partition(".")
        try:
            url = reverse(f"admin:{app_label}_{model_name}_change", args=[quote(entry.object_id)])
        except NoReverseMatch:
            return label
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.display(description=_("hash"))
    def short_hash(self, entry):
        return format_html('<code title="{}">{}…</code>', entry.entry_hash, entry.entry_hash[:12])

    @admin.display(description=_("canonical payload"))
    def formatted_payload(self, entry):
        try:
            shown = json.dumps(json.loads(entry.payload), indent=2, ensure_ascii=False, sort_keys=True)
        except ValueError:
            shown = entry.payload
        return format_html("<pre>{}</pre>", shown)


# --- Share agreements -----------------------------------------------------------------------

_DUTY_FIELDS = ("requester_duties", "provider_duties", "bureau_duties")
# The bureau may still write the responsibilities clause while the request waits for its decision.
_RESPONSIBILITIES_EDITABLE = (AgreementStatus.SUBMITTED, AgreementStatus.PROVIDER_APPROVED)


def _agreement_step(service, **fixed):
    def run(*, obj, actor, reason):
        return service(agreement=obj, actor=actor, reason=reason, **fixed)

    return run


def _grant_exception(*, obj, actor, reason):
    return services.agreement_grant_exception(agreement=obj, actor=actor, legal_basis=reason)


_BUREAU = "sharing.approve_shareagreement"


@admin.register(ShareAgreement)
class ShareAgreementAdmin(GovdataModelAdmin):
    """Requests come from departments through the portal; the bureau decides and supervises here."""

    list_display = (
        "number",
        "requester",
        "provider",
        "status",
        "usage_mode",
        "period",
        "decision_due_flagged",
        "created_at",
    )
    list_select_related = ("requester", "provider")
    list_filter = ("status", "requester", "provider", "usage_mode")
    search_fields = ("^number", "purpose")
    search_help_text = _("Agreement number (beginning) or purpose.")
    ordering = ("-created_at", "-pk")
    view_on_site = False
    readonly_fields = (
        "number",
        "requester",
        "provider",
        "status",
        "status_reason",
        "purpose",
        "legal_basis",
        "exception_basis",
        "usage_mode",
        "valid_from",
        "valid_to",
        "requester_contact",
        "provider_contact",
        "items_by_resource",
        "submitted_at",
        "decision_due",
        "decided_at",
        "created_by",
        "created_at",
    )
    fieldsets = (
        (None, {"fields": ("number", "requester", "provider", "status", "status_reason")}),
        (
            _("Request"),
            {"fields": ("purpose", "legal_basis", "exception_basis", "usage_mode", "valid_from", "valid_to")},
        ),
        (_("Data items"), {"fields": ("items_by_resource",)}),
        (_("Responsible persons"), {"fields": ("requester_contact", "provider_contact")}),
        (_("Responsibilities"), {"fields": _DUTY_FIELDS}),
        (
            _("Workflow"),
            {"fields": ("submitted_at", "decision_due", "decided_at", "created_by", "created_at")},
        ),
    )
    workflow_steps = (
        WorkflowStep(
            name="bureau_approve",
            label=_("Approve as the bureau"),
            run=_agreement_step(services.agreement_bureau_approve),
            permission=_BUREAU,
            from_statuses=(AgreementStatus.SUBMITTED, AgreementStatus.PROVIDER_APPROVED),
        ),
        WorkflowStep(
            name="bureau_reject",
            label=_("Reject as the bureau"),
            run=_agreement_step(services.agreement_bureau_reject),
            permission=_BUREAU,
            from_statuses=(AgreementStatus.SUBMITTED, AgreementStatus.PROVIDER_APPROVED),
            reason_required=True,
        ),
        WorkflowStep(
            name="suspend",
            label=_("Suspend"),
            run=_agreement_step(services.agreement_suspend),
            permission=_BUREAU,
            from_statuses=(AgreementStatus.ACTIVE,),
            reason_required=True,
        ),
        WorkflowStep(
            name="resume",
            label=_("Resume"),
            run=_agreement_step(services.agreement_resume),
            permission=_BUREAU,
            from_statuses=(AgreementStatus.SUSPENDED,),
            reason_required=True,
        ),
        WorkflowStep(
            name="revoke",
            label=_("Revoke"),
            run=_agreement_step(services.agreement_revoke),
            permission=_BUREAU,
            from_statuses=(AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED),
            reason_required=True,
        ),
        WorkflowStep(
            name="grant_exception",
            label=_("Grant an exception for not-shared items"),
            run=_grant_exception,
            permission=_BUREAU,
            from_statuses=(AgreementStatus.DRAFT, AgreementStatus.SUBMITTED),
            reason_required=True,
            help_text=_(
                "Required: the legal basis (law, administrative regulation or central policy) that lets the "
                "not-shared items be requested. It is recorded in the change history and in the ledger."
            ),
        ),
    )

    def get_queryset(self, request):
        overdue = Q(status__in=AWAITING_PROVIDER, decision_due__lt=timezone.localdate())
        return super().get_queryset(request).annotate(is_overdue=ExpressionWrapper(overdue, BooleanField()))

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # The only edit is the bureau's, of the responsibilities, before its own decision.
        if not (super().has_change_permission(request, obj) and request.user.has_perm(_BUREAU)):
            return False
        return obj is None or obj.status in _RESPONSIBILITIES_EDITABLE

    @admin.display(description=_("period"))
    def period(self, obj):
        return f"{obj.valid_from} – {obj.valid_to}"

    @admin.display(description=_("decision due"), ordering="decision_due")
    def decision_due_flagged(self, obj):
        if obj.decision_due is None:
            return "—"
        if getattr(obj, "is_overdue", False):
            return format_html('<strong class="errornote">{} {}</strong>', obj.decision_due, _("(overdue)"))
        return obj.decision_due

    @admin.display(description=_("data items"))
    def items_by_resource(self, obj):
        if obj.pk is None:
            return "—"
        items = obj.items.select_related("resource").order_by("resource__catalogue_code", "code")
        rows = format_html_join(
            "",
            "<tr><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    item.resource.catalogue_code,
                    item.resource.name,
                    item.code,
                    item.name,
                    item.get_share_type_display(),
                )
                for item in items
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
            _("resource"),
            _("item code"),
            _("item"),
            _("share type"),
            rows,
        )

    def service_save(self, request, obj, form, formsets, change):
        texts = {f: form.cleaned_data[f] for f in _DUTY_FIELDS if f in form.cleaned_data}
        if not change or not set(texts) & set(form.changed_data):
            return
        services.agreement_set_responsibilities(agreement=obj, actor=request.user, texts=texts)


@admin.register(UsageRecord)
class UsageRecordAdmin(ReadOnlyHistoryAdmin):
    """Uses as the exchange system reported them; evidence, so nobody edits them."""

    list_display = ("agreement", "used_at", "user", "mode", "outcome", "record_count")
    list_select_related = ("agreement", "user")
    list_filter = ("outcome", "mode")
    search_fields = ("^agreement__number",)
    search_help_text = _("Agreement number (beginning).")
    ordering = ("-used_at",)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if is_bureau_wide(request.user, ShareAgreement, "view"):
            return qs
        # Usage has no grants of its own: it is visible to whoever may see its agreement.
        visible = restrict(ShareAgreement.objects.all(), request.user, "view")
        return qs.filter(agreement__in=visible.values("pk"))

    def has_view_permission(self, request, obj=None):
        if obj is not None and not self.get_queryset(request).filter(pk=obj.pk).exists():
            return False
        return super().has_view_permission(request, obj)


# --- The bureau's calendar ------------------------------------------------------------------


@admin.register(Holiday)
class HolidayAdmin(GovdataModelAdmin):
    """Public holidays and make-up days: the calendar decision deadlines are counted on."""

    list_display = ("date", "name", "is_working_day")
    list_filter = ("is_working_day",)
    search_fields = ("name",)
    ordering = ("-date",)

    def service_save(self, request, obj, form, formsets, change):
        # No business rule beyond the form's own: the calendar has no service of its own.
        with transaction.atomic():
            obj._history_user = request.user
            obj.save()

    def service_delete(self, request, obj):
        with transaction.atomic():
            obj._history_user = request.user
            obj.delete()
