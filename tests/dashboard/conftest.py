"""A small hand-built bureau whose governance figures are worked out by hand in the tests.

Everything is built through the services (catalog, sharing) at chosen moments of a fixed clock,
so decision times, deadlines and usage windows come out exactly as computed below.

Day 0 (`NOW`) is Tuesday 10 March 2026, 10:00 in Shanghai. Departments: PSB (A), AMR (B), CIV (C)
and the bureau. Thresholds of the policy: 3 uses, 2 departments; default window 90 days.

Resources (published unless said otherwise; mode = actual aggregation mode):
  A  RA1 logical  items PSB01 (element E1), PSB02      duty A1          in G1, G2 (active)
     RA2 logical  not shared, item PSB21 (E3)          duty A2
     RA3 draft    item PSB31 (E4)                      duty A3
     RA4 retired  item PSB41 (E4)                      duty A5
     RA5 logical  conditional, item PSB51              —                in G2 (active)
     RA6 physical item PSB61                           —
  B  RB1 logical  conditional, item AMR11 (E1)         duties B1, B2    in G4, G5, G6 (none active)
     RB2 physical item AMR21 (E2)                      —                in G3 (active)
Duties: A1, A2, A5 have system SA1; A3, A4 none (A4 has no resource). B1 has SB1, B2 none.
Elements: E1 confirmed source A; E4 confirmed source B; E2 claimed by A and by B; E3 unclaimed.

Agreements (requester → provider, submitted day, decided day, state):
  G1 B → A  RA1 all items    -60  -58 (bureau, unconditional)   active
  G2 C → A  RA1.PSB01, RA5   -70  -66 (provider)                 active
  G3 A → B  RB2              -30  -27 (bureau, unconditional)   active
  G4 A → B  RB1              -20  —   due -6 (10 working days)   submitted, overdue
  G5 C → B  RB1               -2  —   due +8                     submitted
  G6 C → B  RB1              -15  -14 (provider)                 provider_rejected
  G7 A → B  RB2              never submitted                     draft
Accepted uses (day, items): G1 by B: -5 [PSB01], -20 [PSB01, PSB02], -40 [PSB02];
G2 by C: -50 [PSB01], -100 [PSB51]; G3 by A: -1, -2, -3, -4, -5 [AMR21].
Refused use: G2 by C, -3, [NOPE] (outside the agreement).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import django.utils.timezone
import pytest
from django.test import Client

from catalog import services as catalog_services
from catalog.choices import AggregationMode, ShareType, SubjectCategory, UpdateFrequency
from catalog.models import DataElement, DataItem, DataResource, Department
from govdata import analytics
from govdata.models import AggregationPolicy
from govdata.roles import Role
from sharing import services as sharing_services
from sharing.choices import UsageMode
from sharing.models import ShareAgreement
from tests.factories import make_duty, make_system, make_user

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def day(self, offset: float) -> datetime:
        """Move to `offset` days from NOW (negative: in the past) and return that moment."""
        self.now = NOW + timedelta(days=offset)
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """Django's clock, set by the test: services stamp submissions and decisions with it."""
    clock = Clock(NOW)
    monkeypatch.setattr(django.utils.timezone, "now", lambda: clock.now)
    return clock


@pytest.fixture
def dept_c(db):
    return catalog_services.department_save(department=Department(code="CIV", name="市民政局"), actor=None)


@pytest.fixture
def liaison_c(dept_c):
    return make_user("liaison_c", Role.LIAISON, department=dept_c)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def publish(department, liaison, officer, code, items, *, duties=(), draft=False, **fields) -> DataResource:
    """A resource with items given as (code, element or None), published unless `draft`."""
    fields.setdefault("share_type", ShareType.UNCONDITIONAL)
    item_share = fields.pop("item_share_type", fields["share_type"])
    resource = DataResource(
        department=department,
        catalogue_code=code,
        name=fields.pop("name", f"资源{code}"),
        subject=SubjectCategory.DEPARTMENTAL,
        update_frequency=UpdateFrequency.DAILY,
        **fields,
    )
    item_objs = [
        DataItem(code=item_code, name=f"字段{item_code}", element=element, share_type=item_share)
        for item_code, element in items
    ]
    resource = catalog_services.resource_save(resource=resource, actor=liaison, items=item_objs, duties=list(duties))
    if not draft:
        catalog_services.resource_submit(resource=resource, actor=liaison)
        catalog_services.resource_publish(resource=resource, actor=officer)
    resource.refresh_from_db()
    return resource


