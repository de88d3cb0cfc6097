"""The sharing side of seed_scale: share agreements driven through AGREEMENT_TRANSITIONS, and
usage records inside the periods in which their agreements were active.

An agreement only names published, shareable items of its provider that were in the catalogue
when it was drafted; its fields change at each step exactly as sharing.services changes them
(submission time, decision deadline on the working-day calendar, the generated responsibilities
clause, the provider's contact, the decision time), and each step leaves a history record and a
ledger offer. Uses are checked as `usage_record` checks them: most are accepted, a few are refused
for asking a mode the agreement does not grant or items outside it, and say so.
"""

from __future__ import annotations

import bisect
import json
import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache, partial
from types import SimpleNamespace

from django.conf import settings
from django.utils.translation import gettext as _

from catalog import demo_data
from catalog.choices import GRADE_RANK, PERSONAL_INFO_RANK, ResourceStatus, ShareType
from sharing import demo_data as sharing_demo
from sharing import responsibilities
from sharing.choices import AGREEMENT_TRANSITIONS, MODE_RANK, AgreementStatus, UsageMode, UsageOutcome
from sharing.models import ShareAgreement, ShareAgreementGroupObjectPermission, UsageRecord
from sharing.services import PROVIDER_ACTIONS, REQUESTER_ACTIONS
from sharing.workdays import add_working_days

from . import words
from .catalogue import (
    GENERATED_GRANT_ID,
    GENERATED_HISTORY_ID,
    GENERATED_M2M_HISTORY_ID,
    ResourcePlan,
    history_row,
    replay_resource,
)
from .copy import history_model, m2m_history_model, number_history
from .world import Dept, ScaleError, World, allocate, local_date, local_midnight

S = AgreementStatus

# Where agreements stand today, and how often.
STATUS_WEIGHTS = {
    S.DRAFT: 3,
    S.SUBMITTED: 6,
    S.PROVIDER_APPROVED: 3,
    S.PROVIDER_REJECTED: 5,
    S.BUREAU_REJECTED: 2,
    S.WITHDRAWN: 3,
    S.ACTIVE: 55,
    S.SUSPENDED: 2,
    S.REVOKED: 3,
    S.EXPIRED: 18,
}
MODE_WEIGHTS = {UsageMode.VERIFY: 45, UsageMode.QUERY: 40, UsageMode.BULK: 15}
# Share of uses the exchange system reports outside the agreement (refused and recorded).
REFUSED_MODE, REFUSED_ITEMS = 0.008, 0.004


@dataclass(slots=True, eq=False)
class AgreementPlan:
    id: int
    number: str
    requester: Dept
    provider: Dept
    # (item id, "catalogue code/item code", item code, resource plan)
    items: list[tuple[int, str, str, ResourcePlan]]
    mode: str
    purpose: str
    legal_basis: str
    requester_contact: str
    valid_from: date
    valid_to: date
    created: datetime
    creator: int
    needs_provider: bool
    steps: list[tuple[datetime, str, int | None, str]] = field(default_factory=list)
    first_link_id: int = 0
    history_first_id: int = 0
    intervals: list[tuple[datetime, datetime]] = field(default_factory=list)
    usage_count: int = 0
    first_usage_id: int = 0
    # Computed while planning: the working-day calendar is a query, and no query can run during a COPY.
    decision_due: date | None = None


def _item_share(resource: ResourcePlan, code: str) -> str:
    return ShareType.UNCONDITIONAL if code in resource.template.core else resource.template.share_type


def _shareable_by_provider(plans: list[ResourcePlan]) -> dict[int, tuple[list[datetime], list[ResourcePlan]]]:
    """Per department: its resources that end published and shareable, by the time they were last published."""
    found: dict[int, list[tuple[datetime, ResourcePlan]]] = {}
    for plan in plans:
        if plan.template.share_type == ShareType.NOT_SHARED:
            continue
        states = replay_resource(plan)
        if states[-1][0] != ResourceStatus.PUBLISHED:
            continue
        found.setdefault(plan.dept.index, []).append((states[-1][2], plan))
    result = {}
    for index, entries in found.items():
        entries.sort(key=lambda e: e[0])
        result[index] = ([when for when, _p in entries], [p for _w, p in entries])
    return result


