"""The share-agreement pages of the portal: thin views over sharing.selectors and sharing.services.

An agreement outside the user's reach is 404 on every page and action (the selectors never return
it). A step the user's side may not take is refused by the service (PermissionDenied: 403); a
refused transition or bad input (ValidationError) is shown on the page. Officers and auditors read
agreements here; the bureau takes its own steps in the administration site.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import selectors as catalog_selectors
from catalog.views import department_page
from govdata.pagination import paginate
from govdata.permissions import has_object_grant

from . import selectors, services
from .choices import AGREEMENT_TRANSITIONS, AgreementStatus
from .forms import (
    SAVE_AND_SUBMIT,
    SAVE_DRAFT,
    AgreementFilterForm,
    AgreementForm,
    ApproveForm,
    ReasonForm,
    ResourceSearchForm,
)
from .models import ShareAgreement

PAGE_SIZE = 25
USAGE_PAGE_SIZE = 20
# States an agreement can only reach after being in force: its usage is worth listing.
IN_FORCE_ONCE = (AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED, AgreementStatus.REVOKED, AgreementStatus.EXPIRED)


def _add_service_error(form, exc: ValidationError) -> None:
    """Show a service's refusal on the form: on the field it names when the form has one."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _allows(step: str, agreement: ShareAgreement) -> bool:
    """Does the state machine allow `step` from the agreement's status?"""
    return agreement.status in AGREEMENT_TRANSITIONS[step][0]


# --- The list -------------------------------------------------------------------------------

SIDES = (selectors.SIDE_REQUESTED, selectors.SIDE_RECEIVED)


@login_required
def agreement_list(request):
    user = request.user
    department_id = catalog_selectors.portal_department_id(user)
    side = request.GET.get("side", "")
    if side not in SIDES or department_id is None:
        side = ""
    filters = AgreementFilterForm(request.GET)
    agreements = selectors.agreement_list(user, side=side, status=filters.value("status"), query=filters.value("q"))
    context = {
        "page": paginate(request, agreements, PAGE_SIZE),
        "filters": filters,
        "side": side,
        "department_id": department_id,
        "counts": selectors.agreement_counts(user) if department_id else None,
    }
    return render(request, "sharing/agreement_list.html", context)


# --- Requesting data ------------------------------------------------------------------------


def _resource_step(request):
    """Step 1: choose the published resource of another department."""
    search = ResourceSearchForm(request.GET, user=request.user)
    resources = selectors.requestable_resources(
        request.user, query=search.value("q"), department=search.value("department")
    )
    context = {"search": search, "page": paginate(request, resources, PAGE_SIZE)}
    return render(request, "sharing/agreement_pick_resource.html", context)


def _agreement_page(request, agreement: ShareAgreement, *, chosen_resource, creating: bool):
    """Step 2 (and the edit page of a draft): the request form, saved as a draft or submitted."""
    action = SAVE_AND_SUBMIT if request.POST.get("action") == SAVE_AND_SUBMIT else SAVE_DRAFT
    form = AgreementForm(
        request.POST if request.method == "POST" else None,
        instance=agreement,
        user=request.user,
        provider=agreement.provider,
        chosen_resource=chosen_resource,
        action=action,
    )
    if request.method == "POST" and form.is_valid():
        try:
            # Saving and submitting in one click is all or nothing: a refused submission leaves
            # neither a new draft nor a half-edited one behind.
            with transaction.atomic():
                saved = services.agreement_save(
                    agreement=form.instance, actor=request.user, items=list(form.cleaned_data["items"])
                )
                if action == SAVE_AND_SUBMIT:
                    services.agreement_submit(agreement=saved, actor=request.user)
        except ValidationError as exc:
            if creating:
                # The rolled-back row does not exist: the page must not treat the instance as saved.
                form.instance.pk, form.instance.number = None, ""
                form.instance._state.adding = True
            _add_service_error(form, exc)
        else:
            if action == SAVE_AND_SUBMIT:
                messages.success(
                    request,
                    _("Request %(number)s was submitted to %(provider)s. It must decide by %(due)s.")
                    % {"number": saved.number, "provider": saved.provider.name, "due": saved.decision_due},
                )
            else:
                messages.success(
                    request,
                    _("Request %(number)s was saved as a draft. Submit it when it is complete.")
                    % {"number": saved.number},
                )
            return redirect("portal:agreement_detail", pk=saved.pk)
    context = {"form": form, "agreement": agreement, "creating": creating, "chosen_resource": chosen_resource}
    return render(request, "sharing/agreement_form.html", context)


@department_page
def agreement_create(request):
    raw = request.GET.get("resource", "")
    if not raw:
        return _resource_step(request)
    if not raw.isdigit():
        raise Http404
    resource = get_object_or_404(catalog_selectors.catalogue(request.user).select_related("department"), pk=int(raw))
    if resource.department_id == request.user.department_id:
        messages.info(request, _("This resource is your own department's: it needs no share agreement."))
        return redirect("portal:agreement_create")
    return _agreement_page(
        request, ShareAgreement(provider=resource.department), chosen_resource=resource, creating=True
    )


