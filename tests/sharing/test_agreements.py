"""The share-agreement state machine (DESIGN §3 sharing/): every step of AGREEMENT_TRANSITIONS by its
party, every refusal (wrong state, wrong party, missing reason), the share-type rules, the evidence
each step leaves, expiry by the clock, and the e-mail to the other side."""

import json
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from catalog import services as catalog_services
from catalog.choices import ShareType
from govdata.roles import Role
from sharing import services
from sharing.choices import AGREEMENT_TRANSITIONS, AgreementStatus, Party
from sharing.models import LedgerEntry, ShareAgreement
from tests.factories import make_published_resource, make_resource, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

S = AgreementStatus

STEP_SERVICES = {
    "submit": services.agreement_submit,
    "withdraw": services.agreement_withdraw,
    "provider_approve": services.agreement_provider_approve,
    "provider_reject": services.agreement_provider_reject,
    "bureau_approve": services.agreement_bureau_approve,
    "bureau_reject": services.agreement_bureau_reject,
    "suspend": services.agreement_suspend,
    "resume": services.agreement_resume,
    # One service for both: the actor decides which party revokes.
    "revoke_by_bureau": services.agreement_revoke,
    "revoke_by_provider": services.agreement_revoke,
}


def take(step, agreement, actor, reason="依据第三方核查结果"):
    """Take `step` of AGREEMENT_TRANSITIONS through its service function."""
    if step == "expire":
        return services.agreement_expire(agreement=agreement)
    return STEP_SERVICES[step](agreement=agreement, actor=actor, reason=reason)


def attempt(call):
    """('done', '') or the refusal's class name and message, so one assertion can show every case."""
    try:
        call()
    except (ValidationError, PermissionDenied) as exc:
        return type(exc).__name__, " ".join(getattr(exc, "messages", [str(exc)]))
    return "done", ""


def latest_entry():
    return LedgerEntry.objects.order_by("-seq").first()


@pytest.fixture
def actors(liaison_a, liaison_b, officer, liaison_c, auditor):
    return {
        Party.REQUESTER: liaison_a,
        Party.PROVIDER: liaison_b,
        Party.BUREAU: officer,
        Party.SYSTEM: None,
        "third department": liaison_c,
        "auditor": auditor,
    }


ALLOWED = [(step, source) for step, (sources, *_rest) in AGREEMENT_TRANSITIONS.items() for source in sources]


def test_every_step_of_the_table_has_a_service():
    assert set(STEP_SERVICES) | {"expire"} == set(AGREEMENT_TRANSITIONS)


# --- Allowed steps ----------------------------------------------------------------------------


@pytest.mark.parametrize(("step", "source"), ALLOWED, ids=[f"{step}-from-{source}" for step, source in ALLOWED])
def test_each_step_by_its_party_leads_to_its_target_state(step, source, reach, actors, end_period):
    _sources, target, party, _reason_required = AGREEMENT_TRANSITIONS[step]
    agreement = reach(source, unconditional=(step == "bureau_approve" and source == S.SUBMITTED))
    if step == "expire":
        end_period(agreement)

    take(step, agreement, actors[party])

    agreement.refresh_from_db()
    assert agreement.status == target


@pytest.mark.parametrize(("step", "source"), ALLOWED, ids=[f"{step}-from-{source}" for step, source in ALLOWED])
def test_each_step_leaves_history_and_ledger_entry_with_actor_and_reason(step, source, reach, actors, end_period):
    _sources, target, party, _reason_required = AGREEMENT_TRANSITIONS[step]
    agreement = reach(source, unconditional=(step == "bureau_approve" and source == S.SUBMITTED))
    if step == "expire":
        end_period(agreement)
    actor, reason = actors[party], f"理由：{step}"
    # The clock states its own reason.
    expected_reason = "The agreed period ended." if step == "expire" else reason

    take(step, agreement, actor, reason)

    agreement.refresh_from_db()
    assert agreement.status_reason == expected_reason
    record = agreement.history.first()
    assert (record.status, record.history_user, record.history_change_reason) == (target, actor, expected_reason)
    entry = latest_entry()
    assert (entry.action, entry.object_type, entry.object_id, entry.actor) == (
        f"agreement.{step}",
        "sharing.shareagreement",
        str(agreement.pk),
        actor,
    )
    payload = json.loads(entry.payload)
    assert payload["reason"] == expected_reason
    assert (payload["data"]["from"], payload["data"]["to"]) == (source, target)


