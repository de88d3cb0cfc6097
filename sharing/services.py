"""Every write to share agreements and usage records, for every channel (admin, portal, API, commands).

Each step: one transaction, the agreement row locked (two approvers at once: the second sees the
new state and gets a clear message), the transition checked against AGREEMENT_TRANSITIONS, the
actor checked for the party the step belongs to, history with actor and reason, a ledger entry,
and e-mail to the other side once the transaction has committed.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from guardian.utils import get_group_obj_perms_model

from catalog.choices import ResourceStatus, ShareType
from catalog.models import DataItem, User
from catalog.services import department_liaison_group
from govdata.permissions import has_object_grant, has_role
from govdata.roles import Role

from . import ledger, responsibilities
from .choices import AGREEMENT_TRANSITIONS, MODE_RANK, AgreementStatus, Party, UsageMode, UsageOutcome
from .models import ShareAgreement, UsageRecord
from .workdays import add_working_days

# What each side's liaison group may do on an agreement it is party to.
REQUESTER_ACTIONS = ("view", "change")
PROVIDER_ACTIONS = ("view", "decide")


def decision_working_days() -> int:
    return settings.SHARE_DECISION_WORKING_DAYS


def _save(obj, *, actor, reason: str = "") -> None:
    obj._history_user = actor
    obj._change_reason = reason or None
    obj.save()


# --- Permissions ----------------------------------------------------------------------------


def _grant_parties(agreement: ShareAgreement) -> None:
    group_perm_model = get_group_obj_perms_model(ShareAgreement)
    perms = {p.codename: p for p in Permission.objects.filter(content_type__app_label="sharing")}
    wanted = [
        (department_liaison_group(agreement.requester), perms[f"{a}_shareagreement"]) for a in REQUESTER_ACTIONS
    ] + [(department_liaison_group(agreement.provider), perms[f"{a}_shareagreement"]) for a in PROVIDER_ACTIONS]
    group_perm_model.objects.filter(content_object=agreement).delete()
    group_perm_model.objects.bulk_create(
        group_perm_model(content_object=agreement, group=g, permission=p) for g, p in wanted
    )


def _acts_for(actor, party: Party, agreement: ShareAgreement) -> bool:
    if party == Party.REQUESTER:
        return has_object_grant(actor, "change", agreement)
    if party == Party.PROVIDER:
        return has_object_grant(actor, "decide", agreement)
    if party == Party.BUREAU:
        return bool(actor) and actor.has_perm("sharing.approve_shareagreement")
    return actor is None  # only the clock (expire_agreements) acts as the system


# --- Drafting -------------------------------------------------------------------------------


def _item_needs_exception(item: DataItem) -> bool:
    return item.share_type == ShareType.NOT_SHARED or item.resource.share_type == ShareType.NOT_SHARED


def validate_request(agreement: ShareAgreement, items: Sequence[DataItem]) -> None:
    """The rules a request must meet to be saved or submitted (also used by the portal form)."""
    errors = []
    if not items:
        errors.append(_("Choose at least one data item."))
    for item in items:
        resource = item.resource
        if resource.status != ResourceStatus.PUBLISHED:
            errors.append(_("“%(resource)s” is not published in the catalogue.") % {"resource": resource.name})
        if resource.department_id != agreement.provider_id:
            errors.append(_("“%(item)s” does not belong to the providing department.") % {"item": item.name})
        if _item_needs_exception(item) and not agreement.exception_basis:
            errors.append(
                _(
                    "“%(item)s” is not shared; it can only be requested after the bureau grants an exception "
                    "with a legal basis."
                )
                % {"item": item.name}
            )
    if agreement.valid_from and agreement.valid_to and agreement.valid_to < agreement.valid_from:
        errors.append(_("The period must not end before it begins."))
    if errors:
        raise ValidationError(sorted(set(errors), key=errors.index))


def agreement_save(*, agreement: ShareAgreement, actor, items: Sequence[DataItem], reason: str = "") -> ShareAgreement:
    """Create or edit a draft request of the actor's department."""
    with transaction.atomic():
        creating = agreement.pk is None
        if creating:
            if not (actor and actor.department_id and has_role(actor, Role.LIAISON)):
                raise PermissionDenied(_("Only a department liaison can request data."))
            agreement.requester_id = actor.department_id
            agreement.created_by = actor
            agreement.number = f"GX-{timezone.localdate():%Y}-{secrets.token_hex(4).upper()}"
        else:
            locked = ShareAgreement.objects.select_for_update().get(pk=agreement.pk)
            if not _acts_for(actor, Party.REQUESTER, locked):
                raise PermissionDenied(_("You may not change this agreement."))
            if locked.status != AgreementStatus.DRAFT:
                raise ValidationError(_("Only a draft request can be edited."))
            # The caller's instance may be stale (loaded before the bureau granted an exception) or
            # forged (another requester): what only the service sets comes from the locked row.
            for field in _SERVICE_FIELDS:
                setattr(agreement, field, getattr(locked, field))
        items = list(DataItem.objects.select_related("resource").filter(pk__in=[i.pk for i in items]))
        agreement.full_clean(exclude=["number"] if creating else None)
        _check_items_belong(agreement, items)
        _save(agreement, actor=actor, reason=reason)
        agreement.items.set(items)
        if creating or locked.provider_id != agreement.provider_id:
            _grant_parties(agreement)
    return agreement


