"""Every write to the catalogue goes through here: admin, portal, API and commands alike.

A service opens a transaction, locks the row it changes, checks the transition and the actor's
permission, validates, saves with the acting user and reason on the history record, keeps the
object permissions in step with ownership, and appends a ledger entry for workflow steps.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.utils import get_group_obj_perms_model

from govdata.permissions import can, has_model_permission, has_role, is_bureau_wide
from govdata.roles import Role
from sharing import ledger

from .choices import (
    CLAIM_TRANSITIONS,
    RESOURCE_TRANSITIONS,
    ClaimStatus,
    ResourceStatus,
)
from .models import (
    DataElement,
    DataItem,
    DataResource,
    Department,
    Duty,
    InformationSystem,
    SourceAssignment,
    User,
    classification_errors,
    effective_grade,
    effective_personal_info,
)

# The object permissions a department's liaison group holds on what the department owns.
OWNER_ACTIONS = {
    DataResource: ("view", "change"),
    DataItem: ("view", "change", "delete"),
    Duty: ("view", "change"),
    InformationSystem: ("view", "change"),
    SourceAssignment: ("view", "change"),
}


def _owning_department_id(obj: Model) -> int:
    if isinstance(obj, DataItem):
        return obj.resource.department_id
    return obj.department_id


def _save(obj: Model, *, actor, reason: str = "") -> None:
    """Save with the history record attributed to `actor` on every channel, commands included."""
    obj._history_user = actor
    obj._change_reason = reason or None
    obj.save()


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Please state a reason for this step."))
    return reason


# --- Departments, users and object permissions --------------------------------------------


def department_liaison_group(department: Department) -> Group:
    """The group through which a department's liaisons hold their object permissions."""
    if department.liaison_group_id:
        return department.liaison_group
    group, _created = Group.objects.get_or_create(name=f"dept:{department.code}")
    department.liaison_group = group
    # The group link is bookkeeping, not a business change: no history record for it.
    Department.objects.filter(pk=department.pk).update(liaison_group=group)
    return group


def department_save(*, department: Department, actor, reason: str = "") -> Department:
    with transaction.atomic():
        department.full_clean()
        _save(department, actor=actor, reason=reason)
        department_liaison_group(department)
    return department


def user_sync_department_membership(user: User) -> None:
    """A liaison is in exactly their own department's liaison group; everybody else in none."""
    stale = user.groups.filter(department__isnull=False)
    if user.department_id and user.groups.filter(name=Role.LIAISON.value).exists():
        wanted = department_liaison_group(user.department)
        stale = stale.exclude(pk=wanted.pk)
        user.groups.add(wanted)
    user.groups.remove(*stale)


def user_set_department(*, user: User, department: Department | None, actor, reason: str = "") -> User:
    with transaction.atomic():
        user.department = department
        _save(user, actor=actor, reason=reason)
        user_sync_department_membership(user)
    return user


def grant_to_owner(*objs: Model) -> None:
    """Give each object's owning department's liaison group its permissions, and nobody else's group.

    Called when objects are created and whenever their owner may have changed: the grants move
    with ownership. Objects are handled per (model, owner) in a handful of queries, so a resource
    with fifty items costs what one with five does.
    """
    batches = defaultdict(list)
    for obj in objs:
        batches[(type(obj), _owning_department_id(obj))].append(obj)
    for (model, department_id), batch in batches.items():
        group_perm_model = get_group_obj_perms_model(model)
        group = department_liaison_group(Department.objects.select_related("liaison_group").get(pk=department_id))
        permissions = list(_owner_permissions(model))
        group_perm_model.objects.filter(content_object__in=batch).exclude(group=group).delete()
        existing = set(
            group_perm_model.objects.filter(content_object__in=batch, group=group).values_list(
                "content_object_id", "permission_id"
            )
        )
        group_perm_model.objects.bulk_create(
            group_perm_model(content_object=obj, group=group, permission=p)
            for obj in batch
            for p in permissions
            if (obj.pk, p.pk) not in existing
        )


def _owner_permissions(model: type[Model]) -> Iterable[Permission]:
    codenames = [f"{action}_{model._meta.model_name}" for action in OWNER_ACTIONS[model]]
    return Permission.objects.filter(content_type__app_label=model._meta.app_label, codename__in=codenames)


# --- Duties and systems -------------------------------------------------------------------


def _check_owner_edit(obj: Model, actor, *, creating: bool) -> None:
    model = type(obj)
    if creating:
        _require(
            is_bureau_wide(actor, model, "add")
            or (has_model_permission(actor, model, "add") and actor.department_id == _owning_department_id(obj)),
            _("You may only register objects of your own department."),
        )
    else:
        _require(can(actor, "change", obj), _("You may not change this object."))


