"""Workflow steps from the agreement page: edit and submit a draft, withdraw, approve, reject, revoke."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sharing import services
from sharing.choices import AgreementStatus
from sharing.models import LedgerEntry, ShareAgreement
from tests.sharing_portal.utils import shown

pytestmark = pytest.mark.django_db

S = AgreementStatus


def detail(agreement):
    return reverse("portal:agreement_detail", args=[agreement.pk])


def ledger_actions(agreement):
    return list(
        LedgerEntry.objects.filter(object_type="sharing.shareagreement", object_id=str(agreement.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


# --- The requester's draft --------------------------------------------------------------------


def edit_post(agreement, **changes):
    data = {
        "items": [str(pk) for pk in agreement.items.values_list("pk", flat=True)],
        "purpose": agreement.purpose,
        "legal_basis": agreement.legal_basis,
        "usage_mode": agreement.usage_mode,
        "valid_from": agreement.valid_from.isoformat(),
        "valid_to": agreement.valid_to.isoformat(),
        "requester_contact": agreement.requester_contact,
        "action": "draft",
    }
    data.update(changes)
    return data


def test_requester_edits_the_draft(client_a, draft, other_resource, liaison_a):
    extra = other_resource.items.first()
    items = [*draft.items.values_list("pk", flat=True), extra.pk]
    response = client_a.post(
        reverse("portal:agreement_edit", args=[draft.pk]), edit_post(draft, purpose="执法核查", items=items)
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.purpose == "执法核查"
    assert extra in draft.items.all()
    assert draft.history.first().history_user == liaison_a


def test_edit_page_keeps_the_items_of_the_draft_ticked(client_a, draft):
    body = client_a.get(reverse("portal:agreement_edit", args=[draft.pk])).content.decode()
    for item in draft.items.all():
        assert f'value="{item.pk}" id="item-{item.pk}" checked' in body


def test_invalid_edit_changes_nothing(client_a, draft):
    response = client_a.post(reverse("portal:agreement_edit", args=[draft.pk]), edit_post(draft, items=[]))
    assert response.status_code == 200
    assert shown("Choose at least one data item.") in response.content.decode()
    assert draft.items.count() == 2


def test_edit_and_submit_in_one_click(client_a, draft):
    client_a.post(reverse("portal:agreement_edit", args=[draft.pk]), edit_post(draft, action="submit"))
    draft.refresh_from_db()
    assert draft.status == S.SUBMITTED


def test_submitted_request_is_no_longer_editable(client_a, submitted):
    response = client_a.get(reverse("portal:agreement_edit", args=[submitted.pk]))
    assert response.status_code == 302
    assert response.url == detail(submitted)


def test_requester_submits_the_draft_from_its_page(client_a, draft, liaison_a):
    response = client_a.post(reverse("portal:agreement_submit", args=[draft.pk]))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == S.SUBMITTED
    assert ledger_actions(draft) == ["agreement.submit"]


def test_submission_refused_by_the_service_is_shown_and_changes_nothing(client_a, draft, make_agreement):
    ShareAgreement.objects.filter(pk=draft.pk).update(
        valid_from=timezone.localdate() - timedelta(days=10), valid_to=timezone.localdate() - timedelta(days=1)
    )
    response = client_a.post(reverse("portal:agreement_submit", args=[draft.pk]), follow=True)
    assert shown("The period has already ended.") in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == S.DRAFT


def test_requester_withdraws_with_a_reason(client_a, submitted):
    client_a.post(reverse("portal:agreement_withdraw", args=[submitted.pk]), {"withdraw-reason": "不再需要"})
    submitted.refresh_from_db()
    assert (submitted.status, submitted.status_reason) == (S.WITHDRAWN, "不再需要")
    assert ledger_actions(submitted)[-1] == "agreement.withdraw"


def test_withdrawal_without_a_reason_is_refused_on_the_page(client_a, submitted):
    response = client_a.post(reverse("portal:agreement_withdraw", args=[submitted.pk]), {"withdraw-reason": ""})
    assert response.status_code == 200
    assert response.context["withdraw_form"].errors
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED


# --- The provider's decision ------------------------------------------------------------------


def test_provider_approves_with_its_responsible_person(client_b, submitted, liaison_b):
    response = client_b.post(
        reverse("portal:agreement_approve", args=[submitted.pk]), {"approve-contact": "李四", "approve-reason": "同意"}
    )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert (submitted.status, submitted.provider_contact) == (S.PROVIDER_APPROVED, "李四")
    entry = LedgerEntry.objects.filter(object_id=str(submitted.pk)).latest("seq")
    assert (entry.action, entry.actor) == ("agreement.provider_approve", liaison_b)


def test_approval_is_shown_in_the_timeline(client_b, submitted):
    client_b.post(
        reverse("portal:agreement_approve", args=[submitted.pk]),
        {"approve-contact": "李四", "approve-reason": "同意共享"},
    )
    response = client_b.get(detail(submitted))
    first = response.context["timeline"][0]
    assert (first.kind, first.reason, first.user.username) == ("step", "同意共享", "liaison_b")
    assert shown("Approved by the provider") in response.content.decode()


def test_approval_needs_a_responsible_person(client_b, submitted):
    response = client_b.post(reverse("portal:agreement_approve", args=[submitted.pk]), {"approve-contact": ""})
    assert response.status_code == 200
    assert "contact" in response.context["approve_form"].errors
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED


def test_provider_rejects_with_a_reason(client_b, submitted, liaison_b):
    client_b.post(reverse("portal:agreement_reject", args=[submitted.pk]), {"reject-reason": "超出职责范围"})
    submitted.refresh_from_db()
    assert (submitted.status, submitted.status_reason) == (S.PROVIDER_REJECTED, "超出职责范围")
    entry = LedgerEntry.objects.filter(object_id=str(submitted.pk)).latest("seq")
    assert (entry.action, entry.actor) == ("agreement.provider_reject", liaison_b)


def test_rejection_reason_is_shown_to_the_requester_in_the_timeline(client_a, client_b, submitted):
    client_b.post(reverse("portal:agreement_reject", args=[submitted.pk]), {"reject-reason": "超出职责范围"})
    response = client_a.get(detail(submitted))
    first = response.context["timeline"][0]
    assert (first.title, first.reason) == (shown("Rejected by the provider"), "超出职责范围")
    assert "超出职责范围" in response.content.decode()


def test_rejection_without_a_reason_is_refused(client_b, submitted):
    response = client_b.post(reverse("portal:agreement_reject", args=[submitted.pk]), {"reject-reason": "  "})
    assert response.status_code == 200
    assert response.context["open_form"] == "reject_form"
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED


def test_second_decision_is_refused_with_a_message(client_b, submitted, liaison_b):
    services.agreement_provider_reject(agreement=submitted, actor=liaison_b, reason="已拒绝")
    response = client_b.post(reverse("portal:agreement_approve", args=[submitted.pk]), {"approve-contact": "李四"})
    assert response.status_code == 200
    assert response.context["approve_form"].non_field_errors()
    submitted.refresh_from_db()
    assert submitted.status == S.PROVIDER_REJECTED


def test_unconditional_request_offers_no_provider_decision(client_b, make_agreement, unconditional_resource, liaison_a):
    agreement = make_agreement(unconditional_resource.items.all())
    services.agreement_submit(agreement=agreement, actor=liaison_a)
    response = client_b.get(detail(agreement))
    assert not response.context["can_decide"]
    assert reverse("portal:agreement_approve", args=[agreement.pk]) not in response.content.decode()


def test_provider_revokes_an_active_agreement(client_b, active, liaison_b):
    client_b.post(reverse("portal:agreement_revoke", args=[active.pk]), {"revoke-reason": "违规使用"})
    active.refresh_from_db()
    assert (active.status, active.status_reason) == (S.REVOKED, "违规使用")
    assert ledger_actions(active)[-1] == "agreement.revoke_by_provider"
