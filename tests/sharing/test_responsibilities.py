"""The responsibilities clause (确权定责): generated at submission from the mode, the grades and the
personal information of the requested items, stored in the bureau's language, and editable by the
bureau until it decides."""

import json

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from django.utils.translation import gettext

from catalog.choices import PersonalInfo, SecurityGrade, ShareType
from catalog.models import DataItem
from sharing import responsibilities, services
from sharing.choices import AgreementStatus, Party, UsageMode
from sharing.models import LedgerEntry
from tests.factories import make_published_resource

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

# The source strings of the clauses each rule adds (looked up in the bureau's language below, so
# the tests hold before and after the Chinese translation exists).
VERIFY_CLAUSE = "Receives only yes/no verification answers and never stores the underlying values."
BULK_COPY_CLAUSE = (
    "Stores the bulk copy on secured infrastructure, keeps it in step with the source, "
    "and deletes it when the agreement ends."
)
BULK_CORRECTIONS_CLAUSE = "Notifies the using department of corrections so that its copy can be updated."
PROTECTION_CLAUSE = (
    "Protects the data at the level its grade (%(grade)s) requires and reports any incident to the bureau at once."
)
AUDIT_CLAUSE = "Audits the use of this %(grade)s data at least once a year."
PERSONAL_CLAUSE = (
    "Processes personal information only as far as the purpose requires, under the "
    "Personal Information Protection Law, and answers for any leak on its side."
)
ACCESS_LOG_CLAUSE = "Restricts access to named staff and keeps an access log of the sensitive items."


def in_bureau_language(source, **params):
    with translation.override(settings.LANGUAGE_CODE):
        text = gettext(source)
        return text % {k: str(v.label) for k, v in params.items()} if params else text


def item(**fields):
    fields.setdefault("security_grade", SecurityGrade.GENERAL)
    fields.setdefault("personal_info", PersonalInfo.NONE)
    return DataItem(code="F", name="字段", **fields)


def clauses(mode=UsageMode.QUERY, **item_fields):
    return responsibilities.generate(mode=mode, items=[item(**item_fields)])


def lines(text):
    return text.splitlines()


# --- Generation -------------------------------------------------------------------------------


def test_every_party_gets_a_numbered_clause():
    generated = clauses()

    assert set(generated) == {"provider_duties", "requester_duties", "bureau_duties"}
    for text in generated.values():
        assert [line.split(". ", 1)[0] for line in lines(text)] == [str(n) for n in range(1, len(lines(text)) + 1)]


def test_verify_mode_adds_the_yes_no_clause_for_the_user():
    verify, query = clauses(UsageMode.VERIFY), clauses(UsageMode.QUERY)

    assert len(lines(verify["requester_duties"])) == len(lines(query["requester_duties"])) + 1
    assert in_bureau_language(VERIFY_CLAUSE) in verify["requester_duties"]
    assert in_bureau_language(VERIFY_CLAUSE) not in query["requester_duties"]


def test_bulk_mode_adds_the_copy_clause_for_the_user_and_corrections_for_the_owner():
    bulk, query = clauses(UsageMode.BULK), clauses(UsageMode.QUERY)

    assert in_bureau_language(BULK_COPY_CLAUSE) in bulk["requester_duties"]
    assert in_bureau_language(BULK_CORRECTIONS_CLAUSE) in bulk["provider_duties"]
    assert len(lines(bulk["provider_duties"])) == len(lines(query["provider_duties"])) + 1
    assert in_bureau_language(BULK_COPY_CLAUSE) not in query["requester_duties"]


def test_query_mode_adds_no_mode_clause():
    query = clauses(UsageMode.QUERY)

    assert in_bureau_language(VERIFY_CLAUSE) not in query["requester_duties"]
    assert in_bureau_language(BULK_COPY_CLAUSE) not in query["requester_duties"]


@pytest.mark.parametrize("grade", [SecurityGrade.IMPORTANT, SecurityGrade.CORE])
def test_important_and_core_grades_add_the_protection_and_audit_clauses(grade):
    graded, general = clauses(security_grade=grade), clauses(security_grade=SecurityGrade.GENERAL)

    assert in_bureau_language(PROTECTION_CLAUSE, grade=grade) in graded["requester_duties"]
    assert in_bureau_language(AUDIT_CLAUSE, grade=grade) in graded["bureau_duties"]
    assert len(lines(graded["bureau_duties"])) == len(lines(general["bureau_duties"])) + 1


def test_general_grade_adds_no_protection_clause():
    general = clauses(security_grade=SecurityGrade.GENERAL)

    assert in_bureau_language(PROTECTION_CLAUSE, grade=SecurityGrade.GENERAL) not in general["requester_duties"]


def test_the_strictest_item_decides_the_grade_clause():
    generated = responsibilities.generate(
        mode=UsageMode.QUERY, items=[item(), item(security_grade=SecurityGrade.CORE), item()]
    )

    assert in_bureau_language(PROTECTION_CLAUSE, grade=SecurityGrade.CORE) in generated["requester_duties"]


def test_personal_information_adds_the_protection_law_clause_but_no_access_log():
    personal = clauses(personal_info=PersonalInfo.PERSONAL)

    assert in_bureau_language(PERSONAL_CLAUSE) in personal["requester_duties"]
    assert in_bureau_language(ACCESS_LOG_CLAUSE) not in personal["requester_duties"]


def test_sensitive_personal_information_adds_the_access_log_clause():
    sensitive, personal = clauses(personal_info=PersonalInfo.SENSITIVE), clauses(personal_info=PersonalInfo.PERSONAL)

    assert in_bureau_language(ACCESS_LOG_CLAUSE) in sensitive["requester_duties"]
    assert len(lines(sensitive["requester_duties"])) == len(lines(personal["requester_duties"])) + 1