def plan_agreements(world: World, resources: list[ResourcePlan], progress) -> list[AgreementPlan]:
    rng, sizes = world.rng, world.sizes
    shareable = _shareable_by_provider(resources)
    depts = world.departments
    providers = [d for d in depts if d.index in shareable]
    if sizes.agreements and (not providers or len(depts) < 2):
        raise ScaleError(_("There are no published, shareable resources to request: seed more resources."))
    provider_weights = [d.weight for d in providers]
    statuses, status_weights = zip(*STATUS_WEIGHTS.items(), strict=True)
    modes, mode_weights = zip(*MODE_WEIGHTS.items(), strict=True)
    numbers: set[str] = set()
    plans: list[AgreementPlan] = []
    next_link = 1
    for agreement_id in range(1, sizes.agreements + 1):
        status = rng.choices(statuses, status_weights)[0]
        years = rng.choice((1, 2)) if status == S.EXPIRED else rng.choice((1, 2, 3))
        for _attempt in range(200):
            created = world.between(*_creation_window(world, status, years))
            provider = rng.choices(providers, provider_weights)[0]
            times, candidates = shareable[provider.index]
            available = bisect.bisect_left(times, created)
            if available:
                break
        else:
            raise ScaleError(_("Too few resources were published early enough for the agreements asked for."))
        chosen = rng.sample(candidates[:available], min(available, 1 if rng.random() < 0.85 else 2))
        items = []
        for resource in chosen:
            offsets = rng.sample(range(len(resource.items)), rng.randint(1, min(6, len(resource.items))))
            for offset in sorted(offsets):
                code = resource.items[offset]
                items.append((resource.first_item_id + offset, f"{resource.code}/{code}", code, resource))
        requester = provider
        while requester is provider:
            requester = rng.choices(depts, [d.weight for d in depts])[0] if len(depts) > 1 else provider
        mode = rng.choices(modes, mode_weights)[0]
        number = None
        while number is None or number in numbers:
            number = f"GX-{local_date(created).year}-{rng.getrandbits(32):08X}"
        numbers.add(number)
        family, given = rng.choice(words.FAMILY_NAMES), rng.choice(words.GIVEN_NAMES) + rng.choice(words.GIVEN_NAMES)
        valid_from = local_date(created) + timedelta(days=rng.randint(3, 20))
        plan = AgreementPlan(
            id=agreement_id,
            number=number,
            requester=requester,
            provider=provider,
            items=items,
            mode=mode,
            purpose=f"{rng.choice(words.MATTERS)}中{words.MODE_VERBS[mode]}{chosen[0].template.name}相关信息，"
            f"{rng.choice(words.BENEFITS)}",
            legal_basis=f"{rng.choice(words.LAWS)}；{words.REGULATION}",
            requester_contact=f"{family}{given}（{rng.choice(words.OFFICES)}）",
            valid_from=valid_from,
            valid_to=valid_from + timedelta(days=365 * years - 1),
            created=created,
            creator=world.liaison_of(requester),
            needs_provider=any(
                _item_share(r, code) != ShareType.UNCONDITIONAL or r.template.share_type != ShareType.UNCONDITIONAL
                for _id, _q, code, r in items
            ),
            first_link_id=next_link,
        )
        next_link += len(items)
        plan.steps = _agreement_steps(world, plan, status)
        submitted = next((when for when, step, _actor, _reason in plan.steps if step == "submit"), None)
        plan.decision_due = _decision_due(local_date(submitted)) if submitted else None
        plan.intervals = _active_intervals(world, plan)
        plans.append(plan)
        progress.update(1)
    return plans


