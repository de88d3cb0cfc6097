"""Shared building blocks for every ModelAdmin of govdata.

The admin is one more channel, so it follows the same rules as the portal and the API:
- which objects a user sees and may change is asked of `govdata.permissions` (never guardian's
  `GuardedModelAdmin` queryset path, which is ~20x slower at scale);
- every write goes through a service of the owning app, with the acting user on the history record;
- workflow steps are admin actions and change-form buttons that call the same service functions;
- list pages cost the same number of queries whatever the size of the table.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.utils import quote, unquote
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import ForeignKey, Model, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import DeletedObject, ModelChange, ModelDelta
from simple_history.utils import get_m2m_reverse_field_name

from govdata.permissions import can, has_model_permission, restrict
from govdata.timeline import shown_reason
from govdata.widgets import FastSelect

# --- Counting at scale --------------------------------------------------------------------


def adopt_saved(obj, saved) -> None:
    """Make the admin's unsaved instance the row a service created (for the redirect and the log)."""
    for f in saved._meta.concrete_fields:
        setattr(obj, f.attname, getattr(saved, f.attname))
    obj._state.adding, obj._state.db = False, saved._state.db


class EstimatedCountPaginator(Paginator):
    """A paginator that reads PostgreSQL's row estimate for unfiltered lists of large tables.

    `SELECT count(*)` over a few hundred thousand rows costs more than the page itself. When the
    list is the whole table (no filter, search or permission restriction), the planner's estimate
    in `pg_class.reltuples` is good enough to size the pagination. Small tables, filtered lists
    and other databases get an exact count.
    """

    # Below this many rows an exact count is cheap, and people notice when a small list is off.
    estimate_threshold = 10_000

    @cached_property
    def count(self):
        estimate = self._estimated_count()
        if estimate is not None and estimate >= self.estimate_threshold:
            return estimate
        return super().count

    def _estimated_count(self) -> int | None:
        qs = self.object_list
        if not isinstance(qs, QuerySet):
            return None
        query = qs.query
        if query.where or query.distinct or query.combinator or query.low_mark or query.high_mark is not None:
            return None
        connection = connections[qs.db]
        if connection.vendor != "postgresql":
            return None
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
                [connection.ops.quote_name(qs.model._meta.db_table)],
            )
            row = cursor.fetchone()
        # reltuples is -1 for a table that was never analysed.
        return row[0] if row and row[0] >= 0 else None


class ScaledChangeListMixin:
    """The switches that keep a changelist fast at 100,000 rows (see CONVENTIONS, Admin at scale)."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    # Subclasses set an explicit tuple; never let Django follow every foreign key it sees.
    list_select_related = ()


# --- Object permissions -------------------------------------------------------------------


def _has_object_permission_tables(model: type[Model]) -> bool:
    """Whether guardian keeps direct foreign-key grant tables for `model` (see permissions.py)."""
    return not (
        get_user_obj_perms_model(model).objects.is_generic() or get_group_obj_perms_model(model).objects.is_generic()
    )


def request_can(request, action: str, obj: Model) -> bool:
    """`permissions.can`, remembered for the rest of the request (a change form asks several times)."""
    cache = request.__dict__.setdefault("_govdata_can", {})
    key = (action, obj._meta.label_lower, obj.pk)
    if key not in cache:
        cache[key] = can(request.user, action, obj)
    return cache[key]


class ObjectPermissionAdminMixin:
    """Lists and object pages ask govdata.permissions, so admin shows a user what every channel shows.

    Models with object-permission tables (resources, items, duties, systems, source claims) are
    filtered by `restrict` and checked by `can`; reference data without such tables (departments,
    data elements, users, the ledger) needs the model permission only.
    """

    @cached_property
    def has_object_permissions(self) -> bool:
        return _has_object_permission_tables(self.model)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if self.has_object_permissions:
            return restrict(qs, request.user, "view")
        if has_model_permission(request.user, self.model, "view") or has_model_permission(
            request.user, self.model, "change"
        ):
            return qs
        return qs.none()

    def _allowed(self, request, action: str, obj) -> bool:
        if obj is None or not self.has_object_permissions:
            return has_model_permission(request.user, self.model, action)
        return request_can(request, action, obj)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, "view", obj) or self._allowed(request, "change", obj)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request, "delete", obj)


class FastChoicesMixin:
    """Choice fields drawn with FastSelect: a resource's ten item rows hold some sixty selects, and
    Django's one template render per <option> made up two thirds of the change form's time."""

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name not in self.radio_fields:
            kwargs.setdefault("widget", FastSelect)
        return super().formfield_for_choice_field(db_field, request, **kwargs)


class ParentPermissionInlineMixin(FastChoicesMixin):
    """Inline rows (a resource's items) may be edited by whoever may change the parent."""

    def _allowed(self, request, action: str, parent) -> bool:
        if not has_model_permission(request.user, self.model, action):
            return False
        return parent is None or request_can(request, "change", parent)

    def has_view_permission(self, request, obj=None):
        if obj is None:
            return has_model_permission(request.user, self.model, "view")
        return request_can(request, "view", obj) or request_can(request, "change", obj)

    def has_add_permission(self, request, obj=None):
        return self._allowed(request, "add", obj)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request, "delete", obj)


