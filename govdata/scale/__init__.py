"""A province's worth of data on PostgreSQL, for benchmarks and for seeing the product at scale.

`seed()` fills a freshly migrated database in one transaction: the bureau's officer, departments,
auditor, liaisons and data elements through catalog.services (as seed_demo does); then systems,
duties, resources with their items, source claims, share agreements and usage records with COPY,
each with the history rows and object permissions the services would have written; then the
ledger (the newest workflow steps, hash-chained exactly as sharing.ledger.append chains them) with
signed checkpoints. After the commit it VACUUMs and ANALYZEs the tables and takes a governance snapshot.

The stages stream rows to COPY; what stays in memory is one small plan per resource and per
agreement, never a row per item or per use. While a table is loaded its foreign keys and plain
indexes are set aside and put back before the commit (as pg_restore does): every key is then
checked over all rows at once and every index built in one pass, instead of row by row.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from catalog.models import DataResource, Department, User
from govdata import analytics
from govdata.roles import GOVERNED_APPS, Role
from sharing import checkpoints

from . import agreements, catalogue
from .ledger import write_ledger
from .world import ScaleError, Sizes, World

__all__ = ["ScaleError", "Sizes", "SeedReport", "seed"]

# progress(description, total) -> a context manager with update(n), e.g. a tqdm bar.
Progress = Callable[[str, int], AbstractContextManager]


@dataclass
class SeedReport:
    sizes: Sizes
    seconds: float
    counts: list[tuple[str, int]]
    checkpoints: int
    snapshot_ms: int
    # (username, role, department, resources owned by the department) for the logins worth trying.
    logins: list[tuple[str, str, str, int]]


def check_database() -> None:
    if connection.vendor != "postgresql":
        raise ScaleError(
            _("seed_scale needs PostgreSQL (it loads with COPY); set DATABASE_URL to a PostgreSQL database.")
        )
    if DataResource.objects.exists():
        raise ScaleError(
            _("This database already holds data resources; seed_scale only fills a freshly migrated, empty database.")
        )
    if User.objects.exists() or Department.objects.exists():
        raise ScaleError(
            _(
                "This database already holds users or departments; "
                "seed_scale only fills a freshly migrated, empty database."
            )
        )
    if Group.objects.filter(name__in=Role.values).count() != len(Role.values):
        raise ScaleError(_("The role groups are missing: run `manage.py migrate` first."))


def check_sizes(sizes: Sizes) -> None:
    if sizes.departments > catalogue.MAX_DEPARTMENTS:
        raise ScaleError(
            _("At most %(n)d departments: one of each kind for the province and each of its cities.")
            % {"n": catalogue.MAX_DEPARTMENTS}
        )
    if sizes.users < sizes.departments + 2:
        raise ScaleError(
            _("Users must be at least the number of departments plus two (officer and auditor): %(n)d.")
            % {"n": sizes.departments + 2}
        )
    if not 1 <= sizes.items_per_resource <= 100:
        raise ScaleError(_("Items per resource must be between 1 and 100."))


def seed(sizes: Sizes, *, seed: int, password: str, progress: Progress) -> SeedReport:
    check_sizes(sizes)
    check_database()
    started = time.monotonic()
    # Like seed_demo: the bureau's signing key is made on first use, so checkpoints can be signed.
    checkpoints.load_signing_key(create=True)
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        # One hash for every seeded login: the password is printed anyway, and hashing costs ~0.3 s each.
        world = World(sizes, seed=seed, password_hash=make_password(password))
        with progress(_("Departments and people"), catalogue.reference_total(sizes)) as bar:
            catalogue.create_reference(world, bar)
        with connection.cursor() as cursor:
            # Check what the services wrote now: a table with checks still pending cannot have its
            # foreign keys set aside and put back (ALTER TABLE refuses), and the COPY stages do both.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with progress(_("Systems and duties"), catalogue.systems_and_duties_total(sizes)) as bar:
            catalogue.create_systems_and_duties(world, bar)
        with progress(_("Planning resources"), sizes.resources) as bar:
            resources = catalogue.plan_resources(world, bar)
        with progress(_("Resources and items"), catalogue.resources_total(sizes)) as bar:
            catalogue.create_resources(world, resources, bar)
        with progress(_("Source claims"), None) as bar:
            catalogue.create_claims(world, resources, bar)
        with progress(_("Planning agreements"), sizes.agreements) as bar:
            plans = agreements.plan_agreements(world, resources, bar)
        with progress(_("Agreements"), agreements.agreements_total(sizes)) as bar:
            agreements.create_agreements(world, plans, bar)
        agreements.allocate_usage(world, plans)
        with progress(_("Usage records"), 2 * sizes.usage_records) as bar:
            agreements.create_usage(world, plans, bar)
        with progress(_("Ledger and checkpoints"), len(world.window)) as bar:
            world.copier.progress = bar
            signed = write_ledger(world.window, world.copier, world.users)
        with progress(_("Indexes and references"), len(world.copier.foreign_key_tables)) as bar:
            world.copier.restore_foreign_keys(bar)
        world.copier.reset_sequences()
    with progress(_("Statistics and governance snapshot"), 2) as bar:
        with connection.cursor() as cursor:
            # VACUUM also marks the freshly loaded pages all-visible, which lets index-only scans
            # (the catalogue's paging) skip the table, as they will once autovacuum has passed. It
            # cannot run inside a transaction, which is where the test suite calls this.
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
        bar.update(1)
        snapshot = analytics.snapshot_take(actor=None)
        bar.update(1)
    return SeedReport(
        sizes=sizes,
        seconds=time.monotonic() - started,
        counts=table_counts(),
        checkpoints=signed,
        snapshot_ms=snapshot.duration_ms,
        logins=_logins(world, resources),
    )


def _logins(world: World, resources) -> list[tuple[str, str, str, int]]:
    owned = Counter(plan.dept.code for plan in resources)
    by_size = sorted(world.departments, key=lambda d: owned[d.code], reverse=True)
    # The largest department, a typical (median) one and the smallest: benchmarks want all three.
    picks = list(dict.fromkeys([by_size[0], by_size[len(by_size) // 2], by_size[-1]]))
    logins = [
        (world.officer.username, str(Role.OFFICER.label), world.departments[0].name, owned[world.departments[0].code]),
        (world.auditor.username, str(Role.AUDITOR.label), "—", 0),
    ]
    for dept in picks:
        username = world.users[dept.liaisons[0]].username
        logins.append((username, str(Role.LIAISON.label), dept.name, owned[dept.code]))
    return logins


def table_counts() -> list[tuple[str, int]]:
    """Rows per table of the governed apps (history and permission tables summed under their own line)."""
    counts, history, grants = [], 0, 0
    for label in GOVERNED_APPS:
        for model in apps.get_app_config(label).get_models():
            if issubclass(model, UserObjectPermissionBase | GroupObjectPermissionBase):
                grants += model.objects.count()
            elif model.__name__.startswith("Historical"):
                # The many-to-many snapshots belong to a history record; they are not records themselves.
                if any(f.name == "history_type" for f in model._meta.fields):
                    history += model.objects.count()
            elif count := model.objects.count():
                counts.append((str(model._meta.verbose_name_plural), count))
    counts.append((_("history records"), history))
    counts.append((_("object permissions (group grants)"), grants))
    return counts