def _creation_window(world: World, status, years: int) -> tuple[datetime, datetime]:
    now, early = world.now, world.start + timedelta(days=30)
    if status == S.DRAFT:
        return now - timedelta(days=60), now - timedelta(days=1)
    if status in (S.SUBMITTED, S.PROVIDER_APPROVED):
        # Most pending requests are within their ten working days; about a third are overdue.
        return now - timedelta(days=20), now - timedelta(days=2)
    if status in (S.ACTIVE, S.SUSPENDED):
        # Still within its period today, or the clock would have expired it.
        return max(early, now - timedelta(days=365 * years - 40)), now - timedelta(days=20)
    if status == S.EXPIRED:
        return early, now - timedelta(days=365 * years + 40)
    return early, now - timedelta(days=60)


def _agreement_steps(world: World, plan: AgreementPlan, status) -> list:
    """The steps that bring a new draft to `status`, with who took them, when and why."""
    rng = world.rng
    requester = lambda: world.liaison_of(plan.requester)  # noqa: E731
    provider = lambda: world.liaison_of(plan.provider)  # noqa: E731
    officer = world.officer.pk
    if not plan.needs_provider:
        # Every item is shared unconditionally: there is no provider step to take or to refuse.
        status = {S.PROVIDER_APPROVED: S.SUBMITTED, S.PROVIDER_REJECTED: S.BUREAU_REJECTED}.get(status, status)
    approval = [("submit", requester, "")]
    if plan.needs_provider:
        approval.append(("provider_approve", provider, sharing_demo.PROVIDER_APPROVE_REASON))
    approval.append(("bureau_approve", lambda: officer, sharing_demo.APPROVE_REASON))
    path = {
        S.DRAFT: [],
        S.SUBMITTED: approval[:1],
        S.PROVIDER_APPROVED: approval[:2],
        S.PROVIDER_REJECTED: [approval[0], ("provider_reject", provider, rng.choice(words.PROVIDER_REJECT_REASONS))],
        S.BUREAU_REJECTED: approval[:-1]
        + [("bureau_reject", lambda: officer, rng.choice(words.BUREAU_REJECT_REASONS))],
        S.WITHDRAWN: ([approval[0]] if rng.random() < 0.7 else [])
        + [("withdraw", requester, rng.choice(words.WITHDRAW_REASONS))],
    }.get(status, approval)
    delays = {"submit": (0.05, 3), "provider_approve": (1, 15), "provider_reject": (1, 15), "withdraw": (1, 10)}
    steps, when = [], plan.created
    room = world.now - timedelta(hours=1) - plan.created
    wanted = [timedelta(days=rng.uniform(*delays.get(step, (0.5, 8)))) for step, _actor, _reason in path]
    scale = min(1.0, room / sum(wanted, timedelta())) if wanted else 1.0
    for (step, actor, reason), delay in zip(path, wanted, strict=True):
        when = when + max(delay * scale, timedelta(seconds=1))
        steps.append((when, step, actor(), reason))
    if status not in (S.ACTIVE, S.SUSPENDED, S.REVOKED, S.EXPIRED):
        return steps
    approved = when
    period_end = local_midnight(plan.valid_to + timedelta(days=1))
    last = min(period_end, world.now) - timedelta(hours=1)
    third = (world.now - approved) / 3
    if status == S.EXPIRED:
        # The nightly expire_agreements run after the last day of the period; the clock has no user.
        with_reason = _("The agreed period ended.")
        steps.append((period_end + timedelta(hours=2), "expire", None, with_reason))
    elif status == S.SUSPENDED or (status == S.ACTIVE and rng.random() < 0.08):
        suspended = world.between(approved + min(timedelta(days=10), third), world.now - third)
        steps.append((suspended, "suspend", officer, rng.choice(words.SUSPEND_REASONS)))
        if status == S.ACTIVE:
            resumed = suspended + min(timedelta(days=rng.uniform(3, 15)), (world.now - suspended) / 2)
            steps.append((resumed, "resume", officer, rng.choice(words.RESUME_REASONS)))
    elif status == S.REVOKED:
        revoked = world.between(approved + (last - approved) / 4, last)
        by_bureau = rng.random() < 0.6
        steps.append(
            (
                revoked,
                "revoke_by_bureau" if by_bureau else "revoke_by_provider",
                officer if by_bureau else provider(),
                rng.choice(words.REVOKE_REASONS),
            )
        )
    return steps


