"""Every figure of govdata.analytics against values worked out by hand on the world of conftest.py."""

import pytest

from catalog.choices import AggregationMode
from govdata import analytics
from govdata.models import AggregationPolicy
from sharing import services as sharing_services
from sharing.choices import AgreementStatus
from tests.dashboard.conftest import NOW

pytestmark = pytest.mark.django_db

PHYSICAL, LOGICAL = AggregationMode.PHYSICAL.value, AggregationMode.LOGICAL.value
DAY = 86400


def quadrant(world, window_days, department=None):
    department_id = world.departments[department].pk if department else None
    return analytics.quadrant(
        window_days=window_days, policy=AggregationPolicy.current(), department_id=department_id, now=NOW
    )


def codes(rows, key="catalogue_code"):
    return [row[key] for row in rows]


# --- Coverage funnel ----------------------------------------------------------------------


def test_funnel_of_department_a_counts_each_stage_by_its_definition(world):
    # A1 (system, RA1 published and in G1/G2), A2 (system, RA2 published but not shared),
    # A3 (draft RA3), A4 (nothing), A5 (system, only the retired RA4).
    assert analytics.funnel(world.departments["A"].pk) == {
        "duties": 5,
        "with_system": 3,
        "with_resource": 3,
        "with_shareable": 1,
        "with_agreement": 1,
    }


def test_funnel_of_department_b_has_no_duty_under_an_active_agreement(world):
    # B1 and B2 link RB1, whose agreements are submitted or rejected; RB2 (active G3) has no duty.
    assert analytics.funnel(world.departments["B"].pk) == {
        "duties": 2,
        "with_system": 1,
        "with_resource": 2,
        "with_shareable": 2,
        "with_agreement": 0,
    }


def test_funnel_of_the_bureau_adds_up_every_department(world):
    assert analytics.funnel() == {
        "duties": 7,
        "with_system": 4,
        "with_resource": 5,
        "with_shareable": 3,
        "with_agreement": 1,
    }


def test_funnel_of_a_department_without_duties_is_all_zero(world):
    assert set(analytics.funnel(world.departments["C"].pk).values()) == {0}


# --- Aggregation quadrant -----------------------------------------------------------------


def test_usage_counts_accepted_uses_that_touched_the_resource_within_the_window(world):
    # RA1 in 90 days: B at -5, -20, -40 and C at -50; RB2: A five times. C's refused use and its
    # use of RA5 at -100 do not count; RA5 shares G2 with RA1 but C's use at -50 named only PSB01.
    usage = analytics.resource_usage(window_days=90, policy=AggregationPolicy.current(), now=NOW)
    assert [(r["catalogue_code"], r["uses"], r["spillover"]) for r in usage] == [("RB2", 5, 1), ("RA1", 4, 2)]


def test_usage_in_a_shorter_window_leaves_older_uses_out(world):
    usage = analytics.resource_usage(window_days=30, policy=AggregationPolicy.current(), now=NOW)
    assert [(r["catalogue_code"], r["uses"], r["spillover"]) for r in usage] == [("RB2", 5, 1), ("RA1", 2, 1)]


def test_usage_in_a_year_includes_the_use_of_ra5(world):
    usage = analytics.resource_usage(window_days=365, policy=AggregationPolicy.current(), now=NOW)
    assert [(r["catalogue_code"], r["uses"], r["spillover"]) for r in usage] == [
        ("RB2", 5, 1),
        ("RA1", 4, 2),
        ("RA5", 1, 1),
    ]


def test_recommendation_follows_both_thresholds():
    policy = AggregationPolicy(frequency_threshold=3, spillover_threshold=2)
    assert analytics.recommendation(4, 2, policy) == PHYSICAL
    assert analytics.recommendation(2, 1, policy) == LOGICAL
    assert analytics.recommendation(5, 1, policy) == analytics.EITHER
    assert analytics.recommendation(1, 3, policy) == analytics.EITHER


def test_quadrant_groups_resources_by_position_and_actual_mode(world):
    # Unused: RA2, RA5, RB1 (logical) and RA6 (physical) at (0, 0).
    assert quadrant(world, 90)["points"] == [
        {"uses": 0, "spillover": 0, "mode": LOGICAL, "count": 3},
        {"uses": 0, "spillover": 0, "mode": PHYSICAL, "count": 1},
        {"uses": 4, "spillover": 2, "mode": LOGICAL, "count": 1},
        {"uses": 5, "spillover": 1, "mode": PHYSICAL, "count": 1},
    ]