# --- History ------------------------------------------------------------------------------


def _m2m_history_rows(records, field) -> dict:
    """{history_id: [through rows]} for one many-to-many field, in the shape diff_against() gives."""
    through = getattr(records[0], field.name).model
    names = [f.name for f in through._meta.fields if f.editable and f.name not in ("id", "m2m_history_id", "history")]
    fk_names = [n for n in names if isinstance(through._meta.get_field(n), ForeignKey)]

    def value(row, name):
        related = getattr(row, name, None) if name in fk_names else getattr(row, name)
        if related is None and name in fk_names:
            meta = through._meta.get_field(name)
            return DeletedObject(meta.related_model, getattr(row, meta.attname))
        return related

    rows = (
        through.objects.filter(history__in=[r.history_id for r in records])
        .select_related(*fk_names)
        .order_by(get_m2m_reverse_field_name(field))
    )
    grouped = {}
    for row in rows:
        grouped.setdefault(row.history_id, []).append({name: value(row, name) for name in names})
    return grouped


class HistoryAdminMixin:
    """Every object gets simple-history's history page; its "revert" form is never applied.

    simple-history's version view saves whatever is POSTed to it even with
    SIMPLE_HISTORY_REVERT_DISABLED (it only hides the button), which would write past the services.
    """

    history_list_per_page = 50

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        """simple-history's deltas, with the many-to-many rows of the whole page fetched at once.

        The stock version queries each record's many-to-many history twice, so a history page
        of 50 versions of a resource would cost 100 queries more than a page of one.
        """
        records = list(historical_records)
        if not records:
            return
        m2m_fields = list(records[0]._history_m2m_fields)
        m2m_rows = {f.name: _m2m_history_rows(records, f) for f in m2m_fields}
        excluded = [f.name for f in m2m_fields]
        for newer, older in itertools.pairwise(records):
            delta = newer.diff_against(older, excluded_fields=excluded, foreign_keys_are_objs=foreign_keys_are_objs)
            changes = list(delta.changes)
            for name, rows in m2m_rows.items():
                old, new = rows.get(older.history_id, []), rows.get(newer.history_id, [])
                if old != new:
                    changes.append(ModelChange(name, old, new))
            changes.sort(key=lambda change: change.field)
            delta = ModelDelta(changes, [c.field for c in changes], older, newer)
            helper = self.get_historical_record_context_helper(request, newer)
            newer.history_delta_changes = helper.context_for_delta_changes(delta)
        label = self.model._meta.label_lower
        for record in records:
            # For display only (these rows are never saved): a step stored as its bare code reads
            # as its translated label, as on the audit pages.
            record.history_change_reason = shown_reason(label, record.history_change_reason or "")

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied(_("Reverting to an earlier version is disabled."))
        return super().history_form_view(request, object_id, version_id, extra_context)


# --- Writes through the service layer -----------------------------------------------------


