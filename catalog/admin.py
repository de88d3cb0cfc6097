"""The bureau officers' admin for the catalogue: every write goes through catalog.services."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Prefetch, Subquery
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from govdata.admin import (
    GovdataAdminMixin,
    GovdataModelAdmin,
    ParentPermissionInlineMixin,
    PrefetchedAutocompleteFormSet,
    PrefetchedAutocompleteInlineMixin,
    WorkflowStep,
    adopt_saved,
)
from govdata.queries import count_of
from govdata.roles import Role

from . import services
from .choices import OPEN_RANK, SHARE_RANK, ClaimStatus, ResourceStatus
from .models import (
    DataElement,
    DataItem,
    DataResource,
    Department,
    Duty,
    InformationSystem,
    SourceAssignment,
    User,
)
from .search import text_search

# --- Departments and users ----------------------------------------------------------------


@admin.register(Department)
class DepartmentAdmin(GovdataModelAdmin):
    list_display = ("code", "name", "kind", "parent", "active")
    list_select_related = ("parent",)
    list_filter = ("kind", "active")
    search_fields = ("^code", "name")
    ordering = ("code",)
    autocomplete_fields = ("parent",)
    fields = ("code", "name", "kind", "parent", "active", "liaison_group")
    readonly_fields = ("liaison_group",)

    def service_save(self, request, obj, form, formsets, change):
        services.department_save(department=obj, actor=request.user)


class RoleListFilter(admin.SimpleListFilter):
    title = _("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return Role.choices

    def queryset(self, request, queryset):
        if self.value() in Role.values:
            return queryset.filter(groups__name=self.value())
        return queryset


@admin.register(User)
class UserAdmin(GovdataAdminMixin, DjangoUserAdmin, SimpleHistoryAdmin):
    """Users and their roles. Department liaison groups (`dept:<code>`) follow the department and
    the liaison role through services, so the groups widget offers the five roles only."""

    list_display = ("username", "full_name", "department", "roles", "is_staff", "is_active")
    list_select_related = ("department",)
    list_filter = (RoleListFilter, "is_staff", "is_active", "department")
    search_fields = ("username", "first_name", "last_name", "email")
    ordering = ("username",)
    autocomplete_fields = ("department",)
    filter_horizontal = ("groups",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email", "department")}),
        (_("Roles and access"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "usable_password", "password1", "password2", "department"),
            },
        ),
    )

    def get_queryset(self, request):
        roles = Group.objects.filter(name__in=Role.values).order_by("name")
        return super().get_queryset(request).prefetch_related(Prefetch("groups", queryset=roles, to_attr="role_groups"))

    def get_readonly_fields(self, request, obj=None):
        readonly = ["last_login", "date_joined"]
        if not request.user.is_superuser:
            # Only a superuser may make or unmake a superuser.
            readonly.append("is_superuser")
        return readonly

    def has_change_permission(self, request, obj=None):
        # An officer must not take over a superuser's account (password, roles).
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            kwargs["queryset"] = Group.objects.filter(name__in=Role.values).order_by("name")
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "groups":
            labels = dict(Role.choices)
            formfield.label = _("roles")
            formfield.label_from_instance = lambda group: labels.get(group.name, group.name)
        return formfield

    def service_save(self, request, obj, form, formsets, change):
        with transaction.atomic():
            services.user_set_department(user=obj, department=obj.department, actor=request.user)
            if "groups" in form.fields:
                form.save_m2m()
                # Setting the roles dropped the liaison group; it follows the liaison role and department.
                services.user_sync_department_membership(obj)

    @admin.display(description=_("name"))
    def full_name(self, obj):
        return obj.get_full_name()

    @admin.display(description=_("roles"))
    def roles(self, obj):
        labels = dict(Role.choices)
        return ", ".join(str(labels[g.name]) for g in getattr(obj, "role_groups", []))


# --- Systems and duties -------------------------------------------------------------------


@admin.register(InformationSystem)
class InformationSystemAdmin(GovdataModelAdmin):
    list_display = ("code", "name", "department", "status")
    list_select_related = ("department",)
    list_filter = ("status", "department")
    search_fields = ("^code", "name")
    ordering = ("code",)
    autocomplete_fields = ("department",)

    def service_save(self, request, obj, form, formsets, change):
        services.system_save(system=obj, actor=request.user)


@admin.register(Duty)
class DutyAdmin(GovdataModelAdmin):
    list_display = ("code", "name", "department", "origin", "power_kind", "system_count")
    list_select_related = ("department",)
    list_filter = ("origin", "power_kind", "department")
    search_fields = ("^code", "name")
    # Served by the (department, code) unique index.
    ordering = ("department", "code")
    autocomplete_fields = ("department", "systems")

    def get_queryset(self, request):
        through = Duty.systems.through.objects.all()
        return super().get_queryset(request).annotate(system_count=count_of(through, "duty"))

    @admin.display(description=_("systems"), ordering="system_count")
    def system_count(self, obj):
        return obj.system_count

    def service_save(self, request, obj, form, formsets, change):
        systems = list(form.cleaned_data["systems"]) if "systems" in form.cleaned_data else None
        services.duty_save(duty=obj, actor=request.user, systems=systems)


# --- Data elements ------------------------------------------------------------------------


@admin.register(DataElement)
class DataElementAdmin(GovdataModelAdmin):
    list_display = ("code", "name", "format", "confirmed_source", "open_claims")
    list_select_related = ()
    search_fields = ("^code", "name")
    ordering = ("code",)

    def get_queryset(self, request):
        confirmed = SourceAssignment.objects.filter(element=OuterRef("pk"), status=ClaimStatus.CONFIRMED)
        open_claims = SourceAssignment.objects.filter(status=ClaimStatus.CLAIMED)
        return (
            super()
            .get_queryset(request)
            .annotate(
                confirmed_source_name=Subquery(confirmed.values("department__name")[:1]),
                open_claim_count=count_of(open_claims, "element"),
            )
        )

    @admin.display(description=_("confirmed source"), empty_value=_("— none —"))
    def confirmed_source(self, obj):
        return obj.confirmed_source_name

    @admin.display(description=_("open claims"), ordering="open_claim_count")
    def open_claims(self, obj):
        return obj.open_claim_count

    def service_save(self, request, obj, form, formsets, change):
        services.element_save(element=obj, actor=request.user)


# --- Resources and their items ------------------------------------------------------------


def _classified(resource: DataResource) -> bool:
    """Whether the resource's share and open types are set, so item rules can be judged against it."""
    return resource.share_type in SHARE_RANK and resource.open_type in OPEN_RANK