def _active_intervals(world: World, plan: AgreementPlan) -> list[tuple[datetime, datetime]]:
    """When uses were accepted: active, inside the agreed period, up to now."""
    period = (local_midnight(plan.valid_from), local_midnight(plan.valid_to + timedelta(days=1)))
    intervals, opened = [], None
    for when, step, _actor, _reason in plan.steps:
        target = AGREEMENT_TRANSITIONS[step][1]
        if target == S.ACTIVE and opened is None:
            opened = when
        elif target != S.ACTIVE and opened is not None:
            intervals.append((opened, when))
            opened = None
    if opened is not None:
        intervals.append((opened, world.now))
    clipped = []
    for start, end in intervals:
        start, end = max(start, period[0]), min(end, period[1] - timedelta(seconds=1))
        if end > start:
            clipped.append((start, end))
    return clipped


# --- Writing agreements --------------------------------------------------------------------


@lru_cache(maxsize=2048)
def _decision_due(submitted: date) -> date:
    return add_working_days(submitted, settings.SHARE_DECISION_WORKING_DAYS)


@lru_cache(maxsize=64)
def _clauses(mode: str, grade: str, personal: str) -> dict[str, str]:
    # The clause depends only on the mode and the strictest grade and personal-information level.
    return responsibilities.generate(mode=mode, items=[SimpleNamespace(security_grade=grade, personal_info=personal)])


def _clauses_for(plan: AgreementPlan) -> dict[str, str]:
    grades = [demo_data.FIELDS[code][3] for _id, _q, code, _r in plan.items]
    personal = [demo_data.FIELDS[code][4] for _id, _q, code, _r in plan.items]
    return _clauses(
        plan.mode,
        max(grades, key=GRADE_RANK.__getitem__),
        max(personal, key=PERSONAL_INFO_RANK.__getitem__),
    )


def replay_agreement(world: World, plan: AgreementPlan):
    """The agreement's row after creation and after each step: (row, when, step, actor, reason)."""
    row = {
        "id": plan.id,
        "number": plan.number,
        "requester_id": plan.requester.id,
        "provider_id": plan.provider.id,
        "purpose": plan.purpose,
        "legal_basis": plan.legal_basis,
        "usage_mode": plan.mode,
        "valid_from": plan.valid_from,
        "valid_to": plan.valid_to,
        "requester_contact": plan.requester_contact,
        "provider_contact": "",
        "requester_duties": "",
        "provider_duties": "",
        "bureau_duties": "",
        "exception_basis": "",
        "status": S.DRAFT.value,
        "status_reason": "",
        "submitted_at": None,
        "decision_due": None,
        "decided_at": None,
        "created_by_id": plan.creator,
        "created_at": plan.created,
    }
    yield row, plan.created, None, plan.creator, world.import_reason
    for when, step, actor, reason in plan.steps:
        sources, target, _party, reason_required = AGREEMENT_TRANSITIONS[step]
        if row["status"] not in sources or (reason_required and not reason):
            raise AssertionError(f"{plan.number}: {step} is not possible from {row['status']}")
        previous = row["status"]
        row = dict(row, status=target.value, status_reason=reason)
        if step == "submit":
            row.update(_clauses_for(plan), submitted_at=when, decision_due=plan.decision_due)
        elif step == "provider_approve":
            approver = world.users[actor]
            row.update(provider_contact=approver.get_full_name() or approver.get_username(), decided_at=when)
        elif step == "provider_reject":
            row["decided_at"] = when
        elif step == "bureau_approve":
            if previous == S.SUBMITTED and plan.needs_provider:
                raise AssertionError(f"{plan.number}: approved before the provider decided")
            row["decided_at"] = row["decided_at"] or when
        yield row, when, step, actor, reason