@department_page
def agreement_edit(request, pk):
    agreement = selectors.visible_agreement(request.user, pk)
    if not has_object_grant(request.user, "change", agreement):
        raise PermissionDenied(_("Only the requesting department edits its request."))
    if agreement.status != AgreementStatus.DRAFT:
        messages.error(request, _("Only a draft request can be edited."))
        return redirect("portal:agreement_detail", pk=agreement.pk)
    groups = selectors.items_by_resource(agreement)
    chosen = groups[0][0] if groups else None
    return _agreement_page(request, agreement, chosen_resource=chosen, creating=False)


# --- One agreement --------------------------------------------------------------------------


def _detail(request, agreement: ShareAgreement, *, bound: dict | None = None, status: int = 200):
    user = request.user
    in_portal = catalog_selectors.portal_department_id(user) is not None
    # The same grants the services check (sharing.services._acts_for): they decide which side acts.
    is_requester = in_portal and has_object_grant(user, "change", agreement)
    is_provider = in_portal and has_object_grant(user, "decide", agreement)
    skipped = selectors.provider_step_skipped(agreement)
    usage = paginate(request, selectors.agreement_usage(agreement), USAGE_PAGE_SIZE, "usage_page")
    context = {
        "agreement": agreement,
        "groups": selectors.items_by_resource(agreement),
        "timeline": selectors.agreement_timeline(agreement),
        "usage": usage,
        # Before an agreement is in force there is no use to list (unless one was refused).
        "show_usage": bool(usage.paginator.count) or agreement.status in IN_FORCE_ONCE,
        "overdue": selectors.is_overdue(agreement),
        "provider_step_skipped": skipped,
        "is_requester": is_requester,
        "is_provider": is_provider,
        "can_edit": is_requester and agreement.status == AgreementStatus.DRAFT,
        "can_submit": is_requester and _allows("submit", agreement),
        "can_withdraw": is_requester and _allows("withdraw", agreement),
        "can_decide": is_provider and _allows("provider_approve", agreement) and not skipped,
        "can_revoke": is_provider and _allows("revoke_by_provider", agreement),
        "withdraw_form": ReasonForm(
            prefix="withdraw", help_text=_("Tell the provider why the request is no longer needed.")
        ),
        "approve_form": ApproveForm(prefix="approve", user=user),
        "reject_form": ReasonForm(prefix="reject", help_text=_("The requesting department sees this reason.")),
        "revoke_form": ReasonForm(
            prefix="revoke", help_text=_("Say why the data may no longer be used; the bureau is informed.")
        ),
        "open_form": "",
        "today": timezone.localdate(),
    }
    for key, form in (bound or {}).items():
        context[key] = form
        context["open_form"] = key
    return render(request, "sharing/agreement_detail.html", context, status=status)


@login_required
def agreement_detail(request, pk):
    return _detail(request, selectors.visible_agreement(request.user, pk))


# --- Steps (POST only) ----------------------------------------------------------------------


def agreement_step(view):
    """A workflow step taken from the portal: signed-in department liaisons only (the bureau acts
    in the administration site). POST only, checked after visibility in _take_step."""
    return department_page(view)


def _take_step(request, pk, *, form_key: str = "", form=None, run, done: str):
    # Visibility first: an agreement of other departments is 404 whatever the method.
    agreement = selectors.visible_agreement(request.user, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if form is not None and not form.is_valid():
        return _detail(request, agreement, bound={form_key: form})
    try:
        run(agreement, form.cleaned_data if form is not None else {})
    except ValidationError as exc:
        if form is None:
            messages.error(request, " ".join(exc.messages))
            return redirect("portal:agreement_detail", pk=agreement.pk)
        _add_service_error(form, exc)
        return _detail(request, agreement, bound={form_key: form})
    messages.success(request, done)
    return redirect("portal:agreement_detail", pk=agreement.pk)


@agreement_step
def agreement_submit(request, pk):
    return _take_step(
        request,
        pk,
        run=lambda a, _data: services.agreement_submit(agreement=a, actor=request.user),
        done=_("The request was submitted to the providing department."),
    )


@agreement_step
def agreement_withdraw(request, pk):
    return _take_step(
        request,
        pk,
        form_key="withdraw_form",
        form=ReasonForm(request.POST, prefix="withdraw"),
        run=lambda a, data: services.agreement_withdraw(agreement=a, actor=request.user, reason=data["reason"]),
        done=_("The request was withdrawn."),
    )


@agreement_step
def agreement_approve(request, pk):
    return _take_step(
        request,
        pk,
        form_key="approve_form",
        form=ApproveForm(request.POST, prefix="approve"),
        run=lambda a, data: services.agreement_provider_approve(
            agreement=a, actor=request.user, reason=data["reason"], contact=data["contact"]
        ),
        done=_("You approved the request. The data bureau gives the final approval."),
    )


@agreement_step
def agreement_reject(request, pk):
    return _take_step(
        request,
        pk,
        form_key="reject_form",
        form=ReasonForm(request.POST, prefix="reject"),
        run=lambda a, data: services.agreement_provider_reject(agreement=a, actor=request.user, reason=data["reason"]),
        done=_("You rejected the request. The requesting department sees your reason."),
    )


@agreement_step
def agreement_revoke(request, pk):
    return _take_step(
        request,
        pk,
        form_key="revoke_form",
        form=ReasonForm(request.POST, prefix="revoke"),
        run=lambda a, data: services.agreement_revoke(agreement=a, actor=request.user, reason=data["reason"]),
        done=_("The agreement was revoked. Further use of the data will be refused."),
    )