class DataItemInlineForm(forms.ModelForm):
    def clean(self):
        cleaned_data = super().clean()
        resource = cleaned_data.get("resource")
        if resource is not None and not _classified(resource):
            # The resource form already reports its missing share / open type. Without the parent
            # attached, DataItem.clean skips the comparison it cannot make yet (and which would
            # fail on the blank value, see looser_than_resource_errors).
            del cleaned_data["resource"]
        return cleaned_data


class DataItemInlineFormSet(PrefetchedAutocompleteFormSet):
    def clean(self):
        super().clean()
        if any(self.errors) or not _classified(self.instance):
            return
        # The rules of a resource together with its items (就高从严), checked by the same
        # validator resource_save uses, so the message lands on this page.
        services.validate_resource_items(self.instance, items_after_edit(self))


def items_after_edit(formset) -> list[DataItem]:
    """The items a resource will have once this formset is saved (kept, changed and new rows)."""
    deleted = set(formset.deleted_forms) if formset.can_delete else set()
    return [
        form.instance
        for form in formset.forms
        if form not in deleted and (form.instance.pk is not None or form.has_changed())
    ]


class DataItemInline(ParentPermissionInlineMixin, PrefetchedAutocompleteInlineMixin, admin.TabularInline):
    model = DataItem
    form = DataItemInlineForm
    formset = DataItemInlineFormSet
    fields = (
        "code",
        "name",
        "data_type",
        "length",
        "security_grade",
        "personal_info",
        "share_type",
        "open_type",
        "is_core_item",
        "element",
    )
    autocomplete_fields = ("element",)
    extra = 1
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("id")


def _run_publish(*, obj, actor, reason):
    return services.resource_publish(resource=obj, actor=actor, reason=reason)


def _run_return(*, obj, actor, reason):
    return services.resource_return(resource=obj, actor=actor, reason=reason)


def _run_retire(*, obj, actor, reason):
    return services.resource_retire(resource=obj, actor=actor, reason=reason)