def system_save(*, system: InformationSystem, actor, reason: str = "") -> InformationSystem:
    with transaction.atomic():
        creating = system.pk is None
        previous = None if creating else InformationSystem.objects.select_for_update().get(pk=system.pk)
        _check_owner_edit(previous or system, actor, creating=creating)
        if previous and previous.department_id != system.department_id:
            _require(has_role(actor, Role.OFFICER), _("Only the bureau can move an object to another department."))
        system.full_clean()
        _save(system, actor=actor, reason=reason)
        grant_to_owner(system)
    return system


def duty_save(*, duty: Duty, actor, systems: Sequence[InformationSystem] | None = None, reason: str = "") -> Duty:
    with transaction.atomic():
        creating = duty.pk is None
        previous = None if creating else Duty.objects.select_for_update().get(pk=duty.pk)
        _check_owner_edit(previous or duty, actor, creating=creating)
        if previous and previous.department_id != duty.department_id:
            _require(has_role(actor, Role.OFFICER), _("Only the bureau can move an object to another department."))
        duty.full_clean()
        if systems is not None and any(s.department_id != duty.department_id for s in systems):
            raise ValidationError({"systems": _("A duty can only be linked to systems of its own department.")})
        _save(duty, actor=actor, reason=reason)
        if systems is not None:
            duty.systems.set(systems)
        grant_to_owner(duty)
    return duty


# --- Data elements ------------------------------------------------------------------------


def element_save(*, element: DataElement, actor, reason: str = "") -> DataElement:
    """Register or edit a standard data element: the bureau maintains the element standard."""
    _require(is_bureau_wide(actor, DataElement, "change"), _("Only the bureau maintains data elements."))
    with transaction.atomic():
        element.full_clean()
        _save(element, actor=actor, reason=reason)
    return element


# --- Resources ----------------------------------------------------------------------------


def validate_resource_items(resource: DataResource, items: Sequence[DataItem]) -> None:
    """Rules that concern a resource together with its items (就高从严).

    Shared by the service and the forms (admin inline, portal formset), so the user sees the
    message on the page and the service refuses the same input on any other channel.
    """
    codes = [i.code for i in items]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise ValidationError(
            _("Item codes must be unique within a resource: %(codes)s") % {"codes": ", ".join(duplicates)}
        )
    grade, personal = effective_grade(resource, items), effective_personal_info(resource, items)
    probe = DataResource(
        security_grade=grade, personal_info=personal, share_type=resource.share_type, open_type=resource.open_type
    )
    problems = classification_errors(probe)
    if problems and (grade != resource.security_grade or personal != resource.personal_info):
        raise ValidationError(
            [
                _("Its items raise this resource to grade “%(grade)s” / “%(personal)s” (the strictest item decides):")
                % {"grade": probe.get_security_grade_display(), "personal": probe.get_personal_info_display()},
                *problems.values(),
            ]
        )


def _editable_by(resource: DataResource, actor) -> bool:
    if has_role(actor, Role.OFFICER):
        return resource.status != ResourceStatus.RETIRED
    return resource.status == ResourceStatus.DRAFT


def resource_save(
    *,
    resource: DataResource,
    actor,
    items: Sequence[DataItem] | None = None,
    deleted_items: Sequence[DataItem] = (),
    duties: Sequence[Duty] | None = None,
    reason: str = "",
) -> DataResource:
    """Create or edit a resource together with its items and duty links, all or nothing.

    `items` are the resource's items after the edit (new ones without pk); None leaves them as
    they are. The resource's grade and personal-information level are raised to the strictest
    of its items (就高从严).
    """
    with transaction.atomic():
        creating = resource.pk is None
        previous = None if creating else DataResource.objects.select_for_update().get(pk=resource.pk)
        _check_owner_edit(previous or resource, actor, creating=creating)
        if previous is not None:
            _require(
                _editable_by(previous, actor),
                _("Only drafts can be edited. Start a revision of a published resource first."),
            )
            if previous.department_id != resource.department_id:
                _require(has_role(actor, Role.OFFICER), _("Only the bureau can move an object to another department."))
        # Saving would re-parent a foreign item and deleting would remove it: the caller's right to
        # this resource says nothing about items of another one.
        existing_ids = {i.pk for i in [*(items or ()), *deleted_items] if i.pk}
        _require(
            not existing_ids
            or (not creating and not DataItem.objects.filter(pk__in=existing_ids).exclude(resource=resource).exists()),
            _("These data items belong to another resource."),
        )
        deleted_ids = {i.pk for i in deleted_items if i.pk}
        if items is None:
            items = [] if creating else [i for i in resource.items.all() if i.pk not in deleted_ids]
        validate_resource_items(resource, items)
        resource.security_grade = effective_grade(resource, items)
        resource.personal_info = effective_personal_info(resource, items)
        resource.full_clean()
        if duties is not None and any(d.department_id != resource.department_id for d in duties):
            raise ValidationError({"duties": _("A resource can only be linked to duties of its own department.")})
        _save(resource, actor=actor, reason=reason)
        if duties is not None:
            resource.duties.set(duties)
        for item in deleted_items:
            if item.pk:
                item._history_user = actor
                item._change_reason = reason or None
                item.delete()
        stored = {i.pk: i for i in DataItem.objects.filter(pk__in=[i.pk for i in items if i.pk])}
        for item in items:
            item.resource = resource
            item.full_clean()
            # An unchanged row is not saved again: it would add a history record that says nothing.
            if item.pk is None or _differs(item, stored.get(item.pk)):
                _save(item, actor=actor, reason=reason)
        if creating or previous.department_id != resource.department_id:
            grant_to_owner(resource, *resource.items.all())
        elif items:
            grant_to_owner(*items)
    return resource


