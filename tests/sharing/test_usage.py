"""Usage under contract (DESIGN §3 UsageRecord): a use is checked against its agreement like a smart
contract; a use outside it is refused, and the refusal is recorded and ledgered as evidence too."""

import json
from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from sharing import services
from sharing.choices import AgreementStatus, UsageMode, UsageOutcome
from sharing.models import LedgerEntry, UsageRecord

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

S = AgreementStatus


def use(agreement, actor, *, mode=UsageMode.QUERY, item_codes=("F0",), **extra):
    return services.usage_record(
        agreement=agreement, actor=actor, mode=mode, item_codes=list(item_codes), record_count=3, **extra
    )


def at_noon(day):
    return timezone.make_aware(datetime.combine(day, time(12)))


def latest_entry():
    return LedgerEntry.objects.order_by("-seq").first()


# --- Accepted ---------------------------------------------------------------------------------


def test_use_within_the_agreement_is_accepted(conditional_active, liaison_a):
    record = use(conditional_active, liaison_a, item_codes=["F0", "F1"], purpose_reference="案件2025-001")

    assert (record.outcome, record.rejection_reason) == (UsageOutcome.ACCEPTED, "")
    resource = conditional_active.items.first().resource.catalogue_code
    # Stored qualified, so the record names the data unambiguously.
    assert (record.agreement, record.user, record.item_codes, record.record_count) == (
        conditional_active,
        liaison_a,
        [f"{resource}/F0", f"{resource}/F1"],
        3,
    )


def test_accepted_use_is_ledgered_with_its_agreement(conditional_active, liaison_a):
    record = use(conditional_active, liaison_a)

    entry = latest_entry()
    assert (entry.action, entry.object_type, entry.object_id, entry.actor) == (
        "usage.accepted",
        "sharing.usagerecord",
        str(record.pk),
        liaison_a,
    )
    assert json.loads(entry.payload)["data"] == {
        "agreement": conditional_active.number,
        "mode": "query",
        "items": [f"{conditional_active.items.first().resource.catalogue_code}/F0"],
        "records": 3,
    }


def test_use_leaves_a_history_record_with_the_recording_user(conditional_active, liaison_a):
    record = use(conditional_active, liaison_a)

    assert record.history.get().history_user == liaison_a


def test_bureau_may_record_a_use_on_behalf_of_the_exchange_platform(conditional_active, officer):
    assert use(conditional_active, officer).outcome == UsageOutcome.ACCEPTED


def test_weaker_mode_than_granted_is_accepted(reach, liaison_a):
    bulk = reach(S.ACTIVE, mode=UsageMode.BULK)

    assert use(bulk, liaison_a, mode=UsageMode.VERIFY).outcome == UsageOutcome.ACCEPTED


def test_use_on_the_last_day_of_the_period_is_accepted(conditional_active, liaison_a):
    record = use(conditional_active, liaison_a, used_at=at_noon(conditional_active.valid_to))

    assert record.outcome == UsageOutcome.ACCEPTED


# --- Refused and recorded ---------------------------------------------------------------------


def assert_refused_and_recorded(record, reason_fragment):
    assert record.pk is not None
    assert record.outcome == UsageOutcome.REJECTED
    assert reason_fragment in record.rejection_reason
    entry = latest_entry()
    assert (entry.action, entry.object_id) == ("usage.rejected", str(record.pk))
    assert json.loads(entry.payload)["reason"] == record.rejection_reason


@pytest.mark.parametrize("state", [S.SUBMITTED, S.PROVIDER_APPROVED, S.SUSPENDED, S.REVOKED, S.EXPIRED])
def test_use_of_an_agreement_that_is_not_active_is_refused_and_recorded(state, reach, liaison_a):
    agreement = reach(state)

    record = use(agreement, liaison_a)

    assert_refused_and_recorded(record, str(S(state).label))


def test_use_of_a_draft_is_refused_and_recorded(reach, liaison_a):
    record = use(reach(S.DRAFT), liaison_a)

    assert_refused_and_recorded(record, "not active")


def test_use_after_the_period_is_refused_and_recorded(conditional_active, liaison_a):
    record = use(conditional_active, liaison_a, used_at=at_noon(conditional_active.valid_to + timedelta(days=1)))

    assert_refused_and_recorded(record, "outside the agreed period")


def test_use_before_the_period_is_refused_and_recorded(conditional_active, liaison_a):
    record = use(conditional_active, liaison_a, used_at=at_noon(conditional_active.valid_from - timedelta(days=1)))

    assert_refused_and_recorded(record, "outside the agreed period")