def test_quadrant_counts_recommendations(world):
    # RA1 physical (4 uses, 2 departments); RB2 either (5 uses, 1 department); the rest logical.
    figures = quadrant(world, 90)
    assert figures["resources"] == 6
    assert figures["recommended"] == {PHYSICAL: 1, LOGICAL: 4, "either": 1}


def test_quadrant_lists_mismatches_most_used_first(world):
    # RA1 is logical but recommended physical; RA6 is physical but unused (recommended logical).
    figures = quadrant(world, 90)
    assert figures["mismatch_count"] == 2
    assert [(r["catalogue_code"], r["aggregation_mode"], r["recommended"]) for r in figures["mismatches"]] == [
        ("RA1", LOGICAL, PHYSICAL),
        ("RA6", PHYSICAL, LOGICAL),
    ]


def test_quadrant_of_a_short_window_has_fewer_mismatches(world):
    # In 30 days RA1 is used twice by one department: logical, as it is.
    figures = quadrant(world, 30)
    assert figures["mismatch_count"] == 1
    assert codes(figures["mismatches"]) == ["RA6"]
    assert figures["recommended"] == {PHYSICAL: 0, LOGICAL: 5, "either": 1}


def test_quadrant_lists_the_most_used_resources(world):
    assert codes(quadrant(world, 90)["top"]) == ["RB2", "RA1"]


def test_quadrant_of_a_department_holds_only_its_resources(world):
    figures = quadrant(world, 90, "B")
    assert figures["resources"] == 2
    assert figures["recommended"] == {PHYSICAL: 0, LOGICAL: 1, "either": 1}
    assert figures["mismatch_count"] == 0
    assert codes(figures["top"]) == ["RB2"]


def test_recommendations_cover_every_published_resource(world):
    advice = analytics.recommendations(policy=AggregationPolicy.current())
    by_code = {world.resources[code].pk: code for code in world.resources}
    assert {by_code[pk]: mode for pk, mode in advice.items()} == {
        "RA1": PHYSICAL,
        "RA2": LOGICAL,
        "RA5": LOGICAL,
        "RA6": LOGICAL,
        "RB1": LOGICAL,
        "RB2": "",
    }


# --- One data, one source -----------------------------------------------------------------


def test_conformance_of_the_bureau(world):
    figures = analytics.conformance()
    assert (figures["no_source_count"], codes(figures["no_source"], "code")) == (2, ["E2", "E3"])
    assert (figures["contested_count"], codes(figures["contested"], "code")) == (1, ["E2"])
    assert figures["contested"][0]["claims"] == 2
    # RB1 collects E1 (source A); the draft RA3 collects E4 (source B); the retired RA4 no longer counts.
    assert figures["duplicate_count"] == 2
    assert [(d["resource__catalogue_code"], d["element__code"]) for d in figures["duplicates"]] == [
        ("RA3", "E4"),
        ("RB1", "E1"),
    ]


def test_duplicates_of_the_bureau_name_the_collector_and_the_source(world):
    a, b = world.departments["A"].pk, world.departments["B"].pk
    rows = analytics.conformance()["duplicates"]
    assert [(d["resource__department_id"], d["source_department_id"]) for d in rows] == [(a, b), (b, a)]


def test_conformance_of_department_a(world):
    figures = analytics.conformance(world.departments["A"].pk)
    # A's live items carry E1 (sourced), E3 (no source), E4 (sourced by B).
    assert codes(figures["no_source"], "code") == ["E3"]
    assert codes(figures["contested"], "code") == ["E2"]
    assert [d["code"] for d in figures["duplicates"]] == ["PSB31"]
    assert (figures["no_source_count"], figures["contested_count"], figures["duplicate_count"]) == (1, 1, 1)


def test_conformance_of_a_department_never_names_other_departments(world):
    rows = analytics.conformance(world.departments["B"].pk)["duplicates"]
    assert [d["code"] for d in rows] == ["AMR11"]
    assert "source_department_id" not in rows[0] and "resource__department_id" not in rows[0]


# --- Sharing health -----------------------------------------------------------------------


