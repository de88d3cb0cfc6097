"""The department liaison portal: thin views over catalog.selectors (reads) and catalog.services (writes).

Objects outside the user's reach are 404 because the selectors never return them; a refusal by a
service (PermissionDenied) becomes Django's 403 page; a ValidationError is shown on the form.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govdata.pagination import paginate
from govdata.permissions import has_model_permission, has_role
from govdata.roles import Role

from . import selectors, services
from .choices import ResourceStatus
from .forms import (
    CatalogueFilterForm,
    ClaimFilterForm,
    ClaimForm,
    DutyFilterForm,
    DutyForm,
    ElementFilterForm,
    ItemFormSet,
    NewItemFormSet,
    ReasonForm,
    ResourceFilterForm,
    ResourceForm,
    SearchForm,
    SystemForm,
    WithdrawForm,
)
from .models import DataElement, DataItem, DataResource, Duty, InformationSystem

PAGE_SIZE = 25


# --- Helpers ------------------------------------------------------------------------------


def _add_service_error(form, exc: ValidationError) -> None:
    """Show a service's refusal on the form: on the field it names when the form has one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _concurrent_change_error(form) -> None:
    form.add_error(None, _("Someone saved a conflicting change at the same time. Check the values and save again."))


def _no_department_page(request, status):
    user = request.user
    context = {
        "is_officer": has_role(user, Role.OFFICER),
        "is_auditor": has_role(user, Role.AUDITOR),
        "is_liaison": has_role(user, Role.LIAISON),
    }
    return render(request, "portal/no_department.html", context, status=status)


