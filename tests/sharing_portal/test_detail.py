"""What the agreement page and the list show: parties, items, responsibilities, ownership, usage,
timeline and overdue decisions."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sharing import services
from sharing.choices import UsageMode, UsageOutcome
from tests.sharing_portal.utils import shown

pytestmark = pytest.mark.django_db

OWNERSHIP = "Ownership does not change"


def detail(agreement):
    return reverse("portal:agreement_detail", args=[agreement.pk])


def record_use(agreement, actor, *, codes=None, mode=UsageMode.QUERY, **fields):
    return services.usage_record(
        agreement=agreement,
        actor=actor,
        mode=mode,
        item_codes=codes or list(agreement.items.values_list("code", flat=True)),
        record_count=fields.pop("record_count", 3),
        purpose_reference=fields.pop("purpose_reference", "案件2026-001"),
        **fields,
    )


# --- The agreement page -----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["client_a", "client_b"])
def test_both_sides_read_that_ownership_does_not_change(request, submitted, who):
    body = request.getfixturevalue(who).get(detail(submitted)).content.decode()
    assert shown(OWNERSHIP) in body


def test_page_states_the_three_responsibilities_after_submission(client_a, submitted):
    body = client_a.get(detail(submitted)).content.decode()
    for clause in (submitted.provider_duties, submitted.requester_duties, submitted.bureau_duties):
        assert clause and clause.splitlines()[0] in body


def test_draft_page_says_when_the_responsibilities_are_written(client_a, draft):
    body = client_a.get(detail(draft)).content.decode()
    assert (
        shown(
            "The responsibilities of the owning, using and managing department are written into the agreement when "
            "the request is submitted, from its usage mode and the grades of its items."
        )
        in body
    )


def test_items_are_grouped_by_resource(client_a, make_agreement, conditional_resource, other_resource):
    items = [*conditional_resource.items.all(), other_resource.items.first()]
    agreement = make_agreement(items)
    groups = client_a.get(detail(agreement)).context["groups"]
    assert [(resource, len(group)) for resource, group in groups] == [(conditional_resource, 2), (other_resource, 1)]


def test_page_shows_purpose_basis_contacts_and_period(client_b, active):
    body = client_b.get(detail(active)).content.decode()
    for text in (active.purpose, active.legal_basis, active.requester_contact, active.provider_contact):
        assert text in body


def test_timeline_lists_every_step_newest_first_with_actor(client_a, active):
    timeline = client_a.get(detail(active)).context["timeline"]
    steps = [(e.title, e.user.username if e.user else None) for e in timeline if e.kind == "step"]
    assert steps == [
        (shown("Approved by the bureau: in force"), "officer"),
        (shown("Approved by the provider"), "liaison_b"),
        (shown("Submitted to the provider"), "liaison_a"),
    ]
    assert timeline[-1].title == shown("Request created")
    assert [e.when for e in timeline] == sorted((e.when for e in timeline), reverse=True)


def test_each_step_of_the_timeline_carries_its_ledger_entry_and_changes(client_a, submitted):
    step = client_a.get(detail(submitted)).context["timeline"][0]
    assert step.ledger_seq is not None
    assert any(c.field == str(type(submitted)._meta.get_field("status").verbose_name) for c in step.changes)


@pytest.mark.parametrize("who", ["client_a", "client_b"])
def test_usage_is_listed_for_both_sides(request, active, liaison_a, who):
    record_use(active, liaison_a, purpose_reference="案件2026-007")
    response = request.getfixturevalue(who).get(detail(active))
    assert [r.purpose_reference for r in response.context["usage"].object_list] == ["案件2026-007"]
    assert "案件2026-007" in response.content.decode()


def test_refused_use_is_listed_with_its_reason(client_b, active, liaison_a):
    record = record_use(active, liaison_a, codes=["NOT-IN-SCOPE"])
    assert record.outcome == UsageOutcome.REJECTED
    body = client_b.get(detail(active)).content.decode()
    assert shown("These items are outside the agreement: %(items)s", items="NOT-IN-SCOPE") in body


def test_usage_is_newest_first_and_paginated(client_a, active, liaison_a):
    from sharing.views import USAGE_PAGE_SIZE

    now = timezone.now()
    for minutes in range(USAGE_PAGE_SIZE + 1):
        record_use(active, liaison_a, used_at=now - timedelta(minutes=minutes), purpose_reference=f"R{minutes}")
    first = client_a.get(detail(active)).context["usage"]
    assert first.object_list[0].purpose_reference == "R0"
    assert first.paginator.num_pages == 2
    second = client_a.get(detail(active), {"usage_page": 2}).context["usage"]
    assert [r.purpose_reference for r in second.object_list] == [f"R{USAGE_PAGE_SIZE}"]


# --- Overdue decisions ------------------------------------------------------------------------


def test_overdue_decision_is_flagged_on_the_page(client_a, submitted, make_overdue):
    make_overdue(submitted)
    response = client_a.get(detail(submitted))
    assert response.context["overdue"] is True
    assert shown("Decision overdue") in response.content.decode()


def test_decision_not_yet_due_is_not_flagged(client_a, submitted):
    response = client_a.get(detail(submitted))
    assert response.context["overdue"] is False
    assert "overdue-flag" not in response.content.decode()


@pytest.mark.parametrize(("who", "side"), [("client_a", "requested"), ("client_b", "received")])
def test_overdue_request_is_flagged_in_both_lists(request, submitted, make_overdue, who, side):
    make_overdue(submitted)
    response = request.getfixturevalue(who).get(reverse("portal:agreement_list"), {"side": side})
    [row] = response.context["page"].object_list
    assert row.is_overdue
    assert "overdue-flag" in response.content.decode()


def test_overdue_filter_lists_only_overdue_requests(
    client_b, submitted, make_overdue, make_agreement, other_resource, liaison_a
):
    on_time = make_agreement(other_resource.items.all())
    services.agreement_submit(agreement=on_time, actor=liaison_a)
    make_overdue(submitted)
    response = client_b.get(reverse("portal:agreement_list"), {"status": "overdue"})
    assert [a.pk for a in response.context["page"].object_list] == [submitted.pk]


def test_requester_dashboard_flags_its_overdue_request(client_a, submitted, make_overdue):
    make_overdue(submitted)
    response = client_a.get(reverse("portal:dashboard"))
    assert response.context["agreement_counts"]["awaiting_overdue"] == 1
    assert f"{reverse('portal:agreement_list')}?side=requested&amp;status=overdue" in response.content.decode()


def test_provider_dashboard_flags_the_overdue_request_to_decide(client_b, submitted, make_overdue):
    make_overdue(submitted)
    response = client_b.get(reverse("portal:dashboard"))
    assert response.context["agreement_counts"]["to_decide_overdue"] == 1
    assert f"{reverse('portal:agreement_list')}?side=received&amp;status=overdue" in response.content.decode()


# --- The list ---------------------------------------------------------------------------------


def test_tabs_separate_what_we_requested_from_what_was_requested_from_us(
    client_b, submitted, make_agreement, liaison_b, dept_a, liaison_a, officer
):
    from tests.factories import make_published_resource

    ours = make_agreement(make_published_resource(dept_a, liaison_a, officer).items.all(), actor=liaison_b)
    url = reverse("portal:agreement_list")
    assert [a.pk for a in client_b.get(url, {"side": "requested"}).context["page"].object_list] == [ours.pk]
    assert [a.pk for a in client_b.get(url, {"side": "received"}).context["page"].object_list] == [submitted.pk]
    assert {a.pk for a in client_b.get(url).context["page"].object_list} == {ours.pk, submitted.pk}


def test_status_filter(client_a, submitted, make_agreement, other_resource):
    draft = make_agreement(other_resource.items.all())
    response = client_a.get(reverse("portal:agreement_list"), {"status": "draft"})
    assert [a.pk for a in response.context["page"].object_list] == [draft.pk]


def test_empty_list_tells_how_to_request_data(client_a):
    body = client_a.get(reverse("portal:agreement_list")).content.decode()
    assert reverse("portal:agreement_create") in body
    assert reverse("portal:catalogue_list") in body


def test_list_is_paginated(client_a, make_agreement, conditional_resource):
    from sharing.views import PAGE_SIZE

    for _ in range(PAGE_SIZE + 1):
        make_agreement(conditional_resource.items.all())
    response = client_a.get(reverse("portal:agreement_list"))
    assert response.context["page"].paginator.num_pages == 2