def test_step_without_a_required_reason_records_the_step_name_in_history(conditional_draft, liaison_a):
    services.agreement_submit(agreement=conditional_draft, actor=liaison_a)

    assert conditional_draft.status_reason == ""
    assert conditional_draft.history.first().history_change_reason == "submit"
    assert json.loads(latest_entry().payload)["reason"] == ""


def test_submission_stamps_the_time_and_the_deadline(conditional_draft, liaison_a):
    services.agreement_submit(agreement=conditional_draft, actor=liaison_a)

    assert conditional_draft.submitted_at is not None
    assert conditional_draft.decision_due > timezone.localdate()


def test_provider_approval_names_the_providers_responsible_person(conditional_submitted, liaison_b):
    services.agreement_provider_approve(agreement=conditional_submitted, actor=liaison_b, contact="李四")

    assert conditional_submitted.provider_contact == "李四"
    assert conditional_submitted.decided_at is not None


# --- Refusals: wrong state --------------------------------------------------------------------


@pytest.mark.parametrize("state", list(S), ids=[s.value for s in S])
def test_steps_that_do_not_start_from_the_current_state_are_refused(state, reach, actors):
    agreement = reach(state)
    wrong_steps = [step for step, (sources, *_rest) in AGREEMENT_TRANSITIONS.items() if state not in sources]
    entries_before = LedgerEntry.objects.count()

    results = {
        step: attempt(lambda step=step: take(step, agreement, actors[AGREEMENT_TRANSITIONS[step][2]]))
        for step in wrong_steps
    }

    assert {step: kind for step, (kind, _msg) in results.items()} == dict.fromkeys(wrong_steps, "ValidationError")
    # The message names the state the agreement is in, so the user knows why.
    assert all(str(S(state).label) in message for _kind, message in results.values()), results
    agreement.refresh_from_db()
    assert agreement.status == state
    assert LedgerEntry.objects.count() == entries_before


# --- Refusals: wrong party --------------------------------------------------------------------

# Who is *not* the party of each step (an officer revoking is the bureau's revocation, and the
# provider's liaison revoking the provider's, so each is left out of the other's list).
WRONG_PARTIES = {
    step: [
        who
        for who in (Party.REQUESTER, Party.PROVIDER, Party.BUREAU, "third department", "auditor")
        if who != party and not (step.startswith("revoke_") and who in (Party.BUREAU, Party.PROVIDER))
    ]
    for step, (_sources, _target, party, _required) in AGREEMENT_TRANSITIONS.items()
    if party != Party.SYSTEM
}


@pytest.mark.parametrize("step", list(WRONG_PARTIES))
def test_step_taken_by_anyone_but_its_party_is_refused(step, reach, actors):
    sources, _target, party, _required = AGREEMENT_TRANSITIONS[step]
    agreement = reach(sources[-1])
    entries_before = LedgerEntry.objects.count()

    results = {str(who): attempt(lambda who=who: take(step, agreement, actors[who])) for who in WRONG_PARTIES[step]}

    assert {who: kind for who, (kind, _msg) in results.items()} == dict.fromkeys(results, "PermissionDenied")
    agreement.refresh_from_db()
    assert agreement.status == sources[-1]
    assert LedgerEntry.objects.count() == entries_before


def test_requester_cannot_approve_its_own_request_as_provider(conditional_submitted, liaison_a):
    with pytest.raises(PermissionDenied, match="Providing department"):
        services.agreement_provider_approve(agreement=conditional_submitted, actor=liaison_a)


def test_provider_cannot_submit_the_requesters_draft(conditional_draft, liaison_b):
    with pytest.raises(PermissionDenied, match="Requesting department"):
        services.agreement_submit(agreement=conditional_draft, actor=liaison_b)


def test_officer_cannot_approve_as_the_providing_department(conditional_submitted, officer):
    with pytest.raises(PermissionDenied, match="Providing department"):
        services.agreement_provider_approve(agreement=conditional_submitted, actor=officer)


def test_second_liaison_of_the_provider_may_decide(conditional_submitted, dept_b):
    colleague = make_user("liaison_b2", Role.LIAISON, department=dept_b)

    services.agreement_provider_approve(agreement=conditional_submitted, actor=colleague)

    assert conditional_submitted.status == S.PROVIDER_APPROVED