def create_agreements(world: World, plans: list[AgreementPlan], progress) -> None:
    copier = world.copier
    copier.progress = progress
    copier.copy(ShareAgreement, (list(replay_agreement(world, p))[-1][0] for p in plans))
    copier.copy(
        ShareAgreement.items.through,
        (
            {"id": p.first_link_id + k, "shareagreement_id": p.id, "dataitem_id": item_id}
            for p in plans
            for k, (item_id, *_rest) in enumerate(p.items)
        ),
    )
    number_history(plans)
    copier.copy(history_model(ShareAgreement), _agreement_history(world, plans))
    copier.copy(
        m2m_history_model(ShareAgreement, "items"),
        (
            {"id": p.first_link_id + k, "shareagreement_id": p.id, "dataitem_id": item_id, "history_id": hid}
            for p in plans
            for hid in range(p.history_first_id, p.history_first_id + 1 + len(p.steps))
            for k, (item_id, *_rest) in enumerate(p.items)
        ),
        generated=GENERATED_M2M_HISTORY_ID,
    )
    requester_perms = [world.permission_id(ShareAgreement, a) for a in REQUESTER_ACTIONS]
    provider_perms = [world.permission_id(ShareAgreement, a) for a in PROVIDER_ACTIONS]
    copier.copy(
        ShareAgreementGroupObjectPermission,
        (
            {"content_object_id": p.id, "group_id": group_id, "permission_id": permission_id}
            for p in plans
            for group_id, permissions in (
                (p.requester.group_id, requester_perms),
                (p.provider.group_id, provider_perms),
            )
            for permission_id in permissions
        ),
        generated=GENERATED_GRANT_ID,
    )


def _agreement_history(world: World, plans: list[AgreementPlan]):
    window = world.window
    for plan in plans:
        states = list(replay_agreement(world, plan))
        for k, (row, when, step, actor, reason) in enumerate(states):
            yield history_row(
                row,
                when=when,
                kind="+" if step is None else "~",
                user_id=actor,
                reason=reason if step is None else (reason or step),
                history_id=plan.history_first_id + k,
            )
            if step is not None and window.wants(when):
                window.add(
                    when + timedelta(milliseconds=3),
                    f"agreement.{step}",
                    partial(ShareAgreement, pk=plan.id, number=plan.number),
                    actor,
                    reason,
                    {
                        "from": states[k - 1][0]["status"],
                        "to": row["status"],
                        "requester": plan.requester.code,
                        "provider": plan.provider.code,
                    },
                )


def agreements_total(sizes) -> int:
    # agreements, ~3.5 history rows, ~4 items with a snapshot per history row, 4 grants
    return sizes.agreements * (1 + 3.5 + 4 + 14 + 4)


# --- Usage records -------------------------------------------------------------------------


def allocate_usage(world: World, plans: list[AgreementPlan]) -> None:
    """Spread the uses over the agreements by how long each was active and how busy it is."""
    rng = world.rng
    weights = [
        sum((end - start).total_seconds() for start, end in p.intervals) * math.exp(rng.gauss(0, 1.0)) for p in plans
    ]
    counts = allocate(world.sizes.usage_records, weights) if any(weights) else [0] * len(plans)
    next_id = 1
    for plan, count in zip(plans, counts, strict=True):
        plan.usage_count, plan.first_usage_id = count, next_id
        next_id += count