def request(requester_liaison, provider, items, *, valid_from_day=-150) -> ShareAgreement:
    agreement = ShareAgreement(
        provider=provider,
        purpose="核验身份信息",
        legal_basis="《政务数据共享条例》第十二条",
        usage_mode=UsageMode.QUERY,
        valid_from=(NOW + timedelta(days=valid_from_day)).date(),
        valid_to=(NOW + timedelta(days=365)).date(),
        requester_contact="张三",
    )
    return sharing_services.agreement_save(agreement=agreement, actor=requester_liaison, items=list(items))


@dataclass
class World:
    departments: dict
    liaisons: dict
    resources: dict
    elements: dict
    agreements: dict
    duties: dict = field(default_factory=dict)


@pytest.fixture
def world(clock, bureau, dept_a, dept_b, dept_c, officer, auditor, liaison_a, liaison_b, liaison_c):
    c = clock
    c.day(-200)
    policy = AggregationPolicy.current()
    policy.frequency_threshold, policy.spillover_threshold, policy.window_days = 3, 2, 90
    analytics.policy_save(policy=policy, actor=officer, reason="试行阈值")

    e1, e2, e3, e4 = (
        DataElement.objects.create(code=f"E{n}", name=name)
        for n, name in enumerate(["公民身份号码", "统一社会信用代码", "婚姻状况", "企业登记状态"], start=1)
    )
    sa1 = make_system(dept_a, liaison_a, code="SA1")
    sb1 = make_system(dept_b, liaison_b, code="SB1")
    duties = {
        "A1": make_duty(dept_a, liaison_a, systems=[sa1], code="A1"),
        "A2": make_duty(dept_a, liaison_a, systems=[sa1], code="A2"),
        "A3": make_duty(dept_a, liaison_a, code="A3"),
        "A4": make_duty(dept_a, liaison_a, code="A4"),
        "A5": make_duty(dept_a, liaison_a, systems=[sa1], code="A5"),
        "B1": make_duty(dept_b, liaison_b, systems=[sb1], code="B1"),
        "B2": make_duty(dept_b, liaison_b, code="B2"),
    }
    conditional = {"share_type": ShareType.CONDITIONAL, "share_conditions": "仅限业务核验"}
    resources = {
        "RA1": publish(dept_a, liaison_a, officer, "RA1", [("PSB01", e1), ("PSB02", None)], duties=[duties["A1"]]),
        "RA2": publish(
            dept_a,
            liaison_a,
            officer,
            "RA2",
            [("PSB21", e3)],
            duties=[duties["A2"]],
            share_type=ShareType.NOT_SHARED,
            not_shared_basis="《中华人民共和国统计法》",
        ),
        "RA3": publish(dept_a, liaison_a, officer, "RA3", [("PSB31", e4)], duties=[duties["A3"]], draft=True),
        "RA4": publish(dept_a, liaison_a, officer, "RA4", [("PSB41", e4)], duties=[duties["A5"]]),
        "RA5": publish(dept_a, liaison_a, officer, "RA5", [("PSB51", None)], **conditional),
        "RA6": publish(dept_a, liaison_a, officer, "RA6", [("PSB61", None)], aggregation_mode=AggregationMode.PHYSICAL),
        "RB1": publish(
            dept_b, liaison_b, officer, "RB1", [("AMR11", e1)], duties=[duties["B1"], duties["B2"]], **conditional
        ),
        "RB2": publish(dept_b, liaison_b, officer, "RB2", [("AMR21", e2)], aggregation_mode=AggregationMode.PHYSICAL),
    }
    catalog_services.resource_retire(resource=resources["RA4"], actor=officer, reason="系统下线")

    claim_e1 = catalog_services.source_claim(element=e1, department=dept_a, actor=liaison_a, legal_basis="户籍管理")
    catalog_services.source_confirm(assignment=claim_e1, actor=officer)
    claim_e4 = catalog_services.source_claim(element=e4, department=dept_b, actor=liaison_b, legal_basis="企业登记")
    catalog_services.source_confirm(assignment=claim_e4, actor=officer)
    catalog_services.source_claim(element=e2, department=dept_a, actor=liaison_a, legal_basis="治安管理")
    catalog_services.source_claim(element=e2, department=dept_b, actor=liaison_b, legal_basis="市场主体登记")

    def item(resource, code):
        return resources[resource].items.get(code=code)

    drafts = {
        "G1": request(liaison_b, dept_a, resources["RA1"].items.all()),
        "G2": request(liaison_c, dept_a, [item("RA1", "PSB01"), item("RA5", "PSB51")]),
        "G3": request(liaison_a, dept_b, resources["RB2"].items.all()),
        "G4": request(liaison_a, dept_b, resources["RB1"].items.all()),
        "G5": request(liaison_c, dept_b, resources["RB1"].items.all()),
        "G6": request(liaison_c, dept_b, resources["RB1"].items.all()),
        "G7": request(liaison_a, dept_b, resources["RB2"].items.all()),
    }
    s, sv = drafts, sharing_services
    submit = sv.agreement_submit
    steps = [
        (-70, lambda: submit(agreement=s["G2"], actor=liaison_c)),
        (-66, lambda: sv.agreement_provider_approve(agreement=s["G2"], actor=liaison_a)),
        (-65, lambda: sv.agreement_bureau_approve(agreement=s["G2"], actor=officer)),
        (-60, lambda: submit(agreement=s["G1"], actor=liaison_b)),
        (-58, lambda: sv.agreement_bureau_approve(agreement=s["G1"], actor=officer)),
        (-30, lambda: submit(agreement=s["G3"], actor=liaison_a)),
        (-27, lambda: sv.agreement_bureau_approve(agreement=s["G3"], actor=officer)),
        (-20, lambda: submit(agreement=s["G4"], actor=liaison_a)),
        (-15, lambda: submit(agreement=s["G6"], actor=liaison_c)),
        (-14, lambda: sv.agreement_provider_reject(agreement=s["G6"], actor=liaison_b, reason="超出职责")),
        (-2, lambda: submit(agreement=s["G5"], actor=liaison_c)),
    ]
    for day, step in steps:
        c.day(day)
        step()
    agreements = {name: ShareAgreement.objects.get(pk=draft.pk) for name, draft in drafts.items()}

    c.day(0)
    uses = [
        (agreements["G1"], liaison_b, -5, ["PSB01"]),
        (agreements["G1"], liaison_b, -20, ["PSB01", "PSB02"]),
        (agreements["G1"], liaison_b, -40, ["PSB02"]),
        (agreements["G2"], liaison_c, -50, ["PSB01"]),
        (agreements["G2"], liaison_c, -100, ["PSB51"]),
        (agreements["G2"], liaison_c, -3, ["NOPE"]),
        *[(agreements["G3"], liaison_a, -day, ["AMR21"]) for day in range(1, 6)],
    ]
    for agreement, actor, day, codes in uses:
        sharing_services.usage_record(
            agreement=agreement,
            actor=actor,
            mode=UsageMode.QUERY,
            item_codes=codes,
            record_count=1,
            used_at=NOW + timedelta(days=day),
        )
    return World(
        departments={"A": dept_a, "B": dept_b, "C": dept_c, "bureau": bureau},
        liaisons={"A": liaison_a, "B": liaison_b, "C": liaison_c},
        resources=resources,
        elements={"E1": e1, "E2": e2, "E3": e3, "E4": e4},
        agreements=agreements,
        duties=duties,
    )