# --- Refusals: reasons ------------------------------------------------------------------------

REASON_REQUIRED = [step for step, (*_rest, required) in AGREEMENT_TRANSITIONS.items() if required]


@pytest.mark.parametrize("step", REASON_REQUIRED)
def test_step_that_needs_a_reason_is_refused_without_one(step, reach, actors):
    sources, _target, party, _required = AGREEMENT_TRANSITIONS[step]
    agreement = reach(sources[-1])

    with pytest.raises(ValidationError, match="state a reason"):
        take(step, agreement, actors[party], reason="")

    agreement.refresh_from_db()
    assert agreement.status == sources[-1]


def test_blank_reason_counts_as_none(conditional_submitted, liaison_b):
    with pytest.raises(ValidationError, match="state a reason"):
        services.agreement_provider_reject(agreement=conditional_submitted, actor=liaison_b, reason="  \n ")


# --- Share types: who must decide -------------------------------------------------------------


def test_bureau_registers_an_unconditional_request_without_the_provider(unconditional_submitted, officer):
    services.agreement_bureau_approve(agreement=unconditional_submitted, actor=officer)

    assert unconditional_submitted.status == S.ACTIVE


def test_provider_cannot_approve_an_unconditional_request(unconditional_submitted, liaison_b):
    with pytest.raises(ValidationError, match="shared unconditionally"):
        services.agreement_provider_approve(agreement=unconditional_submitted, actor=liaison_b)

    unconditional_submitted.refresh_from_db()
    assert unconditional_submitted.status == S.SUBMITTED


def test_provider_cannot_reject_an_unconditional_request(unconditional_submitted, liaison_b):
    with pytest.raises(ValidationError, match="shared unconditionally"):
        services.agreement_provider_reject(agreement=unconditional_submitted, actor=liaison_b, reason="不想共享")

    unconditional_submitted.refresh_from_db()
    assert unconditional_submitted.status == S.SUBMITTED


def test_bureau_cannot_approve_a_conditional_request_before_the_provider(conditional_submitted, officer):
    with pytest.raises(ValidationError, match="not decided yet"):
        services.agreement_bureau_approve(agreement=conditional_submitted, actor=officer)

    conditional_submitted.refresh_from_db()
    assert conditional_submitted.status == S.SUBMITTED


def test_one_conditional_item_among_unconditional_ones_needs_the_provider(
    make_agreement, conditional_resource, unconditional_resource, liaison_a, officer
):
    agreement = make_agreement([*unconditional_resource.items.all(), conditional_resource.items.first()])
    services.agreement_submit(agreement=agreement, actor=liaison_a)

    with pytest.raises(ValidationError, match="not decided yet"):
        services.agreement_bureau_approve(agreement=agreement, actor=officer)


def test_conditional_item_of_an_unconditional_resource_needs_the_provider(
    make_agreement, dept_b, liaison_b, officer, liaison_a
):
    resource = make_published_resource(
        dept_b, liaison_b, officer, items=1, item_fields={"share_type": ShareType.CONDITIONAL}
    )
    agreement = make_agreement(resource.items.all())
    services.agreement_submit(agreement=agreement, actor=liaison_a)

    with pytest.raises(ValidationError, match="not decided yet"):
        services.agreement_bureau_approve(agreement=agreement, actor=officer)


# --- Not-shared items and the bureau's exception ----------------------------------------------


@pytest.fixture
def not_shared_draft(make_agreement, not_shared_resource):
    return make_agreement(not_shared_resource.items.all())


def test_not_shared_items_cannot_be_submitted_without_an_exception(not_shared_draft, liaison_a):
    with pytest.raises(ValidationError, match="bureau grants an exception"):
        services.agreement_submit(agreement=not_shared_draft, actor=liaison_a)

    not_shared_draft.refresh_from_db()
    assert not_shared_draft.status == S.DRAFT


def test_not_shared_items_can_be_submitted_after_the_bureaus_exception(not_shared_draft, liaison_a, officer):
    services.agreement_grant_exception(
        agreement=not_shared_draft, actor=officer, legal_basis="《统计法》第三十九条第二款"
    )

    services.agreement_submit(agreement=not_shared_draft, actor=liaison_a)

    assert not_shared_draft.status == S.SUBMITTED


