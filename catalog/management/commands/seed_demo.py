"""Load the demo catalogue of a municipal government (catalog/demo_data.py).

Idempotent: every object is looked up by its code and only the missing ones are created, so a
second run changes nothing. Everything is written through catalog.services with an explicit
acting user, so the history shows who did what: the bureau officer catalogues and decides, each
department's liaison submits its resources and claims its data elements. Each department (with
its liaison, systems, duties and resources) is loaded in one transaction, and so is each data
element's set of claims, so a failure leaves no half-loaded department. The share agreements
(sharing/demo_data.py) and the licensed operation (operations/demo_data.py) follow, loaded the same way.

One write has no service yet and is done here, attributed like a service would: giving a demo
user their role group (see `_ensure_user`).
"""

from __future__ import annotations

import time
import unicodedata
from collections import Counter

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count, Q
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from catalog import demo_data, services
from catalog.choices import AggregationMode, ClaimStatus, OpenType, ResourceStatus, ShareType
from catalog.models import (
    DataElement,
    DataItem,
    DataResource,
    Department,
    Duty,
    InformationSystem,
    SourceAssignment,
    User,
)
from govdata.roles import Role
from operations import demo_data as operations_demo
from operations.models import AuditFirm, Operator
from sharing import checkpoints
from sharing import demo_data as sharing_demo


def liaison_username(department_code: str) -> str:
    return f"liaison_{department_code.lower()}"