def test_requests_by_status_leave_drafts_out(world):
    figures = analytics.sharing_health(today=NOW.date())
    assert figures["requests"] == 6
    assert {s: n for s, n in figures["by_status"].items() if n} == {
        AgreementStatus.ACTIVE: 3,
        AgreementStatus.SUBMITTED: 2,
        AgreementStatus.PROVIDER_REJECTED: 1,
    }


def test_median_decision_time_of_the_bureau(world):
    # Decisions took 4 (G2), 2 (G1), 3 (G3) and 1 (G6) days: the median is 2.5 days.
    figures = analytics.sharing_health(today=NOW.date())
    assert figures["decided"] == 4
    assert figures["median_decision_seconds"] == 2.5 * DAY


def test_median_decision_time_with_an_odd_number_of_decisions(world, clock, officer):
    # G7 (unconditional) submitted on day -1 and registered on day 0: decisions 1, 1, 2, 3, 4 days.
    clock.day(-1)
    sharing_services.agreement_submit(agreement=world.agreements["G7"], actor=world.liaisons["A"])
    clock.day(0)
    sharing_services.agreement_bureau_approve(agreement=world.agreements["G7"], actor=officer)
    figures = analytics.sharing_health(today=NOW.date())
    assert (figures["decided"], figures["median_decision_seconds"]) == (5, 2 * DAY)


def test_median_decision_time_counts_the_providers_decisions(world):
    a = analytics.sharing_health(world.departments["A"].pk, today=NOW.date())
    b = analytics.sharing_health(world.departments["B"].pk, today=NOW.date())
    c = analytics.sharing_health(world.departments["C"].pk, today=NOW.date())
    assert (a["decided"], a["median_decision_seconds"]) == (2, 3 * DAY)
    assert (b["decided"], b["median_decision_seconds"]) == (2, 2 * DAY)
    assert (c["decided"], c["median_decision_seconds"]) == (0, None)


def test_overdue_decisions_are_submitted_requests_past_their_due_date(world):
    # G4 was submitted on Wednesday 18 February: 10 working days later is 4 March. G5 is due 20 March.
    figures = analytics.sharing_health(today=NOW.date())
    assert (figures["pending"], figures["overdue_count"]) == (2, 1)
    (row,) = figures["overdue"]
    assert row["number"] == world.agreements["G4"].number
    assert row["decision_due"] == "2026-03-04"
    assert (row["requester_id"], row["provider_id"]) == (world.departments["A"].pk, world.departments["B"].pk)


def test_sharing_health_of_a_department_counts_both_sides(world):
    a = analytics.sharing_health(world.departments["A"].pk, today=NOW.date())
    b = analytics.sharing_health(world.departments["B"].pk, today=NOW.date())
    # A: provider of G1, G2; requester of G3, G4 (and of the draft G7, which is no request).
    assert (a["requests"], a["by_status"][AgreementStatus.ACTIVE], a["by_status"][AgreementStatus.SUBMITTED]) == (
        4,
        3,
        1,
    )
    assert (a["pending"], a["overdue_count"]) == (0, 0)
    # B: requester of G1; provider of G3, G4, G5, G6. The overdue G4 is B's to decide.
    assert (b["requests"], b["pending"], b["overdue_count"]) == (5, 2, 1)
    assert "requester_id" not in b["overdue"][0]


# --- Scorecards ---------------------------------------------------------------------------


def test_scorecards_combine_the_figures_of_each_department(world):
    figures = analytics.compute_figures(now=NOW)
    card = figures["scorecards"][analytics.department_key(world.departments["B"].pk)]
    assert card == {
        "duties": 2,
        "with_system": 1,
        "with_resource": 2,
        "with_shareable": 2,
        "with_agreement": 0,
        "resources": 2,
        "mismatches": 0,
        "no_source": 1,
        "contested": 1,
        "duplicates": 1,
        "requests": 5,
        "pending": 2,
        "overdue": 1,
        "median_decision_seconds": 2 * DAY,
    }


def test_figures_hold_every_active_department_and_the_policy(world):
    figures = analytics.compute_figures(now=NOW)
    expected = {analytics.department_key(d.pk) for d in world.departments.values()}
    assert set(figures["departments"]) == expected
    assert set(figures["scorecards"]) == expected | {"bureau"}
    assert figures["policy"] == {"frequency_threshold": 3, "spillover_threshold": 2, "window_days": 90}