def test_exception_is_stored_and_ledgered_with_its_legal_basis(not_shared_draft, officer):
    services.agreement_grant_exception(
        agreement=not_shared_draft, actor=officer, legal_basis="《统计法》第三十九条第二款"
    )

    assert not_shared_draft.exception_basis == "《统计法》第三十九条第二款"
    entry = latest_entry()
    assert (entry.action, entry.actor, json.loads(entry.payload)["reason"]) == (
        "agreement.exception",
        officer,
        "《统计法》第三十九条第二款",
    )
    assert not_shared_draft.history.first().history_user == officer


def test_exception_needs_a_legal_basis(not_shared_draft, officer):
    with pytest.raises(ValidationError, match="legal basis"):
        services.agreement_grant_exception(agreement=not_shared_draft, actor=officer, legal_basis="  ")


@pytest.mark.parametrize("who", [Party.REQUESTER, Party.PROVIDER, "third department", "auditor"])
def test_only_the_bureau_grants_an_exception(who, not_shared_draft, actors):
    with pytest.raises(PermissionDenied):
        services.agreement_grant_exception(agreement=not_shared_draft, actor=actors[who], legal_basis="自行认定")

    not_shared_draft.refresh_from_db()
    assert not_shared_draft.exception_basis == ""


def test_exception_is_refused_once_the_request_is_decided(conditional_active, officer):
    with pytest.raises(ValidationError, match="before a request is decided"):
        services.agreement_grant_exception(agreement=conditional_active, actor=officer, legal_basis="《统计法》")


def test_request_under_an_exception_still_needs_the_provider(not_shared_draft, liaison_a, officer):
    services.agreement_grant_exception(
        agreement=not_shared_draft, actor=officer, legal_basis="《统计法》第三十九条第二款"
    )
    services.agreement_submit(agreement=not_shared_draft, actor=liaison_a)

    with pytest.raises(ValidationError, match="not decided yet"):
        services.agreement_bureau_approve(agreement=not_shared_draft, actor=officer)


def test_editing_a_draft_keeps_the_bureaus_exception(not_shared_draft, not_shared_resource, liaison_a, officer):
    stale = ShareAgreement.objects.get(pk=not_shared_draft.pk)
    services.agreement_grant_exception(
        agreement=not_shared_draft, actor=officer, legal_basis="《统计法》第三十九条第二款"
    )

    stale.purpose = "统计执法核查"
    services.agreement_save(agreement=stale, actor=liaison_a, items=list(not_shared_resource.items.all()))

    stale.refresh_from_db()
    assert (stale.purpose, stale.exception_basis) == ("统计执法核查", "《统计法》第三十九条第二款")


# --- Which items may be requested -------------------------------------------------------------


def test_items_of_an_unpublished_resource_cannot_be_requested(make_agreement, dept_b, liaison_b):
    draft_resource = make_resource(dept_b, liaison_b)

    with pytest.raises(ValidationError, match="not published data of the providing department"):
        make_agreement(draft_resource.items.all(), provider=dept_b)

    assert not ShareAgreement.objects.exists()


def test_items_of_another_department_cannot_be_requested(make_agreement, dept_b, dept_c, liaison_c, officer):
    resource_c = make_published_resource(dept_c, liaison_c, officer)

    with pytest.raises(ValidationError, match="not published data of the providing department"):
        make_agreement(resource_c.items.all(), provider=dept_b)

    assert not ShareAgreement.objects.exists()


def test_request_cannot_be_submitted_once_its_resource_left_the_catalogue(
    conditional_draft, conditional_resource, liaison_a, officer
):
    catalog_services.resource_retire(resource=conditional_resource, actor=officer, reason="系统停用")

    with pytest.raises(ValidationError, match="not published in the catalogue"):
        services.agreement_submit(agreement=conditional_draft, actor=liaison_a)


def test_request_without_items_cannot_be_submitted(make_agreement, conditional_resource, dept_b, liaison_a):
    agreement = make_agreement([], provider=dept_b)

    with pytest.raises(ValidationError, match="at least one data item"):
        services.agreement_submit(agreement=agreement, actor=liaison_a)


def test_department_cannot_request_its_own_data(make_agreement, dept_a, liaison_a, officer):
    own = make_published_resource(dept_a, liaison_a, officer)

    with pytest.raises(ValidationError, match="agreement with itself"):
        make_agreement(own.items.all())


