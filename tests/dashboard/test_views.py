"""The dashboard page: who may open it, what each of them sees, freshness and recomputation."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from catalog import services
from catalog.models import Department
from govdata import analytics
from govdata.models import AggregationPolicy, GovernanceSnapshot
from govdata.roles import Role
from tests.dashboard.conftest import NOW, logged_in
from tests.factories import make_duty, make_user

pytestmark = pytest.mark.django_db

URL = "/dashboard/"


@pytest.fixture
def english():
    with translation.override("en"):
        yield


def page(user, query=""):
    response = logged_in(user).get(URL + query)
    assert response.status_code == 200, response.status_code
    return response


# --- Who may open it ----------------------------------------------------------------------


def test_dashboard_is_mounted_under_its_namespace():
    assert reverse("dashboard:index") == URL


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


@pytest.mark.parametrize("role", [Role.OPERATOR_USER, Role.AUDIT_FIRM_USER, None])
def test_other_roles_are_refused(db, role):
    user = make_user("someone", *([role] if role else []))
    assert logged_in(user).get(URL).status_code == 403


def test_liaison_without_department_is_refused(db):
    user = make_user("homeless", Role.LIAISON)
    assert logged_in(user).get(URL).status_code == 403


def test_officer_sees_every_department(world, officer):
    response = page(officer)
    for department in world.departments.values():
        assert department.name in response.content.decode()
    assert response.context["bureau"] is True


def test_auditor_sees_every_department_but_cannot_recompute(world, auditor):
    response = page(auditor)
    assert world.departments["B"].name in response.content.decode()
    assert response.context["may_recompute"] is False
    assert reverse("dashboard:recompute") not in response.content.decode()


def test_liaison_sees_only_their_own_department(world):
    response = page(world.liaisons["A"])
    html = response.content.decode()
    assert world.departments["A"].name in html
    for other in ("B", "C", "bureau"):
        assert world.departments[other].name not in html
    assert set(response.context["figures"].scorecards) == {analytics.department_key(world.departments["A"].pk)}


def test_liaison_never_sees_another_departments_resources_or_figures(world):
    html = page(world.liaisons["B"]).content.decode()
    for code in ("RA1", "RA2", "RA3", "RA5", "RA6"):
        assert world.resources[code].name not in html
    # A's overdue-free figures and its agreements as provider are not B's business either.
    assert world.agreements["G1"].number not in html and world.agreements["G2"].number not in html


def test_liaison_page_shows_its_own_figures(world):
    response = page(world.liaisons["B"])
    context = response.context
    assert context["funnel_overall"]["duties"] == 2
    assert [s["count"] for s in context["funnel_overall"]["stages"]] == [1, 2, 2, 0]
    assert context["funnel_departments"] == []
    assert context["sharing"]["overdue_count"] == 1
    assert [row["number"] for row in context["overdue"]] == [world.agreements["G4"].number]
    assert context["overdue"][0]["requester"] == "" and context["overdue"][0]["days_overdue"] == 6


def test_liaison_cannot_recompute(world):
    before = GovernanceSnapshot.objects.count()
    response = logged_in(world.liaisons["A"]).post(reverse("dashboard:recompute"))
    assert response.status_code == 403
    assert GovernanceSnapshot.objects.count() == before


def test_auditor_cannot_recompute(world, auditor):
    assert logged_in(auditor).post(reverse("dashboard:recompute")).status_code == 403


# --- What the page shows ------------------------------------------------------------------


def test_page_shows_the_funnel_per_department_and_overall(world, officer):
    context = page(officer).context
    overall = context["funnel_overall"]
    assert overall["duties"] == 7
    assert [(s["key"], s["count"], s["rate"]) for s in overall["stages"]] == [
        ("with_system", 4, 57.1),
        ("with_resource", 5, 71.4),
        ("with_shareable", 3, 42.9),
        ("with_agreement", 1, 14.3),
    ]
    by_department = {row["department_id"]: row for row in context["funnel_departments"]}
    a = by_department[world.departments["A"].pk]
    assert (a["duties"], [s["count"] for s in a["stages"]]) == (5, [3, 3, 1, 1])
    assert [s["rate"] for s in a["stages"]] == [60.0, 60.0, 20.0, 20.0]
    assert context["funnel_chart"]["counts"] == [7, 4, 5, 3, 1]


def test_page_shows_the_quadrant_of_the_default_window(world, officer):
    context = page(officer).context
    assert context["window"] == 90
    assert context["quadrant"]["recommended"] == {"physical": 1, "logical": 4, "either": 1}
    assert [(r["catalogue_code"], r["department"]) for r in context["mismatches"]] == [
        ("RA1", world.departments["A"].name),
        ("RA6", world.departments["A"].name),
    ]
    physical, logical = context["quadrant_chart"]["datasets"]
    assert physical["points"] == [{"x": 0, "y": 0, "count": 1}, {"x": 5, "y": 1, "count": 1}]
    assert logical["points"] == [{"x": 0, "y": 0, "count": 3}, {"x": 4, "y": 2, "count": 1}]
    chart = context["quadrant_chart"]
    assert (chart["frequency_threshold"], chart["spillover_threshold"]) == (3, 2)


def test_page_shows_the_chosen_window(world, officer):
    context = page(officer, "?window=30").context
    assert context["window"] == 30
    assert [r["catalogue_code"] for r in context["mismatches"]] == ["RA6"]


def test_unknown_window_falls_back_to_the_default_with_a_message(world, officer, english):
    response = page(officer, "?window=7")
    assert response.context["window"] == 90
    assert "Choose a window of 30, 90 or 365 days." in response.content.decode()


def test_page_shows_conformance_lists_with_links(world, officer):
    context = page(officer).context
    assert [e["code"] for e in context["no_source"]] == ["E2", "E3"]
    assert context["no_source"][0]["url"] == reverse("admin:catalog_dataelement_change", args=[world.elements["E2"].pk])
    assert [(d["code"], d["department"], d["source_department"]) for d in context["duplicates"]] == [
        ("PSB31", world.departments["A"].name, world.departments["B"].name),
        ("AMR11", world.departments["B"].name, world.departments["A"].name),
    ]


def test_liaison_links_lead_to_the_portal(world):
    context = page(world.liaisons["A"]).context
    assert context["duplicates"][0]["url"] == reverse("portal:resource_detail", args=[world.resources["RA3"].pk])
    assert context["no_source"][0]["url"].startswith(reverse("portal:element_list"))


def test_page_shows_sharing_health(world, officer):
    context = page(officer).context
    assert {row["status"]: row["count"] for row in context["status_rows"] if row["count"]} == {
        "submitted": 2,
        "active": 3,
        "provider_rejected": 1,
    }
    assert context["median_days"] == 2.5
    (overdue,) = context["overdue"]
    assert (overdue["requester"], overdue["provider"]) == (world.departments["A"].name, world.departments["B"].name)
    assert overdue["days_overdue"] == 6


def test_page_shows_a_scorecard_per_department(world, officer):
    rows = {row["department_id"]: row for row in page(officer).context["scorecards"]}
    b = rows[world.departments["B"].pk]
    assert b["rates"] == {"with_system": 50.0, "with_resource": 100.0, "with_shareable": 100.0, "with_agreement": 0.0}
    assert (b["card"]["overdue"], b["card"]["pending"], b["median_days"], b["conformance_issues"]) == (1, 2, 2.0, 3)
    assert rows[world.departments["C"].pk]["rates"]["with_resource"] is None


def test_charts_are_served_from_static_files(world, officer):
    html = page(officer).content.decode()
    assert "/static/vendor/chartjs/chart.umd.min.js" in html
    assert "/static/dashboard/dashboard.js" in html
    for chart in ("funnel-data", "quadrant-data", "status-data", "history-data"):
        assert f'id="{chart}"' in html


# --- Freshness and history ----------------------------------------------------------------


def test_first_visit_computes_and_stores_a_snapshot(world, officer):
    assert not GovernanceSnapshot.objects.exists()
    page(officer)
    snapshot = GovernanceSnapshot.objects.get()
    assert snapshot.taken_by == officer


def test_first_visit_by_a_liaison_stores_a_snapshot_without_them(world):
    page(world.liaisons["A"])
    assert GovernanceSnapshot.objects.get().taken_by is None


def test_page_shows_the_latest_snapshot_not_live_figures(world, officer, clock):
    analytics.snapshot_take(actor=officer)
    # A new duty after the snapshot is not on the page until the figures are recomputed.
    make_duty(world.departments["A"], world.liaisons["A"])
    context = page(officer).context
    assert context["funnel_overall"]["duties"] == 7
    assert context["figures"].taken_at == NOW


def test_page_says_how_fresh_the_figures_are(world, officer, english):
    analytics.snapshot_take(actor=officer)
    html = page(officer).content.decode()
    assert "Figures as of" in html


def test_officer_recomputes_now(world, officer, clock):
    analytics.snapshot_take(actor=officer)
    make_duty(world.departments["A"], world.liaisons["A"])
    clock.day(1)
    client = logged_in(officer)
    response = client.post(reverse("dashboard:recompute"), {"window": "30"})
    assert response.status_code == 302
    assert response["Location"] == URL + "?window=30"
    assert GovernanceSnapshot.objects.count() == 2
    context = client.get(URL).context
    assert context["funnel_overall"]["duties"] == 8
    assert context["figures"].taken_at == NOW + timedelta(days=1)


def test_recompute_needs_post(world, officer):
    assert logged_in(officer).get(reverse("dashboard:recompute")).status_code == 405


def test_scorecard_history_is_the_series_of_snapshots(world, officer, clock):
    analytics.snapshot_take(actor=officer)
    # The next day department A links A4 to RA1, which is shared under G1 and G2: one more duty
    # with a shareable resource and under an active agreement (2 of A's 5, 4 and 2 of all 7).
    clock.day(1)
    resource = world.resources["RA1"]
    services.resource_revise(resource=resource, actor=officer, reason="补充职责")
    resource.refresh_from_db()
    services.resource_save(
        resource=resource, actor=world.liaisons["A"], duties=[world.duties["A1"], world.duties["A4"]]
    )
    services.resource_submit(resource=resource, actor=world.liaisons["A"])
    services.resource_publish(resource=resource, actor=officer)
    analytics.snapshot_take(actor=officer)
    context = page(officer).context
    assert context["history_length"] == 2
    # The sparklines follow the last stage of the funnel, per department.
    assert context["history_chart"]["sparklines"][str(world.departments["A"].pk)] == [20.0, 40.0]
    assert context["history_chart"]["sparklines"][str(world.departments["B"].pk)] == [0.0, 0.0]
    bureau_series = {s["key"]: s["values"] for s in context["history_chart"]["series"]}
    assert bureau_series["with_shareable"] == [42.9, 57.1]
    assert bureau_series["with_agreement"] == [14.3, 28.6]
    a = analytics.department_key(world.departments["A"].pk)
    assert [cards[a]["with_agreement"] for _taken_at, cards in analytics.scorecard_history()] == [1, 2]


def test_department_newer_than_the_snapshot_is_computed_live(world, officer, dept_c):
    analytics.snapshot_take(actor=officer)
    newcomer = services.department_save(department=Department(code="EDU", name="市教育局"), actor=None)
    liaison = make_user("liaison_edu", Role.LIAISON, department=newcomer)
    context = page(liaison).context
    assert context["figures"].live is True
    assert context["funnel_overall"]["duties"] == 0


def test_page_warns_when_the_policy_changed_after_the_snapshot(world, officer, english):
    analytics.snapshot_take(actor=officer)
    policy = AggregationPolicy.current()
    policy.frequency_threshold = 10
    analytics.policy_save(policy=policy, actor=officer)
    response = page(officer)
    assert response.context["policy_changed"] is True
    assert "The policy has changed since these figures were computed" in response.content.decode()
    # The quadrant still shows the thresholds the figures were computed with.
    assert response.context["quadrant_chart"]["frequency_threshold"] == 3