def test_items_outside_the_agreement_are_refused_and_named(make_agreement, conditional_resource, activate, liaison_a):
    only_f0 = activate(make_agreement(conditional_resource.items.filter(code="F0")))

    record = use(only_f0, liaison_a, item_codes=["F0", "F1", "ID_NO"])

    assert_refused_and_recorded(record, "outside the agreement: F1, ID_NO")


def test_use_that_names_no_item_is_bad_input_not_a_refusal(conditional_active, liaison_a):
    with pytest.raises(ValidationError, match="Name the data items"):
        use(conditional_active, liaison_a, item_codes=[])

    assert not UsageRecord.objects.exists()


@pytest.mark.parametrize(
    ("granted", "used"),
    [
        (UsageMode.VERIFY, UsageMode.QUERY),
        (UsageMode.VERIFY, UsageMode.BULK),
        (UsageMode.QUERY, UsageMode.BULK),
    ],
)
def test_stronger_mode_than_granted_is_refused_and_recorded(granted, used, reach, liaison_a):
    agreement = reach(S.ACTIVE, mode=granted)

    record = use(agreement, liaison_a, mode=used)

    assert_refused_and_recorded(record, str(UsageMode(granted).label))


def test_refused_use_keeps_what_was_attempted(conditional_suspended, liaison_a):
    record = use(conditional_suspended, liaison_a, item_codes=["F1", "F0", "F1"], end_user="王五")

    record.refresh_from_db()
    assert (record.item_codes, record.mode, record.end_user, record.user) == (
        ["F0", "F1"],
        UsageMode.QUERY,
        "王五",
        liaison_a,
    )


# --- Refused and not recorded -----------------------------------------------------------------


@pytest.mark.parametrize("who", ["liaison_c", "liaison_b", "auditor"])
def test_user_outside_the_using_department_cannot_record_uses(who, conditional_active, request):
    actor = request.getfixturevalue(who)
    entries = LedgerEntry.objects.count()

    with pytest.raises(PermissionDenied):
        use(conditional_active, actor)

    assert not UsageRecord.objects.exists()
    assert LedgerEntry.objects.count() == entries


def test_unknown_mode_is_bad_input_not_a_refusal(conditional_active, liaison_a):
    with pytest.raises(ValidationError, match="Unknown usage mode"):
        use(conditional_active, liaison_a, mode="download")

    assert not UsageRecord.objects.exists()


def test_negative_record_count_is_bad_input(conditional_active, liaison_a):
    with pytest.raises(ValidationError):
        services.usage_record(
            agreement=conditional_active, actor=liaison_a, mode=UsageMode.QUERY, item_codes=["F0"], record_count=-1
        )

    assert not UsageRecord.objects.exists()


# --- Item codes shared by two resources of one agreement ----------------------------------------


@pytest.fixture
def two_resource_agreement(make_agreement, unconditional_resource, dept_b, liaison_b, officer, liaison_a):
    from tests.factories import make_published_resource

    second = make_published_resource(dept_b, liaison_b, officer)  # its items are F0, F1 as well
    agreement = make_agreement([*unconditional_resource.items.all(), *second.items.all()])
    services.agreement_submit(agreement=agreement, actor=liaison_a)
    services.agreement_bureau_approve(agreement=agreement, actor=officer)
    agreement.refresh_from_db()
    return agreement, unconditional_resource, second


def test_a_code_shared_by_two_resources_must_be_qualified(two_resource_agreement, liaison_a):
    agreement, _first, _second = two_resource_agreement
    record = use(agreement, liaison_a, item_codes=["F0"])

    assert record.outcome == UsageOutcome.REJECTED
    assert "F0" in record.rejection_reason and "catalogue code/item code" in record.rejection_reason


def test_a_qualified_code_names_the_item_of_one_resource(two_resource_agreement, liaison_a):
    agreement, _first, second = two_resource_agreement
    record = use(agreement, liaison_a, item_codes=[f"{second.catalogue_code}/F0"])

    assert record.outcome == UsageOutcome.ACCEPTED


def test_a_qualified_code_of_a_resource_outside_the_agreement_is_refused(two_resource_agreement, liaison_a):
    agreement, _first, _second = two_resource_agreement
    record = use(agreement, liaison_a, item_codes=["RES-999999/F0"])

    assert record.outcome == UsageOutcome.REJECTED
    assert "RES-999999/F0" in record.rejection_reason