def department_page(view):
    """Pages about the user's own department: signed-in liaisons of a department only."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if selectors.portal_department_id(request.user) is None:
            return _no_department_page(request, status=403)
        return view(request, *args, **kwargs)

    return wrapper


# --- Dashboard ----------------------------------------------------------------------------


@login_required
def dashboard(request):
    if selectors.portal_department_id(request.user) is None:
        # Operator and audit-firm staff have no department: their home is the operations pages.
        # Imported here because operations builds on catalog, not the other way round.
        from operations.views import home_url

        if home := home_url(request.user):
            return redirect(home)
        # The landing page after sign-in: officers and auditors are told where their work is.
        return _no_department_page(request, status=200)
    # Read through the sharing app's selectors; imported here because sharing builds on catalog.
    from sharing.selectors import agreement_counts

    user = request.user
    inbox = selectors.inbox(user)
    context = {
        "agreement_counts": agreement_counts(user),
        "resource_counts": selectors.resource_counts(user),
        "duty_counts": selectors.duty_counts(user),
        "claim_counts": selectors.claim_counts(user),
        "duplicate_count": selectors.duplicate_collection(user).count(),
        "inbox": inbox,
        "inbox_shown": len(inbox["returned"]) + len(inbox["drafts"]),
        "today": timezone.localdate(),
    }
    return render(request, "portal/dashboard.html", context)


# --- Resources ----------------------------------------------------------------------------


@department_page
def resource_list(request):
    filters = ResourceFilterForm(request.GET)
    resources = selectors.department_resource_list(
        request.user, status=filters.value("status"), query=filters.value("q")
    )
    return render(
        request, "catalog/resource_list.html", {"page": paginate(request, resources, PAGE_SIZE), "filters": filters}
    )


def _resource_page(request, resource, *, creating):
    formset_class = NewItemFormSet if creating else ItemFormSet
    items = DataItem.objects.none() if creating else selectors.resource_items(resource)
    # Read before the resource form is bound: validating it writes the posted values onto the resource.
    formset_options = {"queryset": items, "prefix": "items", "new_item_share_type": resource.share_type}
    if request.method == "POST":
        form = ResourceForm(request.POST, instance=resource, user=request.user)
        formset = formset_class(request.POST, instance=form.instance, **formset_options)
        # The form first: the formset's cross-item rule reads the resource's new values.
        form_valid = form.is_valid()
        if formset.is_valid() and form_valid:
            try:
                services.resource_save(
                    resource=form.instance,
                    actor=request.user,
                    items=formset.items_after_edit(),
                    deleted_items=formset.items_to_delete(),
                    duties=list(form.cleaned_data["duties"]),
                )
            except ValidationError as exc:
                _add_service_error(form, exc)
            except IntegrityError:
                _concurrent_change_error(form)
            else:
                messages.success(request, _("The data resource was saved."))
                return redirect("portal:resource_detail", pk=form.instance.pk)
    else:
        form = ResourceForm(instance=resource, user=request.user)
        formset = formset_class(instance=resource, **formset_options)
    context = {
        "form": form,
        "formset": formset,
        "resource": resource,
        "creating": creating,
        "elements": selectors.elements(request.user).only("code", "name").order_by("code"),
    }
    return render(request, "catalog/resource_form.html", context)


@department_page
def resource_create(request):
    return _resource_page(request, DataResource(department_id=request.user.department_id), creating=True)


def _resource_detail(request, resource, *, revise_form=None, status=200):
    items = selectors.items_with_sources(selectors.resource_items(resource), resource.department_id)
    context = {
        "resource": resource,
        "items": items,
        "duties": selectors.resource_duties(resource),
        "duplicates": [i for i in items if i.collected_elsewhere],
        "revise_form": revise_form or ReasonForm(),
    }
    return render(request, "catalog/resource_detail.html", context, status=status)


@department_page
def resource_detail(request, pk):
    return _resource_detail(request, selectors.department_resource(request.user, pk))


@department_page
def resource_edit(request, pk):
    resource = selectors.department_resource(request.user, pk, "change")
    if resource.status != ResourceStatus.DRAFT:
        # Only drafts change; the read-only page offers the way back (a revision).
        if request.method == "POST":
            messages.error(request, _("Only drafts can be edited. Start a revision of a published resource first."))
        return _resource_detail(request, resource)
    return _resource_page(request, resource, creating=False)


@department_page
@require_POST
def resource_submit(request, pk):
    resource = selectors.department_resource(request.user, pk, "change")
    try:
        services.resource_submit(resource=resource, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Submitted. The bureau will review it and publish it or return it to you."))
    return redirect("portal:resource_detail", pk=resource.pk)


@department_page
@require_POST
def resource_revise(request, pk):
    resource = selectors.department_resource(request.user, pk, "change")
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.resource_revise(resource=resource, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            _add_service_error(form, exc)
        else:
            messages.success(
                request, _("The resource is a draft again. Make your changes, then submit it for publication.")
            )
            return redirect("portal:resource_edit", pk=resource.pk)
    return _resource_detail(request, resource, revise_form=form)


# --- Duties and systems -------------------------------------------------------------------


@department_page
def duty_list(request):
    filters = DutyFilterForm(request.GET)
    duties = selectors.department_duty_list(request.user, query=filters.value("q"), gap=filters.value("gap"))
    return render(request, "catalog/duty_list.html", {"page": paginate(request, duties, PAGE_SIZE), "filters": filters})


def _duty_page(request, duty, *, creating):
    form = DutyForm(request.POST or None, instance=duty, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.duty_save(duty=form.instance, actor=request.user, systems=list(form.cleaned_data["systems"]))
        except ValidationError as exc:
            _add_service_error(form, exc)
        except IntegrityError:
            _concurrent_change_error(form)
        else:
            messages.success(request, _("The duty was saved."))
            return redirect("portal:duty_list")
    return render(request, "catalog/duty_form.html", {"form": form, "duty": duty, "creating": creating})


@department_page
def duty_create(request):
    return _duty_page(request, Duty(department_id=request.user.department_id), creating=True)


@department_page
def duty_edit(request, pk):
    return _duty_page(request, selectors.department_duty(request.user, pk, "change"), creating=False)


@department_page
def system_list(request):
    filters = SearchForm(request.GET)
    systems = selectors.department_system_list(request.user, query=filters.value("q"))
    return render(
        request, "catalog/system_list.html", {"page": paginate(request, systems, PAGE_SIZE), "filters": filters}
    )


def _system_page(request, system, *, creating):
    form = SystemForm(request.POST or None, instance=system)
    if request.method == "POST" and form.is_valid():
        try:
            services.system_save(system=form.instance, actor=request.user)
        except ValidationError as exc:
            _add_service_error(form, exc)
        except IntegrityError:
            _concurrent_change_error(form)
        else:
            messages.success(request, _("The information system was saved."))
            return redirect("portal:system_list")
    return render(request, "catalog/system_form.html", {"form": form, "system": system, "creating": creating})


@department_page
def system_create(request):
    return _system_page(request, InformationSystem(department_id=request.user.department_id), creating=True)


@department_page
def system_edit(request, pk):
    return _system_page(request, selectors.department_system(request.user, pk, "change"), creating=False)


# --- The published catalogue --------------------------------------------------------------


def may_open_catalogue(user) -> bool:
    """The published catalogue is for those who read resources: liaisons, the bureau, auditors.

    Operators' and audit firms' staff work on their licences and audits, not on the catalogue.
    """
    return has_model_permission(user, DataResource, "view")


def catalogue_page(view):
    """Pages of the published catalogue: anonymous visitors sign in, other roles get a 403."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not may_open_catalogue(request.user):
            raise PermissionDenied(_("The catalogue is for the departments, the data bureau and its auditors."))
        return view(request, *args, **kwargs)

    return wrapper