# Fields of an agreement that only the service layer sets; an edit of a draft keeps them.
_SERVICE_FIELDS = (
    "number",
    "requester_id",
    "created_by_id",
    "created_at",
    "status",
    "status_reason",
    "exception_basis",
    "submitted_at",
    "decision_due",
    "decided_at",
)


def _check_items_belong(agreement: ShareAgreement, items: Sequence[DataItem]) -> None:
    """Drafts may be incomplete, but never name items outside the catalogue or the provider."""
    wrong = [
        i.name
        for i in items
        if i.resource.department_id != agreement.provider_id or i.resource.status != ResourceStatus.PUBLISHED
    ]
    if wrong:
        raise ValidationError(
            _("These items are not published data of the providing department: %(items)s") % {"items": ", ".join(wrong)}
        )


# --- The state machine ----------------------------------------------------------------------


def _transition(
    *, agreement: ShareAgreement, actor, step: str, reason: str = "", data: dict | None = None, prepare=None
) -> ShareAgreement:
    sources, target, party, reason_required = AGREEMENT_TRANSITIONS[step]
    reason = (reason or "").strip()
    if reason_required and not reason:
        raise ValidationError(_("Please state a reason for this step."))
    with transaction.atomic():
        locked = ShareAgreement.objects.select_for_update().select_related("requester", "provider").get(pk=agreement.pk)
        if not _acts_for(actor, party, locked):
            raise PermissionDenied(_("This step belongs to the %(party)s.") % {"party": Party(party).label})
        if locked.status not in sources:
            raise ValidationError(
                _(
                    "This agreement is now “%(status)s”; the step is no longer possible (someone may have "
                    "decided it a moment ago)."
                )
                % {"status": locked.get_status_display()}
            )
        previous = locked.status
        if prepare:
            prepare(locked)
        locked.status = target
        locked.status_reason = reason
        _save(locked, actor=actor, reason=reason or step)
        ledger.append(
            action=f"agreement.{step}",
            obj=locked,
            actor=actor,
            reason=reason,
            data={
                "from": previous,
                "to": target,
                "requester": locked.requester.code,
                "provider": locked.provider.code,
                **(data or {}),
            },
        )
        _notify_on_commit(locked, step, actor)
    agreement.refresh_from_db()
    return agreement


def _needs_provider_step(agreement: ShareAgreement) -> bool:
    return (
        agreement.items.exclude(share_type=ShareType.UNCONDITIONAL).exists()
        or agreement.items.exclude(resource__share_type=ShareType.UNCONDITIONAL).exists()
    )


