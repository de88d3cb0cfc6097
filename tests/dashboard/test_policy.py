"""The aggregation policy: one row, edited by officers (service and admin), every edit in its history."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from govdata import analytics
from govdata.models import AggregationPolicy, GovernanceSnapshot
from tests.dashboard.conftest import logged_in

pytestmark = pytest.mark.django_db


def edit(actor, reason="", **values):
    policy = AggregationPolicy.current()
    for name, value in values.items():
        setattr(policy, name, value)
    return analytics.policy_save(policy=policy, actor=actor, reason=reason)


def test_defaults_apply_until_the_policy_is_first_saved(db):
    policy = AggregationPolicy.current()
    assert policy.pk == 1 and policy._state.adding
    assert (policy.frequency_threshold, policy.spillover_threshold, policy.window_days) == (30, 3, 90)


def test_policy_edits_keep_history_with_actor_and_reason(officer):
    edit(officer, "试行", frequency_threshold=20)
    edit(officer, "按季度评估调整", spillover_threshold=4)
    history = list(AggregationPolicy.history.order_by("history_id"))
    assert [(h.history_type, h.frequency_threshold, h.spillover_threshold) for h in history] == [
        ("+", 20, 3),
        ("~", 20, 4),
    ]
    assert {h.history_user for h in history} == {officer}
    assert [h.history_change_reason for h in history] == ["试行", "按季度评估调整"]
    assert AggregationPolicy.objects.count() == 1


def test_liaison_cannot_change_the_policy(liaison_a):
    with pytest.raises(PermissionDenied):
        edit(liaison_a, frequency_threshold=1)
    assert not AggregationPolicy.objects.exists()


def test_auditor_cannot_change_the_policy(auditor):
    with pytest.raises(PermissionDenied):
        edit(auditor, frequency_threshold=1)


def test_threshold_below_one_is_refused(officer):
    with pytest.raises(ValidationError) as exc:
        edit(officer, spillover_threshold=0)
    assert "spillover_threshold" in exc.value.message_dict
    assert not AggregationPolicy.objects.exists()


def test_window_must_be_one_of_the_dashboard_windows(officer):
    with pytest.raises(ValidationError):
        edit(officer, window_days=60)


# --- Admin --------------------------------------------------------------------------------


def test_officer_edits_the_policy_in_the_admin_with_history(officer):
    edit(officer, frequency_threshold=30)
    url = reverse("admin:govdata_aggregationpolicy_change", args=[1])
    response = logged_in(officer).post(
        url,
        {"frequency_threshold": "12", "spillover_threshold": "5", "window_days": "365", "change_reason": "年度评估"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    policy = AggregationPolicy.objects.get()
    assert (policy.frequency_threshold, policy.spillover_threshold, policy.window_days) == (12, 5, 365)
    latest = AggregationPolicy.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (officer, "年度评估")


def test_admin_shows_the_policy_history(officer):
    edit(officer, "试行", frequency_threshold=20)
    response = logged_in(officer).get(reverse("admin:govdata_aggregationpolicy_history", args=[1]))
    assert response.status_code == 200
    assert "试行" in response.content.decode()


def test_admin_list_leads_to_the_single_policy(officer):
    client = logged_in(officer)
    assert client.get(reverse("admin:govdata_aggregationpolicy_changelist"))["Location"] == reverse(
        "admin:govdata_aggregationpolicy_add"
    )
    edit(officer, frequency_threshold=20)
    assert client.get(reverse("admin:govdata_aggregationpolicy_changelist"))["Location"] == reverse(
        "admin:govdata_aggregationpolicy_change", args=[1]
    )


def test_admin_offers_no_second_policy_and_no_deletion(officer):
    edit(officer, frequency_threshold=20)
    client = logged_in(officer)
    assert client.get(reverse("admin:govdata_aggregationpolicy_add")).status_code == 403
    assert client.get(reverse("admin:govdata_aggregationpolicy_delete", args=[1])).status_code == 403


def test_auditor_reads_the_policy_but_cannot_change_it(officer, auditor):
    edit(officer, frequency_threshold=20)
    client = logged_in(auditor)
    url = reverse("admin:govdata_aggregationpolicy_change", args=[1])
    assert client.get(url).status_code == 200
    client.post(url, {"frequency_threshold": "1", "spillover_threshold": "1", "window_days": "30"})
    assert AggregationPolicy.objects.get().frequency_threshold == 20


def test_snapshots_are_read_only_in_the_admin(officer):
    snapshot = analytics.snapshot_take(actor=officer)
    client = logged_in(officer)
    assert client.get(reverse("admin:govdata_governancesnapshot_changelist")).status_code == 200
    assert client.get(reverse("admin:govdata_governancesnapshot_change", args=[snapshot.pk])).status_code == 200
    assert client.get(reverse("admin:govdata_governancesnapshot_add")).status_code == 403
    assert client.get(reverse("admin:govdata_governancesnapshot_delete", args=[snapshot.pk])).status_code == 403
    assert GovernanceSnapshot.objects.count() == 1