def test_period_must_not_end_before_it_begins(make_agreement, conditional_resource):
    today = timezone.localdate()

    with pytest.raises(ValidationError, match="must not end before it begins"):
        make_agreement(conditional_resource.items.all(), valid_from=today, valid_to=today.replace(year=today.year - 1))


def test_request_whose_period_has_ended_cannot_be_submitted(conditional_draft, liaison_a, end_period):
    end_period(conditional_draft)

    with pytest.raises(ValidationError, match="period has already ended"):
        services.agreement_submit(agreement=conditional_draft, actor=liaison_a)


@pytest.mark.parametrize("who", [Party.BUREAU, "auditor"])
def test_only_a_department_liaison_drafts_requests(who, make_agreement, conditional_resource, actors):
    with pytest.raises(PermissionDenied):
        make_agreement(conditional_resource.items.all(), actor=actors[who])


def test_draft_is_requested_by_the_drafters_department(conditional_draft, dept_a, liaison_a):
    assert (conditional_draft.requester, conditional_draft.created_by) == (dept_a, liaison_a)
    assert conditional_draft.number.startswith("GX-")


def test_submitted_request_can_no_longer_be_edited(conditional_submitted, conditional_resource, liaison_a):
    conditional_submitted.purpose = "改个用途"

    with pytest.raises(ValidationError, match="Only a draft"):
        services.agreement_save(
            agreement=conditional_submitted, actor=liaison_a, items=list(conditional_resource.items.all())
        )


def test_provider_cannot_edit_the_requesters_draft(conditional_draft, conditional_resource, liaison_b):
    with pytest.raises(PermissionDenied):
        services.agreement_save(
            agreement=conditional_draft, actor=liaison_b, items=list(conditional_resource.items.all())
        )


def test_editing_a_draft_cannot_change_the_requesting_department(
    conditional_draft, conditional_resource, liaison_a, dept_c
):
    conditional_draft.requester = dept_c

    services.agreement_save(agreement=conditional_draft, actor=liaison_a, items=list(conditional_resource.items.all()))

    conditional_draft.refresh_from_db()
    assert conditional_draft.requester.code == "PSB"


def test_changing_the_provider_of_a_draft_moves_the_decision_to_the_new_provider(
    conditional_draft, dept_c, liaison_a, liaison_b, liaison_c, officer
):
    resource_c = make_published_resource(
        dept_c,
        liaison_c,
        officer,
        share_type=ShareType.CONDITIONAL,
        share_conditions="仅限税务稽查",
        item_fields={"share_type": ShareType.CONDITIONAL},
    )
    conditional_draft.provider = dept_c
    services.agreement_save(agreement=conditional_draft, actor=liaison_a, items=list(resource_c.items.all()))
    services.agreement_submit(agreement=conditional_draft, actor=liaison_a)

    with pytest.raises(PermissionDenied):
        services.agreement_provider_approve(agreement=conditional_draft, actor=liaison_b)
    services.agreement_provider_approve(agreement=conditional_draft, actor=liaison_c)
    assert conditional_draft.status == S.PROVIDER_APPROVED


# --- The period -------------------------------------------------------------------------------


def test_resume_is_refused_after_the_period_ended(conditional_suspended, officer, end_period):
    end_period(conditional_suspended)

    with pytest.raises(ValidationError, match="period has ended"):
        services.agreement_resume(agreement=conditional_suspended, actor=officer, reason="检查结束")

    conditional_suspended.refresh_from_db()
    assert conditional_suspended.status == S.SUSPENDED


def test_bureau_cannot_activate_an_agreement_whose_period_ended(conditional_provider_approved, officer, end_period):
    end_period(conditional_provider_approved)

    with pytest.raises(ValidationError, match="period has already ended"):
        services.agreement_bureau_approve(agreement=conditional_provider_approved, actor=officer)


def test_agreement_within_its_period_cannot_be_expired(conditional_active):
    with pytest.raises(ValidationError, match="not ended yet"):
        services.agreement_expire(agreement=conditional_active)

    conditional_active.refresh_from_db()
    assert conditional_active.status == S.ACTIVE


# --- Expiry by the clock (manage.py expire_agreements) ----------------------------------------


def run_expire_command():
    out = StringIO()
    call_command("expire_agreements", stdout=out)
    return out.getvalue()