def _differs(obj: Model, stored: Model | None) -> bool:
    return stored is None or any(
        getattr(obj, f.attname) != getattr(stored, f.attname) for f in obj._meta.concrete_fields
    )


def _transition_resource(*, resource: DataResource, actor, step: str, reason: str) -> DataResource:
    with transaction.atomic():
        locked = DataResource.objects.select_for_update().get(pk=resource.pk)
        # Permission before state: a refused transition would tell another department the status
        # of a resource it may not even see.
        if step in ("submit", "revise"):
            _require(can(actor, "change", locked), _("You may not change this resource."))
        else:
            _require(actor.has_perm("catalog.publish_dataresource"), _("Only the bureau can take this step."))
        targets = [to for (frm, to), name in RESOURCE_TRANSITIONS.items() if name == step and frm == locked.status]
        if not targets:
            raise ValidationError(
                _("This step is not possible for a resource that is “%(status)s”.")
                % {"status": locked.get_status_display()}
            )
        if step == "submit":
            if not locked.items.exists():
                raise ValidationError(_("Add at least one data item before submitting."))
            locked.full_clean()
        previous_status = locked.status
        locked.status = targets[0]
        locked.return_reason = reason if step == "return" else ""
        _save(locked, actor=actor, reason=reason or step)
        ledger.append(
            action=f"resource.{step}",
            obj=locked,
            actor=actor,
            reason=reason,
            data={"from": previous_status, "to": locked.status, "department": locked.department.code},
        )
    resource.refresh_from_db()
    return resource


def resource_submit(*, resource: DataResource, actor, reason: str = "") -> DataResource:
    return _transition_resource(resource=resource, actor=actor, step="submit", reason=reason)


def resource_publish(*, resource: DataResource, actor, reason: str = "") -> DataResource:
    return _transition_resource(resource=resource, actor=actor, step="publish", reason=reason)


def resource_return(*, resource: DataResource, actor, reason: str) -> DataResource:
    """Send a submission back to the department as a draft, with the bureau's reason."""
    return _transition_resource(resource=resource, actor=actor, step="return", reason=_require_reason(reason))


def resource_revise(*, resource: DataResource, actor, reason: str) -> DataResource:
    """Reopen a published resource as a draft; it leaves the catalogue until published again."""
    return _transition_resource(resource=resource, actor=actor, step="revise", reason=_require_reason(reason))


def resource_retire(*, resource: DataResource, actor, reason: str) -> DataResource:
    return _transition_resource(resource=resource, actor=actor, step="retire", reason=_require_reason(reason))


# --- One data, one source -----------------------------------------------------------------


def source_claim(
    *, element: DataElement, department: Department, actor, legal_basis: str, resource: DataResource | None = None
) -> SourceAssignment:
    """A department claims to be the authoritative source of a data element."""
    _require(_may_claim_for(actor, department.pk), _("You may only claim data elements for your own department."))
    assignment = SourceAssignment(
        element=element, department=department, resource=resource, legal_basis=legal_basis, claimed_by=actor
    )
    try:
        with transaction.atomic():
            assignment.full_clean()
            _save(assignment, actor=actor, reason=legal_basis)
            grant_to_owner(assignment)
            ledger.append(
                action="source.claim",
                obj=assignment,
                actor=actor,
                reason=legal_basis,
                data={"element": element.code, "department": department.code},
            )
    except IntegrityError as exc:
        raise ValidationError(_("This department already claims this data element.")) from exc
    return assignment


def _may_claim_for(actor, department_id: int) -> bool:
    """Claims are filed, and withdrawn, in a department's name by its liaisons (or by the bureau)."""
    return has_model_permission(actor, SourceAssignment, "add") and (
        actor.department_id == department_id or has_role(actor, Role.OFFICER)
    )