@catalogue_page
def catalogue_list(request):
    filters = CatalogueFilterForm(request.GET)
    resources = selectors.catalogue_search(
        request.user,
        query=filters.value("q"),
        department=filters.value("department"),
        subject=filters.value("subject"),
        share_type=filters.value("share_type"),
        security_grade=filters.value("security_grade"),
    )
    return render(
        request, "catalog/catalogue_list.html", {"page": paginate(request, resources, PAGE_SIZE), "filters": filters}
    )


@catalogue_page
def catalogue_detail(request, pk):
    resource = selectors.catalogue_resource(request.user, pk)
    own_department = selectors.portal_department_id(request.user)
    items = selectors.items_with_sources(selectors.resource_items(resource), resource.department_id)
    context = {
        "resource": resource,
        "items": items,
        "is_own": own_department == resource.department_id,
    }
    return render(request, "catalog/catalogue_detail.html", context)


# --- One data, one source -----------------------------------------------------------------


@department_page
def element_list(request):
    filters = ElementFilterForm(request.GET)
    found = selectors.element_list(request.user, query=filters.value("q"), state=filters.value("state"))
    context = {
        "page": paginate(request, found, PAGE_SIZE),
        "filters": filters,
        "department_id": request.user.department_id,
    }
    return render(request, "catalog/element_list.html", context)


@department_page
def element_claim(request, pk):
    element: DataElement = selectors.element(request.user, pk)
    form = ClaimForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.source_claim(
                element=element,
                department=request.user.department,
                actor=request.user,
                legal_basis=form.cleaned_data["legal_basis"],
                resource=form.cleaned_data["resource"],
            )
        except ValidationError as exc:
            _add_service_error(form, exc)
        else:
            messages.success(request, _("Your claim was recorded. The bureau will confirm one source per element."))
            return redirect("portal:claim_list")
    context = {
        "element": element,
        "form": form,
        "open_claims": selectors.element_open_claims(element),
    }
    return render(request, "catalog/element_claim.html", context)


@department_page
def claim_list(request):
    filters = ClaimFilterForm(request.GET)
    state = (filters.cleaned_data.get("state") if filters.is_valid() else "") or "open"
    claims = selectors.department_claim_list(request.user, state=state)
    return render(
        request, "catalog/claim_list.html", {"page": paginate(request, claims, PAGE_SIZE), "filters": filters}
    )


@department_page
@require_POST
def claim_withdraw(request, pk):
    claim = selectors.department_claim(request.user, pk)
    form = WithdrawForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.source_withdraw(assignment=claim, actor=request.user, reason=reason)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your claim on %(element)s was withdrawn.") % {"element": claim.element})
    return redirect("portal:claim_list")


@department_page
def duplicate_list(request):
    page = paginate(request, selectors.duplicate_collection(request.user), PAGE_SIZE)
    page.object_list = selectors.items_with_sources(page.object_list, request.user.department_id)
    return render(request, "catalog/duplicate_list.html", {"page": page})