class Seeder:
    def __init__(self, stdout=None):
        self.stdout = stdout
        self.created = Counter()
        self.officer: User | None = None
        self.departments: dict[str, Department] = {}
        self.liaisons: dict[str, User] = {}
        self.elements: dict[str, DataElement] = {}
        # The demo password is public (it is printed), so one hash serves every demo user:
        # hashing it once per user would cost half a second each for no protection.
        self._password_hash = ""
        self._known_hashes: dict[str, bool] = {}

    def _has_demo_password(self, encoded: str) -> bool:
        if encoded not in self._known_hashes:
            # No setter: a rehash on check would save the user outside the service.
            self._known_hashes[encoded] = check_password(settings.DEMO_PASSWORD, encoded)
        return self._known_hashes[encoded]

    def _demo_password_hash(self) -> str:
        if not self._password_hash:
            self._password_hash = make_password(settings.DEMO_PASSWORD)
            self._known_hashes[self._password_hash] = True
        return self._password_hash

    # --- users ------------------------------------------------------------------------------

    def _ensure_user(self, *, username, role, department, name, is_staff=False, actor=None) -> User:
        """Create or reset a demo user; `actor` None means the user records their own creation."""
        last_name, first_name = name
        user = User.objects.filter(username=username).first()
        creating = user is None
        if creating:
            user = User(username=username)
        wanted = {"first_name": first_name, "last_name": last_name, "is_staff": is_staff, "is_active": True}
        drift = [attr for attr, value in wanted.items() if getattr(user, attr) != value]
        for attr in drift:
            setattr(user, attr, wanted[attr])
        if creating or not self._has_demo_password(user.password):
            user.password = self._demo_password_hash()
            drift.append("password")
        if creating or drift or user.department_id != (department.pk if department else None):
            reason = demo_data.CREATION_REASON if creating else demo_data.RESET_REASON
            services.user_set_department(user=user, department=department, actor=actor or user, reason=reason)
            if creating:
                self.created["users"] += 1
        # No service assigns roles yet; role groups are not part of the user's history either.
        role_groups = Group.objects.filter(name__in=Role.values)
        user.groups.remove(*role_groups.exclude(name=role))
        user.groups.add(role_groups.get(name=role))
        services.user_sync_department_membership(user)
        return user

    def ensure_officer(self):
        spec = demo_data.OFFICER
        with transaction.atomic():
            # The bureau does not exist yet on a first run; the officer joins it once it does.
            existing = Department.objects.filter(code=spec["department"]).first()
            self.officer = self._ensure_user(
                username=spec["username"],
                role=spec["role"],
                department=existing,
                name=spec["name"],
                is_staff=spec["is_staff"],
            )

    def ensure_auditor(self):
        spec = demo_data.AUDITOR
        with transaction.atomic():
            self._ensure_user(
                username=spec["username"],
                role=spec["role"],
                department=None,
                name=spec["name"],
                is_staff=spec["is_staff"],
                actor=self.officer,
            )

    # --- elements ---------------------------------------------------------------------------

    def ensure_elements(self):
        with transaction.atomic():
            existing = set(DataElement.objects.values_list("code", flat=True))
            for code, name, definition, fmt in demo_data.ELEMENTS:
                if code not in existing:
                    services.element_save(
                        element=DataElement(code=code, name=name, definition=definition, format=fmt),
                        actor=self.officer,
                        reason=demo_data.CREATION_REASON,
                    )
                    self.created["elements"] += 1
        self.elements = {e.code: e for e in DataElement.objects.all()}

    # --- departments and what they own ------------------------------------------------------

    def ensure_department(self, spec):
        code = spec["code"]
        with transaction.atomic():
            department = Department.objects.filter(code=code).first()
            if department is None:
                parent = self.departments[spec["parent"]] if spec.get("parent") else None
                department = services.department_save(
                    department=Department(
                        code=code, name=spec["name"], kind=spec.get("kind", "business"), parent=parent
                    ),
                    actor=self.officer,
                    reason=demo_data.CREATION_REASON,
                )
                self.created["departments"] += 1
            self.departments[code] = department
            if code == demo_data.OFFICER["department"] and self.officer.department_id != department.pk:
                services.user_set_department(
                    user=self.officer, department=department, actor=self.officer, reason=demo_data.CREATION_REASON
                )
            if spec.get("liaison"):
                self.liaisons[code] = self._ensure_user(
                    username=liaison_username(code),
                    role=Role.LIAISON.value,
                    department=department,
                    name=spec["liaison"],
                    actor=self.officer,
                )
            systems = self._ensure_systems(department)
            duties = self._ensure_duties(department, systems)
            self._ensure_resources(department, systems, duties)

    def _ensure_systems(self, department) -> dict[str, InformationSystem]:
        existing = {s.code: s for s in InformationSystem.objects.filter(department=department)}
        for code, dept_code, name, status in demo_data.SYSTEMS:
            if dept_code != department.code or code in existing:
                continue
            existing[code] = services.system_save(
                system=InformationSystem(department=department, code=code, name=name, status=status),
                actor=self.officer,
                reason=demo_data.CREATION_REASON,
            )
            self.created["systems"] += 1
        return existing

    def _ensure_duties(self, department, systems) -> dict[str, Duty]:
        existing = {d.code: d for d in Duty.objects.filter(department=department)}
        for code, dept_code, name, origin, power_kind, system_codes in demo_data.DUTIES:
            if dept_code != department.code or code in existing:
                continue
            existing[code] = services.duty_save(
                duty=Duty(department=department, code=code, name=name, origin=origin, power_kind=power_kind),
                systems=[systems[c] for c in system_codes],
                actor=self.officer,
                reason=demo_data.CREATION_REASON,
            )
            self.created["duties"] += 1
        return existing

    def _ensure_resources(self, department, systems, duties):
        existing = set(DataResource.objects.filter(department=department).values_list("catalogue_code", flat=True))
        for spec in demo_data.RESOURCES:
            if spec["department"] == department.code and spec["code"] not in existing:
                resource = self._create_resource(department, spec, systems, duties)
                self._run_workflow(resource, spec)
                self.created["resources"] += 1

    def _create_resource(self, department, spec, systems, duties) -> DataResource:
        share_type = spec["share"]
        open_type = spec.get("open", OpenType.NOT_OPEN)
        resource = DataResource(
            catalogue_code=spec["code"],
            name=spec["name"],
            summary=spec.get("summary", ""),
            department=department,
            source_system=systems[spec["system"]] if spec.get("system") else None,
            subject=spec["subject"],
            share_type=share_type,
            share_conditions=spec.get("conditions", ""),
            not_shared_basis=spec.get("basis", ""),
            open_type=open_type,
            update_frequency=spec["frequency"],
            format=spec.get("format", demo_data.DEFAULT_FORMAT),
            aggregation_mode=spec.get("aggregation", AggregationMode.LOGICAL),
        )
        core, linked = set(spec.get("core", ())), set(spec.get("elements", ()))
        items = []
        for code in spec["items"]:
            name, data_type, length, grade, personal_info, element_code = demo_data.FIELDS[code]
            items.append(
                DataItem(
                    code=code,
                    name=name,
                    data_type=data_type,
                    length=length,
                    security_grade=grade,
                    personal_info=personal_info,
                    # Items follow their resource; core items of a basic library are always shared.
                    share_type=ShareType.UNCONDITIONAL if code in core else share_type,
                    open_type=open_type,
                    is_core_item=code in core,
                    element=self.elements[element_code] if code in linked else None,
                )
            )
        self.created["items"] += len(items)
        return services.resource_save(
            resource=resource,
            actor=self.officer,
            items=items,
            duties=[duties[c] for c in spec.get("duties", ())],
            reason=demo_data.CREATION_REASON,
        )

    def _run_workflow(self, resource, spec):
        status = spec.get("status", ResourceStatus.PUBLISHED)
        if status == ResourceStatus.DRAFT:
            return
        # The department submits its own resource; the bureau has no liaison and submits its own.
        submitter = self.liaisons.get(resource.department.code, self.officer)
        services.resource_submit(resource=resource, actor=submitter)
        if status == "returned":
            services.resource_return(resource=resource, actor=self.officer, reason=spec["reason"])
            return
        if status == ResourceStatus.SUBMITTED:
            return
        services.resource_publish(resource=resource, actor=self.officer, reason=demo_data.PUBLISH_REASON)
        if status == ResourceStatus.RETIRED:
            services.resource_retire(resource=resource, actor=self.officer, reason=spec["reason"])

    # --- one data, one source ---------------------------------------------------------------

    def ensure_claims(self):
        by_element: dict[str, list] = {}
        for claim in demo_data.CLAIMS:
            by_element.setdefault(claim[0], []).append(claim)
        wanted = {claim[2] for claim in demo_data.CLAIMS if claim[2]}
        resources = {r.catalogue_code: r for r in DataResource.objects.filter(catalogue_code__in=wanted)}
        for element_code, claims in by_element.items():
            element = self.elements[element_code]
            with transaction.atomic():
                filed = {a.department.code: a for a in element.assignments.select_related("department")}
                for _code, dept_code, resource_code, legal_basis, _confirmed in claims:
                    if dept_code in filed:
                        continue
                    department = self.departments[dept_code]
                    filed[dept_code] = services.source_claim(
                        element=element,
                        department=department,
                        actor=self.liaisons.get(dept_code, self.officer),
                        legal_basis=legal_basis,
                        resource=resources[resource_code] if resource_code else None,
                    )
                    self.created["claims"] += 1
                for _code, dept_code, _resource, _basis, confirmed in claims:
                    assignment = filed[dept_code]
                    assignment.refresh_from_db(fields=["status"])
                    if confirmed and assignment.status == ClaimStatus.CLAIMED:
                        services.source_confirm(
                            assignment=assignment, actor=self.officer, reason=demo_data.CONFIRM_REASON
                        )

    def run(self):
        self.ensure_officer()
        self.ensure_elements()
        for spec in demo_data.DEPARTMENTS:
            self.ensure_department(spec)
        self.ensure_auditor()
        self.ensure_claims()
        self.created.update(sharing_demo.seed_sharing(officer=self.officer, stdout=self.stdout))
        self.created.update(
            operations_demo.seed_operations(officer=self.officer, stdout=self.stdout, ensure_user=self._ensure_user)
        )
        # The demo bureau signs a checkpoint over its ledger, so the audit pages can show proofs.
        checkpoints.load_signing_key(create=True)
        if checkpoints.checkpoint_create():
            self.created["checkpoints"] += 1