def agreement_submit(*, agreement: ShareAgreement, actor, reason: str = "") -> ShareAgreement:
    def prepare(locked):
        items = list(locked.items.select_related("resource"))
        validate_request(locked, items)
        if locked.valid_to < timezone.localdate():
            raise ValidationError(_("The period has already ended."))
        locked.submitted_at = timezone.now()
        locked.decision_due = add_working_days(timezone.localdate(), decision_working_days())
        for field, text in responsibilities.generate(mode=locked.usage_mode, items=items).items():
            setattr(locked, field, text)

    return _transition(agreement=agreement, actor=actor, step="submit", reason=reason, prepare=prepare)


def agreement_withdraw(*, agreement: ShareAgreement, actor, reason: str) -> ShareAgreement:
    return _transition(agreement=agreement, actor=actor, step="withdraw", reason=reason)


def agreement_provider_approve(
    *, agreement: ShareAgreement, actor, reason: str = "", contact: str = ""
) -> ShareAgreement:
    def prepare(locked):
        _require_provider_step(locked)
        locked.provider_contact = contact or actor.get_full_name() or actor.get_username()
        locked.decided_at = timezone.now()

    return _transition(agreement=agreement, actor=actor, step="provider_approve", reason=reason, prepare=prepare)


def _require_provider_step(agreement: ShareAgreement) -> None:
    if not _needs_provider_step(agreement):
        raise ValidationError(_("Every item is shared unconditionally: the bureau registers this request directly."))


def agreement_provider_reject(*, agreement: ShareAgreement, actor, reason: str) -> ShareAgreement:
    def prepare(locked):
        # Unconditional sharing is the provider's duty, not its choice: it has no step to refuse.
        _require_provider_step(locked)
        locked.decided_at = timezone.now()

    return _transition(agreement=agreement, actor=actor, step="provider_reject", reason=reason, prepare=prepare)


def agreement_bureau_approve(*, agreement: ShareAgreement, actor, reason: str = "") -> ShareAgreement:
    def prepare(locked):
        if locked.status == AgreementStatus.SUBMITTED and _needs_provider_step(locked):
            raise ValidationError(_("The providing department has not decided yet."))
        if locked.valid_to < timezone.localdate():
            raise ValidationError(_("The period has already ended."))
        if locked.decided_at is None:
            locked.decided_at = timezone.now()

    return _transition(agreement=agreement, actor=actor, step="bureau_approve", reason=reason, prepare=prepare)


def agreement_bureau_reject(*, agreement: ShareAgreement, actor, reason: str) -> ShareAgreement:
    return _transition(agreement=agreement, actor=actor, step="bureau_reject", reason=reason)


def agreement_suspend(*, agreement: ShareAgreement, actor, reason: str) -> ShareAgreement:
    return _transition(agreement=agreement, actor=actor, step="suspend", reason=reason)


def agreement_resume(*, agreement: ShareAgreement, actor, reason: str) -> ShareAgreement:
    def prepare(locked):
        if locked.valid_to < timezone.localdate():
            raise ValidationError(_("The period has ended; the agreement can only expire."))

    return _transition(agreement=agreement, actor=actor, step="resume", reason=reason, prepare=prepare)


def agreement_revoke(*, agreement: ShareAgreement, actor, reason: str) -> ShareAgreement:
    """Revoked by the bureau, or by the providing department as the data's holder."""
    step = "revoke_by_bureau" if _acts_for(actor, Party.BUREAU, agreement) else "revoke_by_provider"
    return _transition(agreement=agreement, actor=actor, step=step, reason=reason)


def agreement_expire(*, agreement: ShareAgreement, today: date | None = None) -> ShareAgreement:
    today = today or timezone.localdate()

    def prepare(locked):
        if locked.valid_to >= today:
            raise ValidationError(_("The agreed period has not ended yet."))

    return _transition(
        agreement=agreement,
        actor=None,
        step="expire",
        reason=_("The agreed period ended."),
        prepare=prepare,
    )


def agreements_expire_due(*, today: date | None = None) -> int:
    """Expire every active or suspended agreement whose period has ended; returns how many."""
    today = today or timezone.localdate()
    due = ShareAgreement.objects.filter(
        status__in=[AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED], valid_to__lt=today
    ).values_list("pk", flat=True)
    count = 0
    # Fetched up front: each expiry commits on the same connection, and SQLite does not isolate a
    # running cursor from writes to the rows it is reading.
    for pk in list(due):
        try:
            agreement_expire(agreement=ShareAgreement(pk=pk), today=today)
            count += 1
        except ValidationError:
            pass  # changed state in the meantime (resumed, revoked): nothing to expire
    return count