def _uses(world: World, plan: AgreementPlan):
    """The agreement's uses, the same on every call (its own seeded generator): dicts of the record's
    fields plus `recorded_at`, when the exchange system's report reached the platform."""
    rng = random.Random(f"{world.seed}:usage:{plan.id}")
    lengths = [(end - start).total_seconds() for start, end in plan.intervals]
    total = sum(lengths)
    offsets = sorted(rng.random() * total for _ in range(plan.usage_count))
    recorders = [world.liaison_of(plan.requester) for _ in range(2)]
    qualified = [q for _id, q, _code, _r in plan.items]
    requested = set(qualified)
    outside = sorted({f"{r.code}/{code}" for _id, _q, _code, r in plan.items for code in r.items} - requested)
    granted = MODE_RANK[plan.mode]
    weaker = [m for m in UsageMode.values if MODE_RANK[m] <= granted]
    stronger = [m for m in UsageMode.values if MODE_RANK[m] > granted]
    interval, passed = 0, 0.0
    for k, offset in enumerate(offsets):
        while offset > passed + lengths[interval] and interval < len(lengths) - 1:
            passed += lengths[interval]
            interval += 1
        used_at = plan.intervals[interval][0] + timedelta(seconds=offset - passed)
        touched = sorted(rng.sample(qualified, rng.randint(1, min(3, len(qualified)))))
        mode = plan.mode if rng.random() < 0.8 else rng.choice(weaker)
        roll, refusal = rng.random(), ""
        if roll < REFUSED_MODE and stronger:
            mode = rng.choice(stronger)
            refusal = _("The agreement grants “%(granted)s”, not “%(mode)s”.") % {
                "granted": UsageMode(plan.mode).label,
                "mode": UsageMode(mode).label,
            }
        elif roll < REFUSED_MODE + REFUSED_ITEMS and outside:
            extra = rng.choice(outside)
            touched = sorted({*touched, extra})
            refusal = _("These items are outside the agreement: %(items)s") % {"items": extra}
        records = (
            1
            if mode == UsageMode.VERIFY
            else rng.randint(1, 20)
            if mode == UsageMode.QUERY
            else rng.randint(500, 50_000)
        )
        family, given = rng.choice(words.FAMILY_NAMES), rng.choice(words.GIVEN_NAMES)
        yield {
            "id": plan.first_usage_id + k,
            "agreement_id": plan.id,
            "used_at": used_at,
            "user_id": rng.choice(recorders),
            "end_user": f"{rng.choice(words.OFFICES)} {family}{given}",
            "mode": mode,
            "item_codes": json.dumps(touched, ensure_ascii=False),
            "record_count": records,
            "purpose_reference": f"YW{local_date(used_at):%Y%m%d}{rng.randrange(10**6):06d}",
            "outcome": UsageOutcome.REJECTED.value if refusal else UsageOutcome.ACCEPTED.value,
            "rejection_reason": refusal,
            "recorded_at": used_at + timedelta(milliseconds=rng.randint(50, 3000)),
        }


def create_usage(world: World, plans: list[AgreementPlan], progress) -> None:
    copier, window = world.copier, world.window
    copier.progress = progress

    def records():
        for plan in plans:
            agreement = ShareAgreement(pk=plan.id, number=plan.number)
            for use in _uses(world, plan):
                yield use
                if window.wants(use["recorded_at"]):
                    refused = use["outcome"] == UsageOutcome.REJECTED
                    window.add(
                        use["recorded_at"] + timedelta(milliseconds=2),
                        "usage.rejected" if refused else "usage.accepted",
                        partial(UsageRecord, pk=use["id"], agreement=agreement, used_at=use["used_at"]),
                        use["user_id"],
                        use["rejection_reason"],
                        {
                            "agreement": plan.number,
                            "mode": use["mode"],
                            "items": json.loads(use["item_codes"]),
                            "records": use["record_count"],
                        },
                    )

    copier.copy(UsageRecord, records())
    copier.copy(
        history_model(UsageRecord),
        (
            history_row(use, when=use["recorded_at"], kind="+", user_id=use["user_id"], reason=world.import_reason)
            for plan in plans
            for use in _uses(world, plan)
        ),
        generated=GENERATED_HISTORY_ID,
    )
