"""Admin pages of the dashboard's own records: the aggregation policy and the stored snapshots.

Import this module from govdata/admin.py (it registers on import, needs no AppConfig.ready()).

Who may do what: officers edit the policy, officers and auditors read both. govdata is not one
of the governed apps whose permissions the roles receive wholesale (govdata/roles.py), so besides
the model permissions the role itself is accepted here.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from . import analytics
from .models import AggregationPolicy, GovernanceSnapshot
from .permissions import has_model_permission, user_roles
from .roles import Role


def _may(request, model, action: str) -> bool:
    user = request.user
    if not (user.is_active and user.is_staff):
        return False
    if user.is_superuser or has_model_permission(user, model, action):
        return True
    roles = user_roles(user)
    if action == "view":
        return bool(roles & {Role.OFFICER.value, Role.AUDITOR.value})
    return Role.OFFICER.value in roles and model is AggregationPolicy


class AggregationPolicyForm(forms.ModelForm):
    change_reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"size": 60}),
        help_text=_("Recorded in the policy's history."),
    )

    class Meta:
        model = AggregationPolicy
        fields = ("frequency_threshold", "spillover_threshold", "window_days")


@admin.register(AggregationPolicy)
class AggregationPolicyAdmin(SimpleHistoryAdmin):
    """One row: the changelist leads straight to it, it cannot be added twice or deleted."""

    form = AggregationPolicyForm
    list_display = ("__str__", "frequency_threshold", "spillover_threshold", "window_days")
    history_list_display = ("frequency_threshold", "spillover_threshold", "window_days")

    def has_module_permission(self, request):
        return _may(request, AggregationPolicy, "view")

    def has_view_permission(self, request, obj=None):
        return _may(request, AggregationPolicy, "view")

    def has_change_permission(self, request, obj=None):
        return _may(request, AggregationPolicy, "change")

    def has_add_permission(self, request):
        return _may(request, AggregationPolicy, "change") and not AggregationPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        return {}

    def changelist_view(self, request, extra_context=None):
        policy = AggregationPolicy.objects.first()
        if policy is not None:
            return HttpResponseRedirect(reverse("admin:govdata_aggregationpolicy_change", args=[policy.pk]))
        if self.has_add_permission(request):
            return HttpResponseRedirect(reverse("admin:govdata_aggregationpolicy_add"))
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        # The form has validated the same fields, and only officers reach this page, so the
        # service's refusals cannot happen here; it is called for the history and the rule.
        analytics.policy_save(policy=obj, actor=request.user, reason=form.cleaned_data.get("change_reason", ""))


@admin.register(GovernanceSnapshot)
class GovernanceSnapshotAdmin(admin.ModelAdmin):
    """Read only: a snapshot is a record of what the figures were."""

    list_display = ("taken_at", "taken_by", "duration_ms")
    list_select_related = ("taken_by",)
    ordering = ("-taken_at",)
    date_hierarchy = "taken_at"
    show_full_result_count = False
    readonly_fields = ("taken_at", "taken_by", "duration_ms", "figures")

    def has_module_permission(self, request):
        return _may(request, GovernanceSnapshot, "view")

    def has_view_permission(self, request, obj=None):
        return _may(request, GovernanceSnapshot, "view")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        return {}