def agreement_grant_exception(*, agreement: ShareAgreement, actor, legal_basis: str) -> ShareAgreement:
    """The bureau lets not-shared items be requested, on a stated legal basis (DESIGN §3)."""
    legal_basis = (legal_basis or "").strip()
    if not legal_basis:
        raise ValidationError(_("An exception needs its legal basis."))
    with transaction.atomic():
        locked = ShareAgreement.objects.select_for_update().get(pk=agreement.pk)
        if not _acts_for(actor, Party.BUREAU, locked):
            raise PermissionDenied(_("Only the bureau grants exceptions."))
        if locked.status not in (AgreementStatus.DRAFT, AgreementStatus.SUBMITTED):
            raise ValidationError(_("Exceptions are granted before a request is decided."))
        locked.exception_basis = legal_basis
        _save(locked, actor=actor, reason=legal_basis)
        ledger.append(action="agreement.exception", obj=locked, actor=actor, reason=legal_basis)
    agreement.refresh_from_db()
    return agreement


_DUTY_FIELDS = ("requester_duties", "provider_duties", "bureau_duties")


def agreement_set_responsibilities(
    *, agreement: ShareAgreement, actor, texts: dict, reason: str = ""
) -> ShareAgreement:
    """The bureau edits the responsibilities clause before its approval."""
    with transaction.atomic():
        locked = ShareAgreement.objects.select_for_update().get(pk=agreement.pk)
        if not _acts_for(actor, Party.BUREAU, locked):
            raise PermissionDenied(_("Only the bureau edits the responsibilities."))
        if locked.status not in (AgreementStatus.SUBMITTED, AgreementStatus.PROVIDER_APPROVED):
            raise ValidationError(_("The responsibilities are fixed once the bureau has decided."))
        if any(not str(texts[field]).strip() for field in _DUTY_FIELDS if field in texts):
            raise ValidationError(_("Each party's responsibilities must be written down."))
        changed = sorted(field for field in _DUTY_FIELDS if field in texts and texts[field] != getattr(locked, field))
        for field in changed:
            setattr(locked, field, texts[field])
        # Without a reason of its own the history keeps the step's code, as for the workflow steps.
        _save(locked, actor=actor, reason=reason or "responsibilities")
        # The clause is what a dispute is settled on: its change is evidence like any step.
        ledger.append(
            action="agreement.responsibilities",
            obj=locked,
            actor=actor,
            reason=reason,
            data={"fields": changed},
        )
    agreement.refresh_from_db()
    return agreement


# --- Usage under contract -------------------------------------------------------------------


def _check_use(agreement: ShareAgreement, mode: str, item_codes: Sequence[str], when) -> tuple[str, list[str]]:
    """Check a use like a contract: (why it is outside the agreement or '', the items it touched).

    Accepted uses name their items as "catalogue code/item code": item codes are unique within a
    resource only, and the record must say unambiguously which data was used.
    """
    given = sorted(set(item_codes))
    if agreement.status != AgreementStatus.ACTIVE:
        return _("The agreement is not active (it is “%(status)s”).") % {
            "status": agreement.get_status_display()
        }, given
    day = timezone.localdate(when)
    if not agreement.valid_from <= day <= agreement.valid_to:
        return _("The use falls outside the agreed period %(start)s – %(end)s.") % {
            "start": agreement.valid_from,
            "end": agreement.valid_to,
        }, given
    granted = list(agreement.items.values_list("resource__catalogue_code", "code"))
    qualified = {f"{resource}/{code}" for resource, code in granted}
    by_plain_code = defaultdict(list)
    for resource, code in granted:
        by_plain_code[code].append(f"{resource}/{code}")
    outside = [c for c in given if c not in qualified and c not in by_plain_code]
    if outside:
        return _("These items are outside the agreement: %(items)s") % {"items": ", ".join(outside)}, given
    ambiguous = [c for c in given if len(by_plain_code.get(c, ())) > 1]
    if ambiguous:
        return _(
            "These item codes occur in more than one resource of the agreement; write them as "
            "“catalogue code/item code”: %(items)s"
        ) % {"items": ", ".join(ambiguous)}, given
    if MODE_RANK[mode] > MODE_RANK[agreement.usage_mode]:
        return _("The agreement grants “%(granted)s”, not “%(mode)s”.") % {
            "granted": agreement.get_usage_mode_display(),
            "mode": dict(UsageRecord._meta.get_field("mode").choices)[mode],
        }, given
    return "", sorted({c if c in qualified else by_plain_code[c][0] for c in given})


