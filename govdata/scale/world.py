"""What every stage of seed_scale shares: the sizes asked for, the clock, the random generator,
the departments and people made so far, and small helpers for time and proportions."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.models import Permission
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .copy import Copier
from .ledger import LedgerWindow

# The span over which the catalogue grew; reference data (departments, people, duties) predates it.
YEARS = 3


class ScaleError(Exception):
    """The database cannot be seeded as asked (not PostgreSQL, not empty, sizes that do not fit)."""


@dataclass(frozen=True)
class Sizes:
    """How much to make. The defaults are a province; `scaled` makes a proportional copy."""

    departments: int = 200
    users: int = 1_000
    systems: int = 2_000
    duties: int = 20_000
    resources: int = 100_000
    items_per_resource: int = 10
    agreements: int = 20_000
    usage_records: int = 1_000_000
    ledger_entries: int = 100_000

    # The smallest province that still has every role: the bureau and two business departments.
    MINIMUM_DEPARTMENTS = 3

    def scaled(self, factor: float) -> Sizes:
        """Every size times `factor` (items per resource excepted), kept large enough to be coherent."""
        values = {f.name: max(0, round(getattr(self, f.name) * factor)) for f in fields(self)}
        values["items_per_resource"] = self.items_per_resource
        values["departments"] = max(self.MINIMUM_DEPARTMENTS, values["departments"])
        values["users"] = max(values["departments"] + 2, values["users"])
        values["systems"] = max(values["departments"], values["systems"])
        values["duties"] = max(values["departments"], values["duties"])
        return Sizes(**values)


@dataclass(slots=True, eq=False)
class Dept:
    """A seeded department and what the later stages need to know about it."""

    index: int
    code: str
    name: str
    kind: str
    parent_code: str | None
    weight: float
    # Where its resources may say they are about (districts of its city, or the cities of the province).
    places: list[str]
    id: int = 0
    group_id: int = 0
    model: object = None  # the saved Department
    liaisons: list[int] = field(default_factory=list)
    systems: list[int] = field(default_factory=list)
    duties: list[int] = field(default_factory=list)
    # Duties backed by a system: the ones whose work leaves data behind.
    productive_duties: list[int] = field(default_factory=list)


def allocate(total: int, weights: list[float], minimum: int = 0) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainders), each share at least `minimum`."""
    if not weights:
        return []
    if total < minimum * len(weights):
        minimum = 0
    rest = total - minimum * len(weights)
    weight_sum = sum(weights) or 1.0
    raw = [rest * w / weight_sum for w in weights]
    counts = [int(r) for r in raw]
    short = rest - sum(counts)
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - counts[i], reverse=True)[:short]:
        counts[i] += 1
    return [c + minimum for c in counts]


class World:
    """The shared state of one seed_scale run."""

    def __init__(self, sizes: Sizes, *, seed: int, password_hash: str):
        self.sizes = sizes
        self.seed = seed
        self.rng = random.Random(seed)
        self.password_hash = password_hash
        self.now = timezone.now()
        self.start = self.now - timedelta(days=365 * YEARS)
        self.copier = Copier()
        self.window = LedgerWindow(sizes.ledger_entries)
        self.departments: list[Dept] = []
        self.by_code: dict[str, Dept] = {}
        self.users: dict = {}  # id -> User
        self.officer = None
        self.auditor = None
        self.role_groups: dict = {}  # role name -> Group
        self.elements: dict = {}  # code -> DataElement
        with translation.override(settings.LANGUAGE_CODE):
            # The change reason of every record the import creates: the timeline says where it came from.
            self.import_reason = _("Bulk import (seed_scale)")
        self._permissions = {
            (p.content_type.app_label, p.codename): p.pk for p in Permission.objects.select_related("content_type")
        }

    def permission_id(self, model, action: str) -> int:
        return self._permissions[(model._meta.app_label, f"{action}_{model._meta.model_name}")]

    def between(self, earliest: datetime, latest: datetime) -> datetime:
        """A random moment in [earliest, latest] (earliest when the span is empty)."""
        span = (latest - earliest).total_seconds()
        return earliest + timedelta(seconds=self.rng.random() * span) if span > 0 else earliest

    def liaison_of(self, dept: Dept) -> int:
        return self.rng.choice(dept.liaisons)


def local_date(moment: datetime) -> date:
    """The date on the bureau's clock. Seeding never activates another time zone, so the default
    one is used directly (timezone.localdate looks the active zone up on every call: a million times)."""
    return moment.astimezone(timezone.get_default_timezone()).date()


def local_midnight(day: date) -> datetime:
    """The first moment of `day` on the bureau's clock, as an aware datetime."""
    return timezone.make_aware(datetime.combine(day, time.min))