# --- output ---------------------------------------------------------------------------------


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


def format_table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Columns aligned by display width, so Chinese text lines up in a terminal."""
    widths = [max(_width(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(_pad(str(cell), w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def login_rows() -> list[list[str]]:
    usernames = [demo_data.OFFICER["username"], demo_data.AUDITOR["username"]]
    usernames += [liaison_username(d["code"]) for d in demo_data.DEPARTMENTS if d.get("liaison")]
    usernames += operations_demo.USERNAMES
    users = User.objects.filter(username__in=usernames).select_related("department").prefetch_related("groups")
    by_name = {u.username: u for u in users}
    role_labels = dict(Role.choices)
    # Operator and audit-firm staff belong to an organisation, not a department: show that instead.
    organisations = dict(Operator.objects.filter(staff_group__isnull=False).values_list("staff_group_id", "name"))
    organisations.update(AuditFirm.objects.filter(staff_group__isnull=False).values_list("staff_group_id", "name"))
    rows = []
    for username in usernames:
        user = by_name[username]
        role = next((role_labels[g.name] for g in user.groups.all() if g.name in role_labels), "")
        organisation = next((organisations[g.pk] for g in user.groups.all() if g.pk in organisations), "—")
        rows.append(
            [
                username,
                str(role),
                user.department.name if user.department else organisation,
                f"{user.last_name}{user.first_name}",
            ]
        )
    return rows


def summary_rows() -> list[list[str]]:
    def label(model):
        return capfirst(model._meta.verbose_name_plural)

    duties = Duty.objects.aggregate(
        total=Count("pk", distinct=True),
        with_system=Count("pk", filter=Q(systems__isnull=False), distinct=True),
        with_resource=Count("pk", filter=Q(resources__isnull=False), distinct=True),
    )
    statuses = dict(DataResource.objects.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n"))
    claims = dict(
        SourceAssignment.objects.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n")
    )

    def breakdown(counts, choices):
        return ", ".join(f"{c.label} {counts.get(c.value, 0)}" for c in choices)

    return [
        [label(Department), str(Department.objects.count()), ""],
        [label(User), str(User.objects.count()), ""],
        [label(InformationSystem), str(InformationSystem.objects.count()), ""],
        [
            label(Duty),
            str(duties["total"]),
            _("%(system)d with a system, %(resource)d with a data resource")
            % {"system": duties["with_system"], "resource": duties["with_resource"]},
        ],
        [label(DataResource), str(sum(statuses.values())), breakdown(statuses, ResourceStatus)],
        [label(DataItem), str(DataItem.objects.count()), ""],
        [label(DataElement), str(DataElement.objects.count()), ""],
        [label(SourceAssignment), str(sum(claims.values())), breakdown(claims, ClaimStatus)],
    ]


class Command(BaseCommand):
    help = _(
        "Load the demo catalogue of a municipal government: departments, liaisons, systems, duties, "
        "data resources, data elements and their sources. Safe to run again: it only adds what is missing."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        seeder = Seeder(stdout=self.stdout)
        seeder.run()
        elapsed = time.monotonic() - started

        out = self.stdout
        out.write("")
        out.write(self.style.MIGRATE_HEADING(_("Demo logins")))
        for line in format_table([_("Username"), _("Role"), _("Department"), _("Name")], login_rows()):
            out.write(line)
        out.write("")
        out.write(
            self.style.WARNING(
                _("Password of every demo login: %(password)s (demo only: never use these accounts in production)")
                % {"password": settings.DEMO_PASSWORD}
            )
        )
        out.write("")
        out.write(self.style.MIGRATE_HEADING(_("Catalogue")))
        for line in format_table([_("What"), _("Count"), _("Details")], summary_rows()):
            out.write(line)
        out.write("")
        created = sum(seeder.created.values())
        if created:
            out.write(
                self.style.SUCCESS(
                    _("Created %(count)d objects in %(seconds).1f s.") % {"count": created, "seconds": elapsed}
                )
            )
        else:
            out.write(
                self.style.SUCCESS(
                    _("Nothing to create: the demo data was already complete (%(seconds).1f s).") % {"seconds": elapsed}
                )
            )