def test_plain_data_gets_only_the_basic_clauses():
    plain, everything = (
        clauses(UsageMode.QUERY),
        clauses(UsageMode.BULK, security_grade=SecurityGrade.CORE, personal_info=PersonalInfo.SENSITIVE),
    )

    for party in plain:
        assert len(lines(plain[party])) < len(lines(everything[party]))


# --- At submission ----------------------------------------------------------------------------


def test_submission_writes_the_clauses_generated_from_the_requested_items(make_agreement, graded_resource, liaison_a):
    agreement = make_agreement(graded_resource.items.all(), mode=UsageMode.VERIFY)

    services.agreement_submit(agreement=agreement, actor=liaison_a)

    expected = responsibilities.generate(mode=UsageMode.VERIFY, items=graded_resource.items.all())
    assert {field: getattr(agreement, field) for field in expected} == expected
    assert in_bureau_language(ACCESS_LOG_CLAUSE) in agreement.requester_duties


def test_clauses_differ_with_the_requested_mode(make_agreement, conditional_resource, liaison_a):
    verify = make_agreement(conditional_resource.items.all(), mode=UsageMode.VERIFY)
    bulk = make_agreement(conditional_resource.items.all(), mode=UsageMode.BULK)

    for agreement in (verify, bulk):
        services.agreement_submit(agreement=agreement, actor=liaison_a)

    assert verify.requester_duties != bulk.requester_duties
    assert verify.provider_duties != bulk.provider_duties


def test_clauses_are_stored_in_the_bureaus_language_whatever_the_requesters_language(
    make_agreement, dept_b, liaison_b, officer, liaison_a
):
    resource = make_published_resource(
        dept_b,
        liaison_b,
        officer,
        share_type=ShareType.CONDITIONAL,
        share_conditions="仅限行政执法使用",
        item_fields={"share_type": ShareType.CONDITIONAL, "security_grade": SecurityGrade.IMPORTANT},
    )
    agreement = make_agreement(resource.items.all())

    with translation.override("en"):
        services.agreement_submit(agreement=agreement, actor=liaison_a)

    assert in_bureau_language(PROTECTION_CLAUSE, grade=SecurityGrade.IMPORTANT) in agreement.requester_duties


def test_draft_has_no_clauses_yet(conditional_draft):
    assert (conditional_draft.requester_duties, conditional_draft.provider_duties) == ("", "")


# --- Edited by the bureau before its decision -------------------------------------------------

EDITED = {"requester_duties": "1. 仅用于市场监管执法。", "bureau_duties": "1. 每季度抽查一次。"}


@pytest.mark.parametrize("state", [AgreementStatus.SUBMITTED, AgreementStatus.PROVIDER_APPROVED])
def test_bureau_edits_the_clauses_before_its_decision(state, reach, officer):
    agreement = reach(state)
    provider_duties = agreement.provider_duties

    services.agreement_set_responsibilities(agreement=agreement, actor=officer, texts=EDITED, reason="细化责任")

    assert (agreement.requester_duties, agreement.bureau_duties) == (
        EDITED["requester_duties"],
        EDITED["bureau_duties"],
    )
    assert agreement.provider_duties == provider_duties


def test_edit_of_the_clauses_leaves_history_and_a_ledger_entry(conditional_submitted, officer):
    services.agreement_set_responsibilities(
        agreement=conditional_submitted, actor=officer, texts=EDITED, reason="细化责任"
    )

    record = conditional_submitted.history.first()
    assert (record.history_user, record.history_change_reason) == (officer, "细化责任")
    entry = LedgerEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.actor, entry.object_id) == (
        "agreement.responsibilities",
        officer,
        str(conditional_submitted.pk),
    )
    assert json.loads(entry.payload)["data"]["fields"] == ["bureau_duties", "requester_duties"]


@pytest.mark.parametrize(
    "state",
    [
        AgreementStatus.DRAFT,
        AgreementStatus.ACTIVE,
        AgreementStatus.SUSPENDED,
        AgreementStatus.BUREAU_REJECTED,
        AgreementStatus.REVOKED,
    ],
)
def test_clauses_cannot_be_edited_outside_the_bureaus_review(state, reach, officer):
    agreement = reach(state)
    before = agreement.requester_duties

    with pytest.raises(ValidationError, match="fixed once the bureau has decided"):
        services.agreement_set_responsibilities(agreement=agreement, actor=officer, texts=EDITED)

    agreement.refresh_from_db()
    assert agreement.requester_duties == before


@pytest.mark.parametrize("who", [Party.REQUESTER, Party.PROVIDER, "third department", "auditor"])
def test_only_the_bureau_edits_the_clauses(who, conditional_submitted, liaison_a, liaison_b, liaison_c, auditor):
    actor = {Party.REQUESTER: liaison_a, Party.PROVIDER: liaison_b, "third department": liaison_c, "auditor": auditor}[
        who
    ]
    before = conditional_submitted.requester_duties

    with pytest.raises(PermissionDenied):
        services.agreement_set_responsibilities(agreement=conditional_submitted, actor=actor, texts=EDITED)

    conditional_submitted.refresh_from_db()
    assert conditional_submitted.requester_duties == before


def test_a_partys_clause_cannot_be_emptied(conditional_submitted, officer):
    with pytest.raises(ValidationError, match="must be written down"):
        services.agreement_set_responsibilities(
            agreement=conditional_submitted, actor=officer, texts={"provider_duties": "  "}
        )