def usage_record(
    *,
    agreement: ShareAgreement,
    actor,
    mode: str,
    item_codes: Sequence[str],
    record_count: int,
    purpose_reference: str = "",
    end_user: str = "",
    used_at=None,
) -> UsageRecord:
    """Record one use reported by the exchange system. A use outside the agreement is refused, and
    the refusal is recorded (and ledgered) just the same; check `record.outcome`."""
    if not (has_object_grant(actor, "change", agreement) or _acts_for(actor, Party.BUREAU, agreement)):
        raise PermissionDenied(_("Only the using department (or the bureau) records uses of this agreement."))
    # Malformed reports are answered, not recorded: a refusal is evidence about a real use.
    if mode not in UsageMode.values:
        raise ValidationError({"mode": _("Unknown usage mode “%(mode)s”.") % {"mode": mode}})
    if not item_codes:
        raise ValidationError({"item_codes": _("Name the data items the use touched.")})
    used_at = used_at or timezone.now()
    with transaction.atomic():
        locked = ShareAgreement.objects.select_for_update().get(pk=agreement.pk)
        refusal, touched = _check_use(locked, mode, item_codes, used_at)
        record = UsageRecord(
            agreement=locked,
            used_at=used_at,
            user=actor,
            end_user=end_user,
            mode=mode,
            item_codes=touched,
            record_count=record_count,
            purpose_reference=purpose_reference,
            outcome=UsageOutcome.REJECTED if refusal else UsageOutcome.ACCEPTED,
            rejection_reason=refusal,
        )
        record.full_clean()
        _save(record, actor=actor, reason=refusal)
        ledger.append(
            action="usage.rejected" if refusal else "usage.accepted",
            obj=record,
            actor=actor,
            reason=refusal,
            data={"agreement": locked.number, "mode": mode, "items": record.item_codes, "records": record_count},
        )
    return record


# --- Notifications --------------------------------------------------------------------------

# Who hears about a step: the other side(s).
_NOTIFY = {
    Party.REQUESTER: ("provider",),
    Party.PROVIDER: ("requester",),
    Party.BUREAU: ("requester", "provider"),
    Party.SYSTEM: ("requester", "provider"),
}


def _notify_on_commit(agreement: ShareAgreement, step: str, actor) -> None:
    party = AGREEMENT_TRANSITIONS[step][2]
    department_ids = [getattr(agreement, f"{side}_id") for side in _NOTIFY[party]]
    transaction.on_commit(lambda: _send_notice(agreement.pk, department_ids))


def _send_notice(agreement_pk: int, department_ids: list[int]) -> None:
    agreement = ShareAgreement.objects.select_related("requester", "provider").get(pk=agreement_pk)
    recipients = list(
        User.objects.filter(department_id__in=department_ids, groups__name=Role.LIAISON.value, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    if not recipients:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Share agreement %(number)s: %(status)s") % {
            "number": agreement.number,
            "status": agreement.get_status_display(),
        }
        body = _(
            "Agreement %(number)s between %(requester)s (using) and %(provider)s (owning) is now “%(status)s”.\n"
            "Reason: %(reason)s\n"
        ) % {
            "number": agreement.number,
            "requester": agreement.requester.name,
            "provider": agreement.provider.name,
            "status": agreement.get_status_display(),
            "reason": agreement.status_reason or "—",
        }
    send_mass_mail([(subject, body, settings.DEFAULT_FROM_EMAIL, [to]) for to in recipients], fail_silently=True)