@admin.register(DataResource)
class DataResourceAdmin(GovdataModelAdmin):
    list_display = (
        "catalogue_code",
        "name",
        "department",
        "subject",
        "security_grade",
        "share_type",
        "open_type",
        "status",
        "item_count",
    )
    list_select_related = ("department",)
    list_filter = ("status", "department", "subject", "security_grade", "share_type")
    # Searched by text_search (get_search_results); the admin shows its box only when this is set.
    search_fields = ("catalogue_code", "name", "summary")
    search_help_text = _("Any part of the catalogue code, name or summary.")
    ordering = ("catalogue_code",)
    autocomplete_fields = ("department", "source_system", "duties")
    readonly_fields = ("status", "return_reason", "recommended_mode", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("catalogue_code", "name", "summary", "department", "source_system", "duties")}),
        (_("Classification"), {"fields": ("subject", "security_grade", "personal_info")}),
        (_("Sharing and opening"), {"fields": ("share_type", "share_conditions", "not_shared_basis", "open_type")}),
        (
            _("Supply"),
            {"fields": ("update_frequency", "format", "aggregation_mode", "recommended_mode")},
        ),
        (_("Workflow"), {"fields": ("status", "return_reason", "created_at", "updated_at")}),
    )
    inlines = (DataItemInline,)
    # get_absolute_url points back at this admin page; a "view on site" link would be a loop.
    view_on_site = False
    workflow_steps = (
        WorkflowStep(
            name="publish",
            label=_("Publish"),
            run=_run_publish,
            permission="catalog.publish_dataresource",
            from_statuses=(ResourceStatus.SUBMITTED,),
        ),
        WorkflowStep(
            name="return",
            label=_("Return to the department"),
            run=_run_return,
            permission="catalog.publish_dataresource",
            from_statuses=(ResourceStatus.SUBMITTED,),
            reason_required=True,
        ),
        WorkflowStep(
            name="retire",
            label=_("Retire"),
            run=_run_retire,
            permission="catalog.publish_dataresource",
            from_statuses=(ResourceStatus.PUBLISHED,),
            reason_required=True,
        ),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(item_count=count_of(DataItem.objects.all(), "resource"))

    def get_search_results(self, request, queryset, search_term):
        # The catalogue's own search, served by its gram index, instead of the stock OR of
        # icontains conditions that reads every resource.
        term = search_term.strip()
        if not term:
            return queryset, False
        return text_search(queryset, term, list(self.search_fields)), False

    @admin.display(description=_("items"), ordering="item_count")
    def item_count(self, obj):
        return obj.item_count

    def service_save(self, request, obj, form, formsets, change):
        item_formset = next((f for f in formsets if f.model is DataItem), None)
        duties = list(form.cleaned_data["duties"]) if "duties" in form.cleaned_data else None
        services.resource_save(
            resource=obj,
            actor=request.user,
            items=None if item_formset is None else items_after_edit(item_formset),
            deleted_items=() if item_formset is None else item_formset.deleted_objects,
            duties=duties,
        )


@admin.register(DataItem)
class DataItemAdmin(GovdataModelAdmin):
    list_display = (
        "code",
        "name",
        "resource",
        "data_type",
        "security_grade",
        "personal_info",
        "share_type",
        "open_type",
        "is_core_item",
        "element",
    )
    list_select_related = ("resource", "element")
    list_filter = ("security_grade", "personal_info", "share_type", "open_type", "is_core_item")
    search_fields = ("^code", "name", "^resource__catalogue_code")
    # Served by the (resource, code) unique index.
    ordering = ("resource", "code")
    autocomplete_fields = ("resource", "element")

    def get_readonly_fields(self, request, obj=None):
        # Moving an item to another resource would bypass both resources' rules.
        return ("resource",) if obj is not None else ()

    def service_save(self, request, obj, form, formsets, change):
        resource = obj.resource
        others = [i for i in resource.items.all() if i.pk != obj.pk]
        services.resource_save(resource=resource, actor=request.user, items=[*others, obj])

    def service_delete(self, request, obj):
        services.resource_save(resource=obj.resource, actor=request.user, deleted_items=[obj])


# --- One data, one source -----------------------------------------------------------------


def _run_confirm(*, obj, actor, reason):
    return services.source_confirm(assignment=obj, actor=actor, reason=reason)


def _run_reject(*, obj, actor, reason):
    return services.source_reject(assignment=obj, actor=actor, reason=reason)


@admin.register(SourceAssignment)
class SourceAssignmentAdmin(GovdataModelAdmin):
    """Claims are made (add) and decided (confirm / reject); nobody edits a claim afterwards."""

    list_display = ("element", "department", "resource", "status", "claimed_by", "claimed_at", "decided_by")
    list_select_related = ("element", "department", "resource", "claimed_by", "decided_by")
    list_filter = ("status", "department")
    search_fields = ("^element__code", "element__name", "department__name")
    # Newest claims first, served by the primary key.
    ordering = ("-pk",)
    autocomplete_fields = ("element", "department", "resource")
    fields = (
        "element",
        "department",
        "resource",
        "legal_basis",
        "status",
        "claimed_by",
        "claimed_at",
        "decided_by",
        "decided_at",
        "decision_reason",
    )
    workflow_steps = (
        WorkflowStep(
            name="confirm",
            label=_("Confirm as the source"),
            run=_run_confirm,
            permission="catalog.confirm_sourceassignment",
            from_statuses=(ClaimStatus.CLAIMED,),
        ),
        WorkflowStep(
            name="reject",
            label=_("Reject"),
            run=_run_reject,
            permission="catalog.confirm_sourceassignment",
            from_statuses=(ClaimStatus.CLAIMED, ClaimStatus.CONFIRMED),
            reason_required=True,
        ),
    )

    claim_fields = ("element", "department", "resource", "legal_basis")

    def get_fields(self, request, obj=None):
        return self.claim_fields if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.fields

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def service_save(self, request, obj, form, formsets, change):
        if change:
            raise ValidationError(_("A claim cannot be edited; confirm, reject or withdraw it instead."))
        claim = services.source_claim(
            element=obj.element,
            department=obj.department,
            actor=request.user,
            legal_basis=obj.legal_basis,
            resource=obj.resource,
        )
        adopt_saved(obj, claim)
