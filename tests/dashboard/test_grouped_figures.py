"""compute_figures reads every department's figures grouped by department: the same figures as
each department's own scope_figures, in a number of queries that does not grow with departments."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog import services as catalog_services
from catalog.choices import AggregationMode, ShareType
from catalog.models import DataElement, Department
from govdata import analytics
from govdata.models import AggregationPolicy
from govdata.roles import Role
from sharing import services as sharing_services
from sharing.choices import UsageMode
from tests.dashboard.conftest import NOW, publish
from tests.dashboard.conftest import request as draft_request
from tests.factories import make_duty, make_system, make_user

pytestmark = pytest.mark.django_db

CONDITIONAL = {"share_type": ShareType.CONDITIONAL, "share_conditions": "仅限业务核验"}
# Short enough that the small world below runs past it in every list of some department.
SHORT_LIST = 2
DAY = 86400


def department(code, name):
    dept = catalog_services.department_save(department=Department(code=code, name=name), actor=None)
    return dept, make_user(f"liaison_{code.lower()}", Role.LIAISON, department=dept)


def use(agreement, actor, day, codes):
    """A use `day` days from NOW (negative: in the past), refused when outside the agreement."""
    when = NOW + timedelta(days=day)
    sharing_services.usage_record(
        agreement=agreement, actor=actor, mode=UsageMode.QUERY, item_codes=codes, record_count=1, used_at=when
    )


@pytest.fixture
def varied(world, clock, officer):
    """The world of conftest.py (PSB, AMR, CIV, the bureau) grown with EDU, HRS and the inactive OLD.

    EDU: seven published resources (four physical, never used; three logical, used), one submitted,
    one retired; items carrying elements without a source, sourced elsewhere and contested; three
    requests to PSB left undecided past their due date; three decisions of its own as a provider.
    HRS: a provider (two decisions) and requester of EDU, claims contesting EDU's. OLD has data of every kind and
    must not appear. Uses fall inside 30 days, between 30 and 90, between 90 and 365.
    """
    psb, amr = world.departments["A"], world.departments["B"]
    liaison_a = world.liaisons["A"]
    e1, e2, e4 = world.elements["E1"], world.elements["E2"], world.elements["E4"]
    clock.day(-180)
    edu, liaison_d = department("EDU", "市教育局")
    hrs, liaison_e = department("HRS", "市人社局")
    old, liaison_f = department("OLD", "原市编办")
    e5, e6, e7, e8 = (DataElement.objects.create(code=f"E{n}", name=f"数据元{n}") for n in range(5, 9))

    system = make_system(edu, liaison_d, code="SD1")
    duties = [make_duty(edu, liaison_d, systems=[system], code=f"D{n}") for n in range(1, 4)]
    make_duty(hrs, liaison_e, code="H1")
    make_duty(old, liaison_f, code="F1")
    physical = {"aggregation_mode": AggregationMode.PHYSICAL}
    rd = {
        # Physical and never used: idle mismatches, listed in catalogue code order.
        **{
            f"RD{n}": publish(edu, liaison_d, officer, f"RD{n}", [(f"EDU{n}1", element)], **physical)
            for n, element in zip((4, 2, 3, 1), (e5, e6, e7, e8), strict=True)
        },
        "RD5": publish(
            edu,
            liaison_d,
            officer,
            "RD5",
            [("EDU51", e1), ("EDU52", e4), ("EDU53", e5), ("EDU54", e7)],
            duties=duties[:2],
            **CONDITIONAL,
        ),
        "RD6": publish(edu, liaison_d, officer, "RD6", [("EDU61", e8), ("EDU62", None)], duties=duties[2:]),
        "RD9": publish(edu, liaison_d, officer, "RD9", [("EDU91", None)]),
        "RD7": publish(edu, liaison_d, officer, "RD7", [("EDU71", e6)], draft=True),
        "RD8": publish(edu, liaison_d, officer, "RD8", [("EDU81", e6)]),
    }
    catalog_services.resource_submit(resource=rd["RD7"], actor=liaison_d)
    catalog_services.resource_retire(resource=rd["RD8"], actor=officer, reason="停用")
    re1 = publish(hrs, liaison_e, officer, "RE1", [("HRS11", e2), ("HRS12", None)], **physical)
    publish(old, liaison_f, officer, "RF1", [("OLD11", e5)], **physical)

    # E2 is claimed by PSB and AMR already; E5, E6 by EDU and HRS; E7 confirmed for HRS.
    for element in (e2, e5, e6):
        catalog_services.source_claim(element=element, department=edu, actor=liaison_d, legal_basis="教育管理")
    for element in (e5, e6, e7):
        catalog_services.source_claim(element=element, department=hrs, actor=liaison_e, legal_basis="人事管理")
    catalog_services.source_claim(element=e6, department=old, actor=liaison_f, legal_basis="机构编制")
    catalog_services.source_confirm(
        assignment=e7.assignments.get(department=hrs, status="claimed"), actor=officer, reason="人社局采集"
    )

    ra1_items = world.resources["RA1"].items.all()
    ra5_items = world.resources["RA5"].items.all()
    h = {
        "H1": draft_request(liaison_d, psb, ra1_items),
        "H2": draft_request(liaison_d, amr, world.resources["RB2"].items.all()),
        "H3": draft_request(liaison_d, psb, ra5_items),
        "H4": draft_request(liaison_d, psb, ra5_items),
        "H5": draft_request(liaison_d, psb, ra5_items),
        "H6": draft_request(liaison_e, edu, rd["RD5"].items.all()),
        "H7": draft_request(liaison_e, edu, [*rd["RD6"].items.all(), *rd["RD9"].items.all()]),
        "H8": draft_request(liaison_d, hrs, re1.items.all()),
        "H9": draft_request(liaison_e, edu, rd["RD5"].items.all()),
        "H10": draft_request(liaison_a, edu, rd["RD6"].items.all()),
        "H11": draft_request(liaison_d, hrs, re1.items.all()),
    }
    sv = sharing_services
    steps = [
        (-90, lambda: sv.agreement_submit(agreement=h["H6"], actor=liaison_e)),
        (-87, lambda: sv.agreement_provider_approve(agreement=h["H6"], actor=liaison_d)),
        (-86, lambda: sv.agreement_bureau_approve(agreement=h["H6"], actor=officer)),
        (-80, lambda: sv.agreement_submit(agreement=h["H7"], actor=liaison_e)),
        (-79.5, lambda: sv.agreement_bureau_approve(agreement=h["H7"], actor=officer)),
        (-45, lambda: sv.agreement_submit(agreement=h["H1"], actor=liaison_d)),
        (-44, lambda: sv.agreement_bureau_approve(agreement=h["H1"], actor=officer)),
        (-40, lambda: sv.agreement_submit(agreement=h["H8"], actor=liaison_d)),
        (-33, lambda: sv.agreement_bureau_approve(agreement=h["H8"], actor=officer)),
        (-35, lambda: sv.agreement_submit(agreement=h["H3"], actor=liaison_d)),
        (-30, lambda: sv.agreement_submit(agreement=h["H2"], actor=liaison_d)),
        (-25, lambda: sv.agreement_submit(agreement=h["H4"], actor=liaison_d)),
        (-24, lambda: sv.agreement_bureau_approve(agreement=h["H2"], actor=officer)),
        (-22, lambda: sv.agreement_submit(agreement=h["H5"], actor=liaison_d)),
        (-20, lambda: sv.agreement_submit(agreement=h["H11"], actor=liaison_d)),
        (-19, lambda: sv.agreement_bureau_approve(agreement=h["H11"], actor=officer)),
        (-12, lambda: sv.agreement_submit(agreement=h["H9"], actor=liaison_e)),
        (-9, lambda: sv.agreement_provider_reject(agreement=h["H9"], actor=liaison_d, reason="超出职责")),
        (-1, lambda: sv.agreement_submit(agreement=h["H10"], actor=liaison_a)),
    ]
    for when, step in sorted(steps, key=lambda s: s[0]):
        clock.day(when)
        step()

    clock.day(0)
    uses = [
        # EDU uses PSB's RA1 (three departments use it now) and AMR's RB2 and HRS's RE1 a lot.
        ("H1", liaison_d, [-2, -8, -40], ["PSB01"]),
        ("H2", liaison_d, [-1, -3], ["AMR21"]),
        ("H8", liaison_d, [-1, -2, -3, -4, -31], ["HRS11"]),
        # HRS uses EDU's RD5, RD6 and RD9, RD5 once more than 90 days ago.
        ("H6", liaison_e, [-10, -60, -85, -120], ["EDU51", "EDU53"]),
        ("H7", liaison_e, [-5, -20], ["EDU61"]),
        ("H7", liaison_e, [-3], ["EDU91"]),
        # Outside the agreed period (from day -150): refused, and counted nowhere.
        ("H6", liaison_e, [-200], ["EDU52"]),
    ]
    for name, actor, days, codes in uses:
        agreement = h[name]
        agreement.refresh_from_db()
        for n in days:
            use(agreement, actor, n, codes)
    old.active = False
    catalog_services.department_save(department=old, actor=None, reason="机构改革")
    return {"EDU": edu, "HRS": hrs, "OLD": old}


@pytest.fixture
def short_lists(monkeypatch):
    monkeypatch.setattr(analytics, "LIST_LIMIT", SHORT_LIST)


def own_figures(department_id):
    return analytics.scope_figures(department_id, policy=AggregationPolicy.current(), now=NOW)


@pytest.mark.parametrize("limit", [SHORT_LIST, analytics.LIST_LIMIT])
def test_grouped_figures_equal_each_departments_own_figures(varied, limit, monkeypatch):
    monkeypatch.setattr(analytics, "LIST_LIMIT", limit)
    figures = analytics.compute_figures(now=NOW)
    active = Department.objects.filter(active=True).order_by("code")
    assert list(figures["departments"]) == [analytics.department_key(d.pk) for d in active]
    for dept in active:
        assert figures["departments"][analytics.department_key(dept.pk)] == own_figures(dept.pk), dept.code
    assert figures["bureau"] == own_figures(None)


def test_grouped_scorecards_equal_each_departments_own_scorecard(varied):
    policy = AggregationPolicy.current()
    cards = analytics.compute_figures(now=NOW)["scorecards"]
    for dept in Department.objects.filter(active=True):
        assert cards[analytics.department_key(dept.pk)] == analytics.scorecard(own_figures(dept.pk), policy)


def test_grouped_figures_leave_inactive_departments_out(varied):
    figures = analytics.compute_figures(now=NOW)
    assert analytics.department_key(varied["OLD"].pk) not in figures["departments"]
    assert analytics.department_key(varied["OLD"].pk) not in figures["scorecards"]
    assert analytics.department_key(varied["EDU"].pk) in figures["departments"]


def test_the_varied_world_exercises_what_grouping_could_get_wrong(varied, short_lists, world):
    """The equality above proves something only if lists are cut, counts exceed them and medians
    are taken of odd and even numbers of decisions."""
    figures = analytics.compute_figures(now=NOW)["departments"]
    edu = figures[analytics.department_key(varied["EDU"].pk)]
    psb = figures[analytics.department_key(world.departments["A"].pk)]
    hrs = figures[analytics.department_key(varied["HRS"].pk)]
    year = edu["quadrant"][analytics.window_key(365)]
    assert [r["catalogue_code"] for r in year["mismatches"]] == ["RD1", "RD2"]
    assert year["mismatch_count"] == 4
    # RD5 (4 uses), RD6 (2), RD9 (1) were used.
    assert [(r["catalogue_code"], r["uses"]) for r in year["top"]] == [("RD5", 4), ("RD6", 2)]
    conformance = edu["conformance"]
    assert (conformance["no_source_count"], len(conformance["no_source"])) == (3, SHORT_LIST)
    assert (conformance["contested_count"], len(conformance["contested"])) == (3, SHORT_LIST)
    assert [row["claims"] for row in conformance["contested"]] == [3, 2]
    # E1 (source PSB), E4 (AMR) and E7 (HRS) twice.
    assert (conformance["duplicate_count"], len(conformance["duplicates"])) == (4, SHORT_LIST)
    assert (psb["sharing"]["overdue_count"], len(psb["sharing"]["overdue"])) == (3, SHORT_LIST)
    # EDU decided H6 in 3 days, H7 in half a day, H9 in 3 days; HRS H8 in 7 days, H11 in 1.
    assert (edu["sharing"]["decided"], edu["sharing"]["median_decision_seconds"]) == (3, 3 * DAY)
    assert (hrs["sharing"]["decided"], hrs["sharing"]["median_decision_seconds"]) == (2, 4 * DAY)


# --- Queries ------------------------------------------------------------------------------


@pytest.fixture
def grow(clock, officer):
    """Add departments, each with a duty, a published resource whose item carries an element
    (claimed by it and by the previous department), a request to the previous department that is
    decided and used, and one left overdue."""
    departments = []

    def run(n):
        while len(departments) < n:
            i = len(departments)
            clock.day(-60)
            dept, liaison = department(f"G{i:02d}", f"部门{i}")
            element = DataElement.objects.create(code=f"GE{i:02d}", name=f"数据元{i}")
            duty = make_duty(dept, liaison, systems=[make_system(dept, liaison)])
            resource = publish(dept, liaison, officer, f"G{i:02d}", [(f"G{i:02d}1", element)], duties=[duty])
            catalog_services.source_claim(element=element, department=dept, actor=liaison, legal_basis="职责")
            if departments:
                provider, provider_liaison, provider_resource = departments[-1]
                catalog_services.source_claim(
                    element=element, department=provider, actor=provider_liaison, legal_basis="职责"
                )
                agreement = draft_request(liaison, provider, provider_resource.items.all())
                overdue = draft_request(liaison, provider, provider_resource.items.all())
                sharing_services.agreement_submit(agreement=agreement, actor=liaison)
                sharing_services.agreement_submit(agreement=overdue, actor=liaison)
                clock.day(-58)
                sharing_services.agreement_bureau_approve(agreement=agreement, actor=officer)
                clock.day(0)
                agreement.refresh_from_db()
                use(agreement, liaison, -1, [provider_resource.items.get().code])
            departments.append((dept, liaison, resource))

    return run


def figures_queries() -> int:
    with CaptureQueriesContext(connection) as ctx:
        analytics.compute_figures(now=NOW)
    return len(ctx.captured_queries)


def test_compute_figures_query_count_does_not_grow_with_departments(grow):
    grow(2)
    analytics.compute_figures(now=NOW)  # Warm-up: the policy row is created on first use.
    two = figures_queries()
    grow(6)
    six = figures_queries()
    assert Department.objects.filter(active=True).count() == 7  # and the bureau of conftest.py
    assert two == six, (two, six)
    # The usage of each window (3), the bureau (~18), then ten for every department together.
    assert six <= 35