def _decide_claim(
    *, assignment: SourceAssignment, actor, target: ClaimStatus, reason: str, lock_element: bool = False
) -> SourceAssignment:
    with transaction.atomic():
        if lock_element:
            # Confirmations of the same element queue up here; the partial unique index is the backstop.
            DataElement.objects.select_for_update().get(pk=assignment.element_id)
        locked = SourceAssignment.objects.select_for_update().get(pk=assignment.pk)
        # Permission before state, as for resources.
        if target == ClaimStatus.WITHDRAWN:
            # The liaison role holds no model-wide change permission on claims, so `can(change)`
            # alone would refuse the claimant; whoever may claim for the department may withdraw.
            _require(
                can(actor, "change", locked) or _may_claim_for(actor, locked.department_id),
                _("You may not withdraw this claim."),
            )
        else:
            _require(actor.has_perm("catalog.confirm_sourceassignment"), _("Only the bureau decides source claims."))
        step = CLAIM_TRANSITIONS.get((locked.status, target))
        if step is None:
            raise ValidationError(
                _("A claim that is “%(status)s” cannot become “%(target)s”.")
                % {"status": locked.get_status_display(), "target": ClaimStatus(target).label}
            )
        locked.status = target
        locked.decided_by, locked.decided_at, locked.decision_reason = actor, timezone.now(), reason
        _save(locked, actor=actor, reason=reason or step)
        ledger.append(
            action=f"source.{step}",
            obj=locked,
            actor=actor,
            reason=reason,
            data={"element": locked.element.code, "department": locked.department.code},
        )
    return locked


def source_confirm(*, assignment: SourceAssignment, actor, reason: str = "") -> SourceAssignment:
    """Confirm one claim as the element's source; competing open claims are rejected with it."""
    try:
        with transaction.atomic():
            confirmed = _decide_claim(
                assignment=assignment, actor=actor, target=ClaimStatus.CONFIRMED, reason=reason, lock_element=True
            )
            competitors = SourceAssignment.objects.filter(
                element_id=confirmed.element_id, status=ClaimStatus.CLAIMED
            ).exclude(pk=confirmed.pk)
            for competitor in competitors:
                _decide_claim(
                    assignment=competitor,
                    actor=actor,
                    target=ClaimStatus.REJECTED,
                    reason=_("Another department was confirmed as the source: %(department)s")
                    % {"department": confirmed.department.name},
                )
    except IntegrityError as exc:
        raise ValidationError(_("This data element already has a confirmed source.")) from exc
    return confirmed


def source_reject(*, assignment: SourceAssignment, actor, reason: str) -> SourceAssignment:
    return _decide_claim(
        assignment=assignment, actor=actor, target=ClaimStatus.REJECTED, reason=_require_reason(reason)
    )


def source_withdraw(*, assignment: SourceAssignment, actor, reason: str = "") -> SourceAssignment:
    return _decide_claim(assignment=assignment, actor=actor, target=ClaimStatus.WITHDRAWN, reason=reason)


# --- Aggregation recommendations (computed by govdata.analytics) ----------------------------


def resources_set_recommended_mode(*, recommendations: dict[int, str], actor, reason: str) -> int:
    """Store the recommended aggregation mode of many resources; returns how many changed.

    `recommendations` maps resource ids to "physical", "logical" or "" (no firm recommendation).
    Only resources whose value changes are written, so a second run with the same figures writes
    nothing. Each change is saved on its own (not bulk-updated) so its history record carries the
    actor, the reason and the duty links like any other change; `updated_at` is left alone because
    a recomputed recommendation is not an edit of the catalogue entry.
    """
    from .choices import AggregationMode

    _require(
        is_bureau_wide(actor, DataResource, "change"),
        _("Only the bureau stores aggregation recommendations."),
    )
    allowed = {"", *AggregationMode.values}
    unknown = sorted({mode for mode in recommendations.values() if mode not in allowed})
    if unknown:
        raise ValidationError(_("Unknown aggregation modes: %(modes)s") % {"modes": ", ".join(str(m) for m in unknown)})
    by_mode: dict[str, list[int]] = {}
    for pk, mode in recommendations.items():
        by_mode.setdefault(mode, []).append(pk)
    changed = 0
    # Batches keep the IN lists under SQLite's limit on query parameters.
    batch = 500
    with transaction.atomic():
        for mode, ids in by_mode.items():
            for start in range(0, len(ids), batch):
                stale = (
                    DataResource.objects.select_for_update()
                    .filter(pk__in=ids[start : start + batch])
                    .exclude(recommended_mode=mode)
                    .order_by("pk")
                )
                for resource in stale:
                    resource.recommended_mode = mode
                    resource._history_user = actor
                    resource._change_reason = reason or None
                    resource.save(update_fields=["recommended_mode"])
                    changed += 1
    return changed