def test_expire_command_expires_active_and_suspended_agreements_past_their_period(reach, end_period):
    active, suspended = end_period(reach(S.ACTIVE)), end_period(reach(S.SUSPENDED))

    output = run_expire_command()

    assert "2" in output
    assert set(ShareAgreement.objects.filter(pk__in=[active.pk, suspended.pk]).values_list("status", flat=True)) == {
        S.EXPIRED
    }


def test_expire_command_ledgers_each_expiry_without_an_actor(reach, end_period):
    agreement = end_period(reach(S.ACTIVE))

    run_expire_command()

    entry = latest_entry()
    assert (entry.action, entry.object_id, entry.actor) == ("agreement.expire", str(agreement.pk), None)
    assert agreement.history.first().history_user is None


def test_expire_command_leaves_agreements_within_their_period_and_undecided_ones(reach, end_period):
    current = reach(S.ACTIVE)
    undecided = end_period(reach(S.SUBMITTED))
    revoked = end_period(reach(S.REVOKED))

    run_expire_command()

    statuses = dict(ShareAgreement.objects.values_list("pk", "status"))
    assert (statuses[current.pk], statuses[undecided.pk], statuses[revoked.pk]) == (S.ACTIVE, S.SUBMITTED, S.REVOKED)


def test_agreement_is_valid_through_its_last_day(reach, end_period):
    last_day = end_period(reach(S.ACTIVE), days_ago=0)

    run_expire_command()

    last_day.refresh_from_db()
    assert last_day.status == S.ACTIVE


def test_expire_command_is_idempotent(reach, end_period):
    end_period(reach(S.ACTIVE))
    run_expire_command()
    entries = LedgerEntry.objects.count()

    output = run_expire_command()

    assert output.startswith("0 ")
    assert LedgerEntry.objects.count() == entries


# --- Notifications ----------------------------------------------------------------------------


@pytest.fixture
def mail_liaisons(dept_a, dept_b, dept_c):
    """A liaison with an e-mail address in each department (the fixture liaisons have none)."""
    return {
        code: make_user(f"mail_{code}", Role.LIAISON, department=dept, email=f"liaison@{code.lower()}.gov.cn")
        for code, dept in (("PSB", dept_a), ("AMR", dept_b), ("TAX", dept_c))
    }


def recipients(mailoutbox):
    return sorted(address for message in mailoutbox for address in message.to)


def test_submission_emails_the_providers_liaisons(
    conditional_draft, liaison_a, mail_liaisons, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.agreement_submit(agreement=conditional_draft, actor=liaison_a)

    assert recipients(mailoutbox) == ["liaison@amr.gov.cn"]
    assert conditional_draft.number in mailoutbox[0].subject


@pytest.mark.parametrize("step", ["provider_approve", "provider_reject"])
def test_provider_decision_emails_the_requesters_liaisons(
    step, conditional_submitted, liaison_b, mail_liaisons, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        take(step, conditional_submitted, liaison_b, reason="材料不全")

    assert recipients(mailoutbox) == ["liaison@psb.gov.cn"]
    assert conditional_submitted.number in mailoutbox[0].body


def test_bureau_decision_emails_both_sides(
    conditional_provider_approved, officer, mail_liaisons, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.agreement_bureau_approve(agreement=conditional_provider_approved, actor=officer)

    assert recipients(mailoutbox) == ["liaison@amr.gov.cn", "liaison@psb.gov.cn"]


def test_refused_step_sends_no_email(
    conditional_submitted, liaison_a, mail_liaisons, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(PermissionDenied):
        services.agreement_provider_approve(agreement=conditional_submitted, actor=liaison_a)

    assert (callbacks, mailoutbox) == ([], [])


def test_no_email_is_sent_before_the_step_commits(
    conditional_draft, liaison_a, mail_liaisons, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.agreement_submit(agreement=conditional_draft, actor=liaison_a)

    assert (len(callbacks), mailoutbox) == (1, [])


def test_inactive_liaisons_get_no_email(
    conditional_draft, liaison_a, mail_liaisons, mailoutbox, django_capture_on_commit_callbacks
):
    mail_liaisons["AMR"].is_active = False
    mail_liaisons["AMR"].save()

    with django_capture_on_commit_callbacks(execute=True):
        services.agreement_submit(agreement=conditional_draft, actor=liaison_a)

    assert mailoutbox == []
