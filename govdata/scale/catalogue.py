"""The catalogue side of seed_scale: departments and people (through catalog.services), then
information systems, duties, data resources with their items, and source claims (COPY).

Every COPYed object gets its history rows ("+" when it was made, "~" for each workflow step, as
the services would write them) and exactly the object permissions `catalog.services.grant_to_owner`
gives its owning department's liaison group. Resource workflows follow RESOURCE_TRANSITIONS and
claims CLAIM_TRANSITIONS; each step is offered to the ledger window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import translation
from django.utils.translation import gettext as _

from catalog import demo_data
from catalog import services as catalog_services
from catalog.choices import (
    CLAIM_TRANSITIONS,
    GRADE_RANK,
    PERSONAL_INFO_RANK,
    RESOURCE_TRANSITIONS,
    ClaimStatus,
    DepartmentKind,
    DutyOrigin,
    OpenType,
    PersonalInfo,
    ResourceStatus,
    SecurityGrade,
    ShareType,
    SubjectCategory,
    SystemStatus,
)
from catalog.management.commands.seed_demo import liaison_username
from catalog.models import (
    DataElement,
    DataItem,
    DataItemGroupObjectPermission,
    DataResource,
    DataResourceGroupObjectPermission,
    Department,
    Duty,
    DutyGroupObjectPermission,
    InformationSystem,
    InformationSystemGroupObjectPermission,
    SourceAssignment,
    SourceAssignmentGroupObjectPermission,
    User,
)
from catalog.services import OWNER_ACTIONS
from govdata.roles import Role

from . import words
from .copy import history_model, m2m_history_model, number_history
from .world import Dept, World, allocate

# --- Departments and people (services) -----------------------------------------------------


# One department of each kind for the province and for each of its cities.
MAX_DEPARTMENTS = (1 + len(words.CITIES)) * len(words.KINDS)


def plan_departments(world: World) -> list[Dept]:
    """The province's departments first, then each city's, one per kind, until the count is reached."""
    rng, wanted = world.rng, world.sizes.departments
    kinds = list(words.KINDS)
    jurisdictions = [(None, None)] + words.CITIES
    city_names = [name for name, _code in words.CITIES]
    departments: list[Dept] = []
    for rank, (city, city_code) in enumerate(jurisdictions):
        # A few big departments, many small ones: the province weighs most, then cities by rank.
        place_weight = 3.0 if city is None else 1.0 / (rank**0.7)
        for kind in kinds:
            if len(departments) == wanted:
                return departments
            provincial, city_template = words.KINDS[kind]
            if city is None:
                code, name, places = kind, provincial, city_names
                parent = None
            else:
                code, name = f"{city_code}-{kind}", city_template.format(city=city)
                places = [city + district for district in words.DISTRICTS]
                # A traffic police detachment answers to its city's police; the rest to their province's peer.
                parent = f"{city_code}-GA" if kind == "JJ" else kind
            weight = words.KIND_WEIGHT[kind] * place_weight * math.exp(rng.gauss(0, 0.5))
            departments.append(Dept(len(departments), code, name, kind, parent, weight, places))
    return departments


def _person(world: World) -> tuple[str, str]:
    rng = world.rng
    given = rng.choice(words.GIVEN_NAMES) + (rng.choice(words.GIVEN_NAMES) if rng.random() < 0.7 else "")
    return rng.choice(words.FAMILY_NAMES), given


def _create_user(world: World, *, username, role: Role, department, actor, when, is_staff=False) -> User:
    family, given = _person(world)
    user = User(
        username=username,
        first_name=given,
        last_name=family,
        is_staff=is_staff,
        password=world.password_hash,
        date_joined=when,
    )
    user._history_date = when
    catalog_services.user_set_department(
        user=user, department=department, actor=actor or user, reason=world.import_reason
    )
    # No service assigns roles (as in seed_demo); membership of the department's group follows the role.
    user.groups.add(world.role_groups[role.value])
    if role == Role.LIAISON:
        catalog_services.user_sync_department_membership(user)
    world.users[user.pk] = user
    return user


def create_reference(world: World, progress) -> None:
    """Officer, departments, auditor, liaisons and data elements, each through its service."""
    world.role_groups = {g.name: g for g in Group.objects.filter(name__in=Role.values)}
    plans = plan_departments(world)
    founded = world.start - timedelta(days=200)
    world.officer = _create_user(
        world,
        username=demo_data.OFFICER["username"],
        role=Role.OFFICER,
        department=None,
        actor=None,
        when=founded - timedelta(days=1),
        is_staff=True,
    )
    progress.update(1)
    for dept in plans:
        department = Department(
            code=dept.code,
            name=dept.name,
            kind=DepartmentKind.BUREAU if dept.index == 0 else DepartmentKind.BUSINESS,
            parent=world.by_code[dept.parent_code].model if dept.parent_code else None,
        )
        department._history_date = founded + timedelta(minutes=dept.index)
        catalog_services.department_save(department=department, actor=world.officer, reason=world.import_reason)
        dept.model, dept.id, dept.group_id = department, department.pk, department.liaison_group_id
        world.departments.append(dept)
        world.by_code[dept.code] = dept
        progress.update(1)
    bureau = world.departments[0].model
    world.officer._history_date = founded + timedelta(hours=6)
    catalog_services.user_set_department(
        user=world.officer, department=bureau, actor=world.officer, reason=world.import_reason
    )
    world.auditor = _create_user(
        world,
        username=demo_data.AUDITOR["username"],
        role=Role.AUDITOR,
        department=None,
        actor=world.officer,
        when=founded + timedelta(days=1),
        is_staff=True,
    )
    progress.update(1)
    extra = world.sizes.users - 2 - len(world.departments)
    extra_counts = allocate(extra, [math.sqrt(d.weight) for d in world.departments])
    for dept, count in zip(world.departments, extra_counts, strict=True):
        for n in range(count + 1):
            username = liaison_username(dept.code) + (f"_{n + 1}" if n else "")
            user = _create_user(
                world,
                username=username,
                role=Role.LIAISON,
                department=dept.model,
                actor=world.officer,
                when=founded + timedelta(days=2, minutes=len(world.users)),
            )
            dept.liaisons.append(user.pk)
            progress.update(1)
    for code, name, definition, fmt in demo_data.ELEMENTS:
        element = DataElement(code=code, name=name, definition=definition, format=fmt)
        element._history_date = founded + timedelta(days=1, minutes=len(world.users))
        catalog_services.element_save(element=element, actor=world.officer, reason=world.import_reason)
        progress.update(1)
    world.elements = {e.code: e for e in DataElement.objects.all()}


def reference_total(sizes) -> int:
    return 2 + sizes.departments + (sizes.users - 2) + len(demo_data.ELEMENTS)


# --- Shared row builders -------------------------------------------------------------------


def history_row(row: dict, *, when: datetime, kind: str, user_id: int | None, reason: str | None, **extra) -> dict:
    return {
        **row,
        "history_date": when,
        "history_type": kind,
        "history_user_id": user_id,
        "history_change_reason": reason,
        **extra,
    }


def grant_rows(model, world: World, objects):
    """The group grants `grant_to_owner` gives: every owner action on each (object id, group id)."""
    permission_ids = [world.permission_id(model, action) for action in OWNER_ACTIONS[model]]
    for object_id, group_id in objects:
        for permission_id in permission_ids:
            yield {"content_object_id": object_id, "group_id": group_id, "permission_id": permission_id}


GENERATED_GRANT_ID = ("id",)
GENERATED_HISTORY_ID = ("history_id",)
GENERATED_M2M_HISTORY_ID = ("m2m_history_id",)


# --- Systems and duties --------------------------------------------------------------------


def _names(templates: list[str], subjects: list[str], **fmt) -> list[str]:
    return [t.format(s=s, **fmt) for t in templates for s in subjects]


def create_systems_and_duties(world: World, progress) -> None:
    rng, sizes, copier = world.rng, world.sizes, world.copier
    copier.progress = progress
    depts = world.departments
    founded = world.start - timedelta(days=200)
    demo_systems: dict[str, list[str]] = {}
    for _code, kind, name, _status in demo_data.SYSTEMS:
        demo_systems.setdefault(kind, []).append(name)

    systems, system_times = [], {}
    for dept, count in zip(depts, allocate(sizes.systems, [math.sqrt(d.weight) for d in depts], 1), strict=True):
        names = demo_systems.get(dept.kind, []) + _names(words.SYSTEM_TEMPLATES, words.DUTY_SUBJECTS[dept.kind])
        for n in range(count):
            system_id = len(systems) + 1
            name = names[n % len(names)] + (f"（{n // len(names) + 1}期）" if n >= len(names) else "")
            status = SystemStatus.RETIRED if rng.random() < 0.12 else SystemStatus.IN_USE
            row = {"id": system_id, "code": f"{dept.code}-XT{n + 1:03d}", "name": name, "status": status}
            systems.append((row | {"department_id": dept.id}, dept))
            system_times[system_id] = world.between(founded + timedelta(days=10), founded + timedelta(days=40))
            dept.systems.append(system_id)
    copier.copy(InformationSystem, (row for row, _dept in systems))
    copier.copy(
        history_model(InformationSystem),
        (
            history_row(
                row, when=system_times[row["id"]], kind="+", user_id=dept.liaisons[0], reason=world.import_reason
            )
            for row, dept in systems
        ),
        generated=GENERATED_HISTORY_ID,
    )
    copier.copy(
        InformationSystemGroupObjectPermission,
        grant_rows(InformationSystem, world, ((row["id"], dept.group_id) for row, dept in systems)),
        generated=GENERATED_GRANT_ID,
    )

    power_kinds = list(words.POWER_KIND_WEIGHTS)
    power_weights = list(words.POWER_KIND_WEIGHTS.values())
    duties, links = [], []
    for dept, count in zip(depts, allocate(sizes.duties, [math.sqrt(d.weight) for d in depts], 1), strict=True):
        subjects = words.DUTY_SUBJECTS[dept.kind]
        scope = "全省" if dept.parent_code is None else "全市"
        used: set[str] = set()
        mandates = powers = 0
        for _n in range(count):
            if rng.random() < 0.3:
                origin, power_kind = DutyOrigin.MANDATE, ""
                name = rng.choice(words.MANDATE_TEMPLATES).format(scope=scope, s=rng.choice(subjects))
                mandates += 1
                code = f"{dept.code}-SD-{mandates:03d}"
            else:
                origin, power_kind = DutyOrigin.POWER_LIST, rng.choices(power_kinds, power_weights)[0]
                name = rng.choice(words.POWER_TEMPLATES[power_kind]).format(s=rng.choice(subjects))
                powers += 1
                code = f"{dept.code}-QL-{powers:04d}"
            # Power lists split a matter into sub-items; names stay distinct within a department.
            base, serial = name, 1
            while name in used:
                sub = words.DUTY_SUBITEMS[(serial - 1) % len(words.DUTY_SUBITEMS)]
                name = f"{base}（{sub}）" if serial <= len(words.DUTY_SUBITEMS) else f"{base}（{serial}）"
                serial += 1
            used.add(name)
            duty_id = len(duties) + 1
            linked = []
            # Fewer than a third of duties are backed by a system (DESIGN §1): the coverage funnel.
            if dept.systems and rng.random() < 0.32:
                linked = rng.sample(dept.systems, min(len(dept.systems), 1 if rng.random() < 0.8 else 2))
                dept.productive_duties.append(duty_id)
            for system_id in linked:
                links.append({"id": len(links) + 1, "duty_id": duty_id, "informationsystem_id": system_id})
            row = {"id": duty_id, "code": code, "name": name, "origin": origin, "power_kind": power_kind}
            when = world.between(founded + timedelta(days=50), founded + timedelta(days=140))
            duties.append(
                (row | {"department_id": dept.id}, dept, when, [links[-k] for k in range(len(linked), 0, -1)])
            )
            dept.duties.append(duty_id)
    copier.copy(Duty, (row for row, *_rest in duties))
    copier.copy(Duty.systems.through, links)
    # One "+" record per duty, its system links snapshotted with it (history ids are ours to refer to).
    history_ids = range(1, len(duties) + 1)
    copier.copy(
        history_model(Duty),
        (
            history_row(row, when=when, kind="+", user_id=dept.liaisons[0], reason=world.import_reason, history_id=hid)
            for hid, (row, dept, when, _links) in zip(history_ids, duties, strict=True)
        ),
    )
    copier.copy(
        m2m_history_model(Duty, "systems"),
        (
            link | {"history_id": hid}
            for hid, (_row, _dept, _when, duty_links) in zip(history_ids, duties, strict=True)
            for link in duty_links
        ),
        generated=GENERATED_M2M_HISTORY_ID,
    )
    copier.copy(
        DutyGroupObjectPermission,
        grant_rows(Duty, world, ((row["id"], dept.group_id) for row, dept, *_rest in duties)),
        generated=GENERATED_GRANT_ID,
    )


def systems_and_duties_total(sizes) -> int:
    # systems, their history and 2 grants each; duties, history, 2 grants; links and their history (estimated)
    return sizes.systems * 4 + sizes.duties * 4 + round(sizes.duties * 0.38 * 2)


# --- Data resources and items --------------------------------------------------------------


@dataclass(slots=True, eq=False)
class Template:
    """A demo resource as the pattern for many: its texts, classification and items."""

    code: str
    name: str
    summary: str
    subject: str
    share_type: str
    share_conditions: str
    not_shared_basis: str
    open_type: str
    update_frequency: str
    format: str
    aggregation_mode: str
    items: tuple[str, ...]
    core: frozenset[str]
    elements: frozenset[str]
    # Items of the same kind of department that may be added without breaking a rule.
    padding: tuple[str, ...]


def _compatible(code: str, share_type: str, open_type: str) -> bool:
    _name, _type, _length, grade, personal, _element = demo_data.FIELDS[code]
    if personal == PersonalInfo.SENSITIVE and (
        share_type == ShareType.UNCONDITIONAL or open_type == OpenType.UNCONDITIONAL
    ):
        return False
    return not (grade == SecurityGrade.CORE and open_type != OpenType.NOT_OPEN)


def templates_by_kind() -> dict[str, list[Template]]:
    by_kind: dict[str, list[dict]] = {}
    for spec in demo_data.RESOURCES:
        by_kind.setdefault(spec["department"], []).append(spec)
    result = {}
    for kind, specs in by_kind.items():
        kind_items = list(dict.fromkeys(code for spec in specs for code in spec["items"]))
        templates = []
        for spec in specs:
            share, opened = spec["share"], spec.get("open", OpenType.NOT_OPEN)
            basic = spec["subject"] in SubjectCategory.basic_libraries()
            templates.append(
                Template(
                    code=spec["code"],
                    name=spec["name"],
                    summary=spec.get("summary", ""),
                    subject=spec["subject"],
                    share_type=share,
                    share_conditions=spec.get("conditions", ""),
                    not_shared_basis=spec.get("basis", ""),
                    open_type=opened,
                    update_frequency=spec["frequency"],
                    format=spec.get("format", demo_data.DEFAULT_FORMAT),
                    aggregation_mode=spec.get("aggregation", "logical"),
                    items=tuple(spec["items"]),
                    core=frozenset(spec.get("core", ())) if basic else frozenset(),
                    elements=frozenset(spec.get("elements", ())),
                    padding=tuple(c for c in kind_items if c not in spec["items"] and _compatible(c, share, opened)),
                )
            )
        result[kind] = templates
    return result


def generic_padding() -> tuple[str, ...]:
    """Plain fields any resource may carry when its own kind has too few (general, no personal data)."""
    return tuple(
        code
        for code, (_n, _t, _l, grade, personal, _e) in demo_data.FIELDS.items()
        if grade == "general" and personal == "none"
    )


# (final status, steps) and how often a resource ends there.
RESOURCE_PATHS = [
    ((), 8),
    (("submit",), 5),
    (("submit", "return"), 3),
    (("submit", "publish"), 73),
    (("submit", "publish", "revise"), 2),
    (("submit", "publish", "revise", "submit", "publish"), 5),
    (("submit", "publish", "retire"), 4),
]
# The typical wait before each step, in days (low, high).
STEP_DELAYS = {
    "submit": (0.05, 20),
    "publish": (0.5, 10),
    "return": (1, 8),
    "revise": (30, 300),
    "retire": (60, 500),
}


@dataclass(slots=True, eq=False)
class ResourcePlan:
    id: int
    dept: Dept
    template: Template
    code: str
    name: str
    summary: str
    items: tuple[str, ...]
    first_item_id: int
    system_id: int | None
    duty_links: tuple[tuple[int, int], ...]  # (through id, duty id)
    created: datetime
    creator: int
    # (when, step, actor id, reason as typed) in order.
    steps: tuple[tuple[datetime, str, int, str], ...]
    security_grade: str
    personal_info: str
    history_first_id: int = 0

    def item_rows(self, element_ids: dict[str, int]):
        share, opened = self.template.share_type, self.template.open_type
        for offset, code in enumerate(self.items):
            name, data_type, length, grade, personal, element_code = demo_data.FIELDS[code]
            core = code in self.template.core
            yield {
                "id": self.first_item_id + offset,
                "code": code,
                "name": name,
                "data_type": data_type,
                "length": length,
                "description": "",
                "security_grade": grade,
                "personal_info": personal,
                # Items follow their resource; core items of a basic library are always shared.
                "share_type": ShareType.UNCONDITIONAL if core else share,
                "open_type": opened,
                "is_core_item": core,
                "element_id": element_ids[element_code] if code in self.template.elements and element_code else None,
                "resource_id": self.id,
            }


def replay_resource(plan: ResourcePlan) -> list[tuple[str, str, datetime]]:
    """(status, return reason, updated_at) after creation and after each step, per RESOURCE_TRANSITIONS."""
    states = [(ResourceStatus.DRAFT.value, "", plan.created)]
    for when, step, _actor, reason in plan.steps:
        status = states[-1][0]
        targets = [to for (frm, to), name in RESOURCE_TRANSITIONS.items() if name == step and frm == status]
        if not targets:
            raise AssertionError(f"{step} is not possible from {status}")
        states.append((targets[0].value, reason if step == "return" else "", when))
    return states


def _strictest(values, ranks) -> str:
    return max(values, key=lambda v: ranks[v])


def plan_resources(world: World, progress) -> list[ResourcePlan]:
    rng, sizes = world.rng, world.sizes
    templates = templates_by_kind()
    generic = generic_padding()
    depts = world.departments
    counts = allocate(sizes.resources, [d.weight for d in depts])
    owners = [dept for dept, count in zip(depts, counts, strict=True) for _ in range(count)]
    rng.shuffle(owners)
    # The catalogue grows over the years, faster lately: creation times dense towards the present.
    span = (world.now - world.start).total_seconds() - 3600
    times = sorted(world.start + timedelta(seconds=span * math.sqrt(rng.random())) for _ in owners)
    serials = {d.code: 0 for d in depts}
    paths, path_weights = zip(*RESOURCE_PATHS, strict=True)
    plans, next_item, next_link = [], 1, 1
    n_items = sizes.items_per_resource
    for index, (dept, created) in enumerate(zip(owners, times, strict=True)):
        template = rng.choice(templates[dept.kind])
        serials[dept.code] += 1
        name = _variant_name(world, dept, template.name)
        items = list(template.items[:n_items])
        pool = [c for c in template.padding if c not in items]
        extra = rng.sample(pool, min(len(pool), n_items - len(items)))
        items += extra
        if len(items) < n_items:
            generic_pool = [c for c in generic if c not in items]
            items += rng.sample(generic_pool, n_items - len(items))
        grades = [demo_data.FIELDS[c][3] for c in items]
        personals = [demo_data.FIELDS[c][4] for c in items]
        duties = dept.productive_duties if dept.productive_duties and rng.random() < 0.85 else dept.duties
        chosen = rng.sample(duties, min(len(duties), 1 if rng.random() < 0.7 else 2))
        links = []
        for duty_id in chosen:
            links.append((next_link, duty_id))
            next_link += 1
        plan = ResourcePlan(
            id=index + 1,
            dept=dept,
            template=template,
            code=f"{dept.code}-{serials[dept.code]:06d}",
            name=name,
            summary=template.summary,
            items=tuple(items),
            first_item_id=next_item,
            system_id=rng.choice(dept.systems) if dept.systems and rng.random() < 0.85 else None,
            duty_links=tuple(links),
            created=created,
            creator=world.liaison_of(dept),
            steps=(),
            security_grade=_strictest(grades, GRADE_RANK),
            personal_info=_strictest(personals, PERSONAL_INFO_RANK),
        )
        plan.steps = _resource_steps(world, plan, rng.choices(paths, path_weights)[0])
        next_item += len(items)
        plans.append(plan)
        progress.update(1)
    return plans


def _variant_name(world: World, dept: Dept, base: str) -> str:
    """Catalogues repeat a matter per district, year and extract; so do the names."""
    rng = world.rng
    roll = rng.random()
    if roll < 0.45:
        return base
    if roll < 0.70:
        return rng.choice(dept.places) + base
    if roll < 0.85:
        return base + words.YEAR_SUFFIX.format(year=rng.randint(2018, world.now.year))
    return base + rng.choice(words.NAME_SUFFIXES)


def _resource_steps(world: World, plan: ResourcePlan, path) -> tuple:
    rng = world.rng
    delays = [timedelta(days=rng.uniform(*STEP_DELAYS[step])) for step in path]
    room = world.now - timedelta(minutes=5) - plan.created
    total = sum(delays, timedelta())
    if total > room:
        # A recent resource went through its steps faster: squeeze them into the time there was.
        delays = [d * (room / total) for d in delays]
    steps, when = [], plan.created
    for step, delay in zip(path, delays, strict=True):
        when = when + max(delay, timedelta(seconds=1))
        if step in ("submit", "revise"):
            actor, reason = world.liaison_of(plan.dept), ""
            if step == "revise":
                reason = rng.choice(words.REVISE_REASONS)
        else:
            actor = world.officer.pk
            reason = {
                "publish": demo_data.PUBLISH_REASON,
                "return": rng.choice(words.RETURN_REASONS),
                "retire": rng.choice(words.RETIRE_REASONS),
            }[step]
        steps.append((when, step, actor, reason))
    return tuple(steps)


def _resource_row(plan: ResourcePlan, status: str, return_reason: str, updated_at: datetime) -> dict:
    template = plan.template
    return {
        "id": plan.id,
        "catalogue_code": plan.code,
        "name": plan.name,
        "summary": plan.summary,
        "department_id": plan.dept.id,
        "source_system_id": plan.system_id,
        "subject": template.subject,
        "security_grade": plan.security_grade,
        "personal_info": plan.personal_info,
        "share_type": template.share_type,
        "share_conditions": template.share_conditions,
        "not_shared_basis": template.not_shared_basis,
        "open_type": template.open_type,
        "update_frequency": template.update_frequency,
        "format": template.format,
        "aggregation_mode": template.aggregation_mode,
        "recommended_mode": "",
        "status": status,
        "return_reason": return_reason,
        "created_at": plan.created,
        "updated_at": updated_at,
    }


def create_resources(world: World, plans: list[ResourcePlan], progress) -> None:
    copier = world.copier
    copier.progress = progress
    copier.copy(DataResource, (_resource_row(p, *replay_resource(p)[-1]) for p in plans))
    copier.copy(
        DataResource.duties.through,
        ({"id": link, "dataresource_id": p.id, "duty_id": duty} for p in plans for link, duty in p.duty_links),
    )
    number_history(plans)
    copier.copy(history_model(DataResource), _resource_history(world, plans))
    copier.copy(
        m2m_history_model(DataResource, "duties"),
        (
            {"id": link, "dataresource_id": p.id, "duty_id": duty, "history_id": p.history_first_id + k}
            for p in plans
            for k in range(1 + len(p.steps))
            for link, duty in p.duty_links
        ),
        generated=GENERATED_M2M_HISTORY_ID,
    )
    element_ids = {code: element.pk for code, element in world.elements.items()}
    copier.copy(DataItem, (row for p in plans for row in p.item_rows(element_ids)))
    copier.copy(
        history_model(DataItem),
        (
            history_row(
                row, when=p.created + timedelta(milliseconds=5), kind="+", user_id=p.creator, reason=world.import_reason
            )
            for p in plans
            for row in p.item_rows(element_ids)
        ),
        generated=GENERATED_HISTORY_ID,
    )
    copier.copy(
        DataResourceGroupObjectPermission,
        grant_rows(DataResource, world, ((p.id, p.dept.group_id) for p in plans)),
        generated=GENERATED_GRANT_ID,
    )
    copier.copy(
        DataItemGroupObjectPermission,
        grant_rows(
            DataItem, world, ((p.first_item_id + k, p.dept.group_id) for p in plans for k in range(len(p.items)))
        ),
        generated=GENERATED_GRANT_ID,
    )


def _resource_history(world: World, plans: list[ResourcePlan]):
    window = world.window
    for plan in plans:
        states = replay_resource(plan)
        status, return_reason, updated_at = states[0]
        yield history_row(
            _resource_row(plan, status, return_reason, updated_at),
            when=plan.created,
            kind="+",
            user_id=plan.creator,
            reason=world.import_reason,
            history_id=plan.history_first_id,
        )
        for k, ((when, step, actor, reason), state) in enumerate(zip(plan.steps, states[1:], strict=True), start=1):
            yield history_row(
                _resource_row(plan, *state),
                when=when,
                kind="~",
                user_id=actor,
                # The services record the step's name when no reason was typed.
                reason=reason or step,
                history_id=plan.history_first_id + k,
            )
            if window.wants(when):
                window.add(
                    when + timedelta(milliseconds=3),
                    f"resource.{step}",
                    partial(DataResource, pk=plan.id, catalogue_code=plan.code, name=plan.name),
                    actor,
                    reason,
                    {"from": states[k - 1][0], "to": state[0], "department": plan.dept.code},
                )


def resources_total(sizes) -> int:
    items = sizes.resources * sizes.items_per_resource
    # resources, ~2.8 history rows each, ~1.3 duty links with their snapshots; items, history, 3 grants.
    return round(sizes.resources * (1 + 2.8 + 1.3 + 1.3 * 2.8 + 2)) + items * 5


# --- One data, one source ------------------------------------------------------------------


def create_claims(world: World, plans: list[ResourcePlan], progress) -> None:
    """The demo's claims, filed by the province's departments, plus rival claims of city peers."""
    rng, copier = world.rng, world.copier
    copier.progress = progress
    first_of = {}
    for plan in plans:
        first_of.setdefault((plan.dept.code, plan.template.code), plan)
    by_element: dict[str, list] = {}
    for claim in demo_data.CLAIMS:
        by_element.setdefault(claim[0], []).append(claim)
    rows, history, grants = [], [], []
    with translation.override(settings.LANGUAGE_CODE):
        for element_code, claims in by_element.items():
            element = world.elements[element_code]
            filed = []
            for _code, kind, resource_code, legal_basis, confirmed in claims:
                dept = world.by_code.get(kind)
                if dept is None:
                    continue
                filed.append((dept, first_of.get((kind, resource_code)), legal_basis, confirmed))
                # A city peer collecting the same element claims it too, until the bureau decides.
                peers = [d for d in world.departments if d.kind == kind and d is not dept]
                if confirmed and peers and rng.random() < 0.4:
                    peer = rng.choice(peers)
                    filed.append((peer, first_of.get((peer.code, resource_code)), legal_basis, False))
            if not filed:
                continue
            claimed_at = world.between(world.start + timedelta(days=30), world.start + timedelta(days=400))
            winner = next((f for f in filed if f[3]), None)
            decided_at = claimed_at + timedelta(days=rng.uniform(25, 60))
            for offset, (dept, resource, legal_basis, confirmed) in enumerate(filed):
                assignment_id = len(rows) + 1
                when = claimed_at + timedelta(days=offset * rng.uniform(1, 5))
                claimant = world.liaison_of(dept)
                row = {
                    "id": assignment_id,
                    "element_id": element.pk,
                    "department_id": dept.id,
                    "resource_id": resource.id if resource and resource.created < when else None,
                    "legal_basis": legal_basis,
                    "status": ClaimStatus.CLAIMED.value,
                    "claimed_by_id": claimant,
                    "claimed_at": when,
                    "decided_by_id": None,
                    "decided_at": None,
                    "decision_reason": "",
                }
                build = partial(
                    SourceAssignment,
                    pk=assignment_id,
                    element=element,
                    department=Department(pk=dept.id, code=dept.code, name=dept.name),
                )
                data = {"element": element.code, "department": dept.code}
                history.append(history_row(row, when=when, kind="+", user_id=claimant, reason=world.import_reason))
                _offer(world, when, "source.claim", build, claimant, legal_basis, data)
                if winner is not None:
                    if confirmed:
                        target, reason = ClaimStatus.CONFIRMED, words.CONFIRM_REASON
                    else:
                        target = ClaimStatus.REJECTED
                        reason = _("Another department was confirmed as the source: %(department)s") % {
                            "department": winner[0].name
                        }
                    step = CLAIM_TRANSITIONS[(ClaimStatus.CLAIMED, target)]
                    row = row | {
                        "status": target.value,
                        "decided_by_id": world.officer.pk,
                        "decided_at": decided_at,
                        "decision_reason": reason,
                    }
                    history.append(
                        history_row(row, when=decided_at, kind="~", user_id=world.officer.pk, reason=reason or step)
                    )
                    _offer(world, decided_at, f"source.{step}", build, world.officer.pk, reason, data)
                rows.append(row)
                grants.append((assignment_id, dept.group_id))
                progress.update(1)
    copier.copy(SourceAssignment, rows)
    copier.copy(history_model(SourceAssignment), history, generated=GENERATED_HISTORY_ID)
    copier.copy(
        SourceAssignmentGroupObjectPermission, grant_rows(SourceAssignment, world, grants), generated=GENERATED_GRANT_ID
    )


def _offer(world: World, when, action, build, actor_id, reason, data) -> None:
    if world.window.wants(when):
        world.window.add(when + timedelta(milliseconds=3), action, build, actor_id, reason, data)