class ServiceRefused(Exception):
    """A service refused an admin save; carries the service's ValidationError or PermissionDenied."""

    def __init__(self, error: Exception):
        super().__init__(str(error))
        self.error = error


def refusal_messages(error: Exception) -> list[str]:
    if isinstance(error, ValidationError):
        return [str(m) for m in error.messages]
    return [str(error) or str(_("You may not do this."))]


def add_refusal_to_form(form: forms.BaseForm, error: Exception) -> None:
    """Show a service's refusal on the form: on the named fields where the form has them."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, refusal_messages(error))


class ServiceSaveAdminMixin:
    """Admin edits are written by the service layer, in one call per save.

    Django calls save_model and then save_related; the write is deferred to save_related so the
    service receives the object, the inline rows (with deletions) and the many-to-many values
    together and saves them all or nothing. Forms validate with the services' own validators so
    messages show on the page; should a service still refuse, the same POST is rendered again with
    the service's message on the form (the first attempt's transaction is rolled back).

    Subclasses implement `service_save`; `service_delete` is optional (without it nobody may delete).
    """

    def service_save(self, request, obj, form, formsets, change: bool) -> None:
        raise NotImplementedError

    service_delete: Callable | None = None

    def save_model(self, request, obj, form, change):
        """Deferred to save_related, which has the inline rows and the many-to-many values too."""

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            # Only fills new_objects / changed_objects / deleted_objects for the change message;
            # commit=False writes nothing.
            formset.save(commit=False)
        try:
            self.service_save(request, form.instance, form, formsets, change)
        except (ValidationError, PermissionDenied) as exc:
            raise ServiceRefused(exc) from exc

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refused:
            request._govdata_service_refusal = refused.error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)
        refusal = getattr(request, "_govdata_service_refusal", None)
        if refusal is None:
            return form_class

        class RefusedForm(form_class):
            def clean(self):
                cleaned_data = super().clean()
                add_refusal_to_form(self, refusal)
                return cleaned_data

        RefusedForm.__name__ = form_class.__name__
        return RefusedForm

    def has_delete_permission(self, request, obj=None):
        return self.service_delete is not None and super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        try:
            self.service_delete(request, obj)
        except (ValidationError, PermissionDenied) as exc:
            raise ServiceRefused(exc) from exc

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceRefused as refused:
            for message in refusal_messages(refused.error):
                self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(request.path)

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Bulk deletion would bypass the per-object service; objects are deleted one at a time.
        actions.pop("delete_selected", None)
        return actions


# --- Workflow steps: admin actions and change-form buttons --------------------------------


@dataclass(frozen=True)
class WorkflowStep:
    """One workflow step offered in the admin, performed by a service function.

    `run(obj=, actor=, reason=)` calls the service; `from_statuses` are the states in which the
    change form offers the button (the service still decides); `permission` is the model
    permission that shows the step at all.
    """

    name: str
    label: str
    run: Callable
    permission: str
    from_statuses: tuple = ()
    reason_required: bool = False
    status_field: str = "status"
    help_text: str = ""


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        max_length=4000,
        required=False,
    )

    def __init__(self, *args, step: WorkflowStep, **kwargs):
        super().__init__(*args, **kwargs)
        reason = self.fields["reason"]
        reason.required = step.reason_required
        reason.error_messages["required"] = _("Please state a reason for this step.")
        reason.help_text = step.help_text or (
            _("Required. It is recorded in the change history and in the ledger.")
            if step.reason_required
            else _("Optional. It is recorded in the change history and in the ledger.")
        )


class WorkflowAdminMixin:
    """Admin actions and change-form buttons for workflow steps, with an intermediate reason page.

    Each selected object is passed to the service on its own: a refused object (wrong state, no
    permission, missing reason) is reported with the service's message and left unchanged, and
    the others go ahead. A service does one object's step all or nothing.
    """

    workflow_steps: tuple[WorkflowStep, ...] = ()
    # One request runs one service call per object; beyond this, ask the user to narrow the list.
    workflow_max_objects = 500
    workflow_template = "admin/govdata/workflow_reason.html"
    change_form_template = "admin/govdata/change_form.html"

    def _step(self, name: str) -> WorkflowStep | None:
        return next((s for s in self.workflow_steps if s.name == name), None)

    def has_step_permission(self, request, step: WorkflowStep) -> bool:
        return request.user.is_active and request.user.has_perm(step.permission)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.actions is None or IS_POPUP_VAR in request.GET:
            return actions
        for step in self.workflow_steps:
            if self.has_step_permission(request, step):
                name = f"workflow_{step.name}"
                actions[name] = (self._action_for(step), name, step.label)
        return actions

    def _action_for(self, step: WorkflowStep):
        def action(modeladmin, request, queryset):
            return modeladmin.workflow_action(request, queryset, step)

        action.__name__ = f"workflow_{step.name}"
        return action

    def workflow_action(self, request, queryset, step: WorkflowStep):
        objects = list(queryset[: self.workflow_max_objects + 1])
        if len(objects) > self.workflow_max_objects:
            self.message_user(
                request,
                _("Select at most %(count)d objects for one workflow step.") % {"count": self.workflow_max_objects},
                messages.WARNING,
            )
            return None
        form = ReasonForm(request.POST if "apply" in request.POST else None, step=step)
        if form.is_bound and form.is_valid():
            self.apply_step(request, objects, step, form.cleaned_data["reason"])
            return None
        return self.render_workflow_page(request, objects, step, form, action_name=f"workflow_{step.name}")

    def workflow_view(self, request, object_id, step_name):
        step = self._step(step_name)
        if step is None:
            raise Http404
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(_("This object does not exist or you may not see it."))
        if not self.has_step_permission(request, step):
            raise PermissionDenied
        change_url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=[quote(obj.pk)],
            current_app=self.admin_site.name,
        )
        form = ReasonForm(request.POST if request.method == "POST" else None, step=step)
        if form.is_bound and form.is_valid():
            self.apply_step(request, [obj], step, form.cleaned_data["reason"])
            return HttpResponseRedirect(change_url)
        return self.render_workflow_page(request, [obj], step, form, cancel_url=change_url)

    def apply_step(self, request, objects: Iterable[Model], step: WorkflowStep, reason: str) -> None:
        done, refused = 0, []
        for obj in objects:
            try:
                step.run(obj=obj, actor=request.user, reason=reason)
            except (ValidationError, PermissionDenied) as exc:
                refused.append((obj, " ".join(refusal_messages(exc))))
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext(
                    "%(step)s: done for %(count)d object.",
                    "%(step)s: done for %(count)d objects.",
                    done,
                )
                % {"step": step.label, "count": done},
                messages.SUCCESS,
            )
        for obj, message in refused:
            self.message_user(
                request,
                _("%(step)s refused for “%(object)s”: %(message)s")
                % {"step": step.label, "object": obj, "message": message},
                messages.ERROR,
            )

    def render_workflow_page(self, request, objects, step, form, *, action_name="", cancel_url=""):
        opts = self.opts
        context = {
            **self.admin_site.each_context(request),
            "title": step.label,
            "opts": opts,
            "app_label": opts.app_label,
            "objects": objects,
            "step": step,
            "form": form,
            "action_name": action_name,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "cancel_url": cancel_url or request.get_full_path(),
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.workflow_template, context)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/workflow/<str:step_name>/",
                self.admin_site.admin_view(self.workflow_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_workflow",
            ),
            *super().get_urls(),
        ]

    def workflow_buttons(self, request, obj) -> list[dict]:
        if obj is None or obj.pk is None:
            return []
        return [
            {
                "label": step.label,
                "url": reverse(
                    f"admin:{self.opts.app_label}_{self.opts.model_name}_workflow",
                    args=[quote(obj.pk), step.name],
                    current_app=self.admin_site.name,
                ),
            }
            for step in self.workflow_steps
            if getattr(obj, step.status_field) in step.from_statuses and self.has_step_permission(request, step)
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["workflow_buttons"] = self.workflow_buttons(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)


# --- Autocomplete inside inline formsets --------------------------------------------------


class _SelectedLabels:
    """The labels of the values selected in one field across a formset, fetched in one query."""

    def __init__(self, queryset: QuerySet, to_field: str, label: Callable):
        self.queryset, self.to_field, self.label_of = queryset, to_field, label
        self.wanted: set[str] = set()
        self._labels: dict[str, str] | None = None

    def want(self, value) -> None:
        if value not in (None, ""):
            self.wanted.add(str(value))
            self._labels = None

    def label(self, value: str) -> str | None:
        if self._labels is None:
            rows = self.queryset.filter(**{f"{self.to_field}__in": self.wanted}) if self.wanted else ()
            self._labels = {str(getattr(o, self.to_field)): self.label_of(o) for o in rows}
        return self._labels.get(value)


class PrefetchedAutocompleteSelect(AutocompleteSelect):
    """AutocompleteSelect that takes its selected label from a formset-wide lookup.

    The stock widget queries the selected option once per rendered form, so a resource with 50
    items would cost 50 queries; the formset fills one `_SelectedLabels` for all its rows.
    """

    selected_labels: _SelectedLabels | None = None

    def optgroups(self, name, value, attr=None):
        if self.selected_labels is None:
            return super().optgroups(name, value, attr)
        default = (None, [], 0)
        selected = {str(v) for v in value if str(v) not in self.choices.field.empty_values}
        if not self.is_required:
            default[1].append(self.create_option(name, "", "", False, 0))
        for option_value in sorted(selected):
            label = self.selected_labels.label(option_value)
            if label is not None:
                default[1].append(self.create_option(name, option_value, label, selected, len(default[1])))
        return [default]


class PrefetchedAutocompleteFormSet(BaseInlineFormSet):
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        lookups = self.__dict__.setdefault("_selected_labels", {})
        for name, form_field in form.fields.items():
            widget = getattr(form_field.widget, "widget", form_field.widget)
            if not isinstance(widget, PrefetchedAutocompleteSelect):
                continue
            if name not in lookups:
                to_field = widget.field.remote_field.model._meta.pk.attname
                lookups[name] = _SelectedLabels(form_field.queryset, to_field, form_field.label_from_instance)
            widget.selected_labels = lookups[name]
            lookups[name].want(form[name].value())
        return form


class PrefetchedAutocompleteInlineMixin:
    """Use on inlines with autocomplete_fields: one query per field for all rows, not one per row."""

    formset = PrefetchedAutocompleteFormSet

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request) and "widget" not in kwargs:
            kwargs["widget"] = PrefetchedAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --- The bases every ModelAdmin of ours starts from ----------------------------------------


class GovdataAdminMixin(
    FastChoicesMixin,
    WorkflowAdminMixin,
    ServiceSaveAdminMixin,
    ObjectPermissionAdminMixin,
    HistoryAdminMixin,
    ScaledChangeListMixin,
):
    """Permissions, service saves, workflow steps, history and changelists that scale."""


class GovdataModelAdmin(GovdataAdminMixin, SimpleHistoryAdmin):
    pass


class ReadOnlyModelAdmin(ScaledChangeListMixin, ObjectPermissionAdminMixin, admin.ModelAdmin):
    """For records nobody edits by hand (the ledger): view only, even for superusers."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


class ReadOnlyHistoryAdmin(GovdataModelAdmin):
    """Records written by one channel only (the portal, the API, the services): shown with their
    history and workflow steps, never edited by hand."""

    readonly_extras: tuple[str, ...] = ()

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [*(f.name for f in self.model._meta.fields), *self.readonly_extras]


class ChangelistSummaryMixin:
    """A summary box above the changelist, computed from the same filtered queryset as the list."""

    change_list_template = "admin/govdata/change_list_summary.html"

    def changelist_summary(self, request, queryset):
        raise NotImplementedError

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context is not None and "cl" in context:
            context["changelist_summary"] = self.changelist_summary(request, context["cl"].queryset)
        return response


# The dashboard's own admin pages (aggregation policy, snapshots) register when this module is
# autodiscovered; they live beside the dashboard code.
from . import dashboard_admin  # noqa: E402, F401
