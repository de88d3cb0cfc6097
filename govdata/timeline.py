"""One timeline of every change to every tracked model, with field-level differences.

Each model keeps its history in its own simple-history table. A page of the timeline asks each
table for its newest rows after the cursor (an index scan with LIMIT), merges them, and keeps the
first `limit`: the cost depends on the number of models, never on the number of history rows, and
a page deep in the past costs the same as the first (keyset pagination, no COUNT, no OFFSET).

Diffs are computed for the rows on the page only, with one query per model (previous versions),
per many-to-many field, per related model (names of foreign keys, from the history when the
object is gone) and per model whose history holds no name (a claim is named by its current
text): constant in the page size, bounded by the number of models.
"""

from __future__ import annotations

import base64
import functools
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from importlib import import_module

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import CharField, Max, OuterRef, Q, Subquery, Value
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .roles import GOVERNED_APPS

# Shown as the object's name on the timeline, first field present wins (no query per row).
NAME_FIELDS = ("catalogue_code", "number", "code", "username", "name", "certificate_number", "year")
# Bookkeeping that changes with every save and says nothing to an auditor.
UNDIFFED_FIELDS = {"updated_at", "password", "last_login"}
# simple-history's history_type codes, as the pages name them.
CHANGE_TYPES = {"+": _("created"), "~": _("changed"), "-": _("deleted")}


@functools.cache
def step_labels() -> dict[str, dict]:
    """app label -> {step code: translated label}, from each governed app's `choices.STEP_LABELS`.

    Kept per app: two apps may give the same code ("submit") different words.
    """
    return {
        label: getattr(import_module(f"{apps.get_app_config(label).name}.choices"), "STEP_LABELS", {})
        for label in GOVERNED_APPS
    }


def shown_reason(model_label: str, reason: str) -> str:
    """A change reason as the pages show it: the step's label when a service stored a bare step code.

    A step taken without a reason stores its code ("publish"), so the stored history does not
    depend on the language of whoever took the step; any other reason is shown as written.
    """
    label = step_labels().get(model_label.partition(".")[0], {}).get(reason)
    return reason if label is None else str(label)


@functools.cache
def tracked_models() -> dict[str, type[models.Model]]:
    """label ("catalog.dataresource") -> model, for every governed model with a history (read-only)."""
    found = {}
    for label in GOVERNED_APPS:
        for model in apps.get_app_config(label).get_models():
            manager_attr = getattr(model._meta, "simple_history_manager_attribute", None)
            if manager_attr and not model.__name__.startswith("Historical"):
                found[f"{model._meta.app_label}.{model._meta.model_name}"] = model
    return dict(sorted(found.items()))


@functools.cache
def history_model(model: type[models.Model]) -> type[models.Model]:
    # Cached: simple-history's descriptor builds a new manager class on every access (~1 ms).
    return getattr(model, model._meta.simple_history_manager_attribute).model


@dataclass(frozen=True)
class Cursor:
    """Position in the global order (history_date desc, model label desc, history_id desc)."""

    when: datetime
    label: str
    history_id: int

    def encode(self) -> str:
        raw = f"{self.when.isoformat()}|{self.label}|{self.history_id}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor | None:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            when, label, history_id = raw.split("|")
            parsed = parse_datetime(when)
            if parsed is None or timezone.is_naive(parsed):
                return None
            return cls(parsed, label, int(history_id))
        except (ValueError, UnicodeDecodeError):
            return None


@dataclass
class Filters:
    model: str = ""  # a label from tracked_models()
    object_id: str = ""
    user_id: int | None = None
    department_id: int | None = None  # the acting user's department
    date_from: datetime | None = None
    date_to: datetime | None = None  # exclusive
    change_type: str = ""  # "+", "~" or "-"


@dataclass
class FieldChange:
    field: str
    old: str
    new: str


@dataclass
class Change:
    label: str
    model_name: str
    object_id: str
    object_name: str
    history_id: int
    when: datetime
    change_type: str
    user: object | None
    reason: str
    changes: list[FieldChange] = field(default_factory=list)
    user_id: int | None = None

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.when, self.label, self.history_id)

    @property
    def change_type_label(self) -> str:
        return str(CHANGE_TYPES.get(self.change_type, self.change_type))

    @property
    def reason_shown(self) -> str:
        return shown_reason(self.label, self.reason)


def _keyset(label: str, cursor: Cursor | None) -> Q:
    if cursor is None:
        return Q()
    if label < cursor.label:
        return Q(history_date__lte=cursor.when)
    if label == cursor.label:
        # The redundant upper bound on history_date lets the database start its index scan at the
        # cursor; with the OR alone it would walk down from the newest row and filter.
        return Q(history_date__lte=cursor.when) & (
            Q(history_date__lt=cursor.when) | Q(history_id__lt=cursor.history_id)
        )
    return Q(history_date__lt=cursor.when)


def _filtered(history, filters: Filters):
    qs = history.objects.all()
    if filters.object_id:
        try:
            object_id = history._meta.get_field("id").to_python(filters.object_id)
        except ValidationError:
            # An id this model's keys cannot take matches none of its rows (not a server error).
            return history.objects.none()
        qs = qs.filter(id=object_id)
    if filters.user_id:
        qs = qs.filter(history_user_id=filters.user_id)
    if filters.date_from:
        qs = qs.filter(history_date__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(history_date__lt=filters.date_to)
    if filters.change_type:
        qs = qs.filter(history_type=filters.change_type)
    return qs


def _with_previous_id(history, qs):
    return qs.annotate(
        previous_id=Subquery(
            history.objects.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id"))
            .order_by("-history_id")
            .values("history_id")[:1]
        )
    )


def _newest_keys(qs, limit: int, acting_users: list[int] | None) -> list[tuple[datetime, int]]:
    """(history_date, history_id) of the `limit` newest rows of `qs`, by any of `acting_users` if given."""
    newest = ("-history_date", "-history_id")
    keys = ("history_date", "history_id")
    if acting_users is None:
        return list(qs.order_by(*newest).values_list(*keys)[:limit])
    if not acting_users:
        return []
    if len(acting_users) == 1 or not connection.features.supports_slicing_ordering_in_compound:
        return list(qs.filter(history_user_id__in=acting_users).order_by(*newest).values_list(*keys)[:limit])
    # One index range per user, newest first, merged. With `history_user IN (...)` PostgreSQL cannot
    # walk the index in date order and sorts every change the department's users ever made.
    per_user = [qs.filter(history_user_id=u).order_by(*newest).values_list(*keys)[:limit] for u in acting_users]
    return list(per_user[0].union(*per_user[1:], all=True).order_by(*newest)[:limit])


def _newest_keys_of_users(per_table: dict, limit: int, acting_users: list[int]) -> list[tuple]:
    """(history_date, label, history_id) of the `limit` newest rows by any of `acting_users`, PostgreSQL.

    One statement for every table: per table, a LATERAL subquery walks the (user, date, id) index
    of each user newest first and stops at `limit`, so a department of many users costs one index
    range per user and table, never a sort of everything they ever did.
    """
    if not acting_users:
        return []
    parts, params = [], []
    for label, qs in per_table.items():
        per_user = (
            qs.filter(history_user_id=RawSQL("acting.user_id", ()))
            .order_by("-history_date", "-history_id")
            .values_list("history_date", "history_id")[:limit]
        )
        sql, sql_params = per_user.query.sql_with_params()
        parts.append(
            "(SELECT newest.history_date, %s, newest.history_id FROM unnest(%s::bigint[]) AS acting(user_id) "
            f"CROSS JOIN LATERAL ({sql}) AS newest ORDER BY 1 DESC, 3 DESC LIMIT %s)"
        )
        params += [label, acting_users, *sql_params, limit]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        keys = cursor.fetchall()
    keys.sort(reverse=True)
    return keys[:limit]


def timeline_page(
    filters: Filters, cursor: Cursor | None = None, limit: int = 50
) -> tuple[list[Change], Cursor | None]:
    """The `limit` newest changes after `cursor` matching `filters`, and the cursor of the next page.

    First the keys of each table's newest rows (an index range each), merged; then the full rows
    of the page only: building hundreds of historical model instances to keep fifty costs more
    than the queries.
    """
    models_by_label = tracked_models()
    labels = [filters.model] if filters.model in models_by_label else list(models_by_label)
    acting_users = None
    if filters.department_id:
        acting_users = list(
            get_user_model().objects.filter(department_id=filters.department_id).values_list("pk", flat=True)
        )
    per_table = {
        label: _filtered(history_model(models_by_label[label]), filters).filter(_keyset(label, cursor))
        for label in labels
    }
    one_query = len(labels) > 1 and connection.vendor == "postgresql"
    if one_query and acting_users is None:
        # Every table's newest keys in one UNION ALL: one round trip instead of one per table.
        newest = [
            qs.order_by("-history_date", "-history_id")
            .annotate(label=Value(label, output_field=CharField()))
            .values_list("history_date", "label", "history_id")[: limit + 1]
            for label, qs in per_table.items()
        ]
        merged = newest[0].union(*newest[1:], all=True).order_by("-history_date", "-label", "-history_id")
        keys = list(merged[: limit + 1])
    elif one_query:
        keys = _newest_keys_of_users(per_table, limit + 1, acting_users)
    else:
        keys = []
        for label, qs in per_table.items():
            keys.extend((when, label, history_id) for when, history_id in _newest_keys(qs, limit + 1, acting_users))
        keys.sort(reverse=True)
    more = len(keys) > limit
    wanted = defaultdict(list)
    for _when, label, history_id in keys[:limit]:
        wanted[label].append(history_id)
    page = []
    for label, ids in wanted.items():
        history = history_model(models_by_label[label])
        page.extend((label, row) for row in _with_previous_id(history, history.objects.filter(history_id__in=ids)))
    page.sort(key=lambda pair: (pair[1].history_date, pair[0], pair[1].history_id), reverse=True)
    changes = describe(page, models_by_label)
    return changes, (changes[-1].cursor if more and changes else None)


def object_history_page(
    model: type[models.Model], object_id, cursor: Cursor | None = None, limit: int | None = None
) -> tuple[list[Change], Cursor | None]:
    """Versions of one object, newest first, after `cursor`; creations list their initial values."""
    label = f"{model._meta.app_label}.{model._meta.model_name}"
    history = history_model(model)
    rows = _with_previous_id(history, history.objects.filter(id=object_id).filter(_keyset(label, cursor))).order_by(
        "-history_date", "-history_id"
    )
    if limit is not None:
        rows = rows[: limit + 1]
    rows = list(rows)
    more = limit is not None and len(rows) > limit
    changes = describe([(label, row) for row in rows[:limit]], {label: model}, initial=True)
    return changes, (changes[-1].cursor if more and changes else None)


def object_history(model: type[models.Model], object_id) -> list[Change]:
    """Every version of one object, newest first, with what changed in each."""
    return object_history_page(model, object_id)[0]


def _object_name(record) -> str:
    """The object's name as it was at this version, or "" for models without a name field."""
    for name in NAME_FIELDS:
        value = getattr(record, name, None)
        if value not in (None, ""):
            extra = getattr(record, "name", "") if name != "name" else ""
            return f"{value} {extra}".strip() if extra and extra != value else str(value)
    return ""


def _current_names(unnamed: dict, models_by_label: dict) -> dict:
    """(label, object id) -> str(object) for objects whose history holds no name (a claim, a trade)."""
    names = {}
    for label, ids in unnamed.items():
        model = models_by_label[label]
        for key, value in _names(model, ids).items():
            names[(label, key)] = value
    return names


def describe(page: list[tuple[str, object]], models_by_label: dict, *, initial: bool = False) -> list[Change]:
    """Turn historical rows into Changes with field diffs, in a constant number of queries.

    With `initial`, a creation lists the values the object was created with (as changes from
    nothing): the object history shows them, the timeline keeps creations to one line.
    """
    users = {
        u.pk: u
        for u in get_user_model()
        .objects.select_related("department")
        .filter(pk__in={row.history_user_id for _label, row in page if row.history_user_id})
    }
    # Only changes (and, with `initial`, creations) are diffed: no query for the other rows.
    diffed = [(label, row) for label, row in page if row.history_type == "~" or (initial and row.history_type == "+")]
    previous = _previous_versions(diffed, models_by_label)
    m2m_sets = _m2m_sets(diffed, previous, models_by_label)
    raw_changes = {}
    fk_wanted = defaultdict(set)
    for label, row in page:
        before = previous.get((label, row.previous_id))
        diffs = _field_diffs(models_by_label[label], row, before, m2m_sets.get(label, {}), initial=initial)
        raw_changes[(label, row.history_id)] = diffs
        for _name, related, old, new in diffs:
            if related is not None:
                for v in (old, new):
                    if isinstance(v, frozenset):
                        fk_wanted[related].update(v)
                    elif isinstance(v, int | str) and v != "":
                        fk_wanted[related].add(v)
    names = {related: _names(related, ids) for related, ids in fk_wanted.items()}
    unnamed = defaultdict(set)
    for label, row in page:
        if not _object_name(row):
            unnamed[label].add(row.id)
    current_names = _current_names(unnamed, models_by_label)
    result = []
    for label, row in page:
        model = models_by_label[label]
        changes = [
            FieldChange(name, _show(old, related, names), _show(new, related, names))
            for name, related, old, new in raw_changes[(label, row.history_id)]
        ]
        result.append(
            Change(
                label=label,
                model_name=str(model._meta.verbose_name),
                object_id=str(row.id),
                object_name=_object_name(row) or current_names.get((label, row.id)) or f"#{row.id}",
                history_id=row.history_id,
                when=row.history_date,
                change_type=row.history_type,
                user=users.get(row.history_user_id),
                reason=row.history_change_reason or "",
                changes=changes,
                user_id=row.history_user_id,
            )
        )
    return result


def _previous_versions(page, models_by_label) -> dict:
    wanted = defaultdict(set)
    for label, row in page:
        if row.previous_id:
            wanted[label].add(row.previous_id)
    found = {}
    for label, ids in wanted.items():
        for record in history_model(models_by_label[label]).objects.filter(history_id__in=ids):
            found[(label, record.history_id)] = record
    return found


def _m2m_fields(model) -> list:
    return list(getattr(history_model(model), "_history_m2m_fields", []))


def _m2m_sets(page, previous, models_by_label) -> dict:
    """label -> {(field name, history_id): frozenset of target ids} for the page and previous rows."""
    result: dict = defaultdict(dict)
    by_label = defaultdict(set)
    for label, row in page:
        by_label[label].add(row.history_id)
        if row.previous_id:
            by_label[label].add(row.previous_id)
    for label, history_ids in by_label.items():
        model = models_by_label[label]
        for m2m in _m2m_fields(model):
            through = _m2m_history_model(model, m2m)
            target_column = m2m.m2m_reverse_field_name()
            sets = defaultdict(set)
            for history_id, target in through.objects.filter(history_id__in=history_ids).values_list(
                "history_id", f"{target_column}_id"
            ):
                sets[history_id].add(target)
            for history_id in history_ids:
                result[label][(m2m.name, history_id)] = frozenset(sets.get(history_id, ()))
    return result


def _m2m_history_model(model, m2m):
    # simple-history hangs a manager of the m2m history model on the history model, by field name.
    return getattr(history_model(model), m2m.name).model


def _is_empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {} or value == frozenset()


def _field_diffs(model, row, before, m2m_sets, *, initial: bool = False) -> list[tuple]:
    """(verbose name, related model or None, old, new) for each field that differs from `before`.

    A creation (with `initial`) differs from nothing in every field it set.
    """
    if row.history_type == "~" and before is not None:
        created = False
    elif row.history_type == "+" and initial:
        created = True
    else:
        return []
    diffs = []
    for f in model._meta.concrete_fields:
        if f.name in UNDIFFED_FIELDS or f.primary_key:
            continue
        attname = f.attname
        new = getattr(row, attname, None)
        old = None if created else getattr(before, attname, None)
        if old != new and not (created and _is_empty(new)):
            related = f.related_model if f.is_relation else None
            diffs.append((str(f.verbose_name), related, _plain(f, old), _plain(f, new)))
    for m2m in _m2m_fields(model):
        old = frozenset() if created else m2m_sets.get((m2m.name, before.history_id), frozenset())
        new = m2m_sets.get((m2m.name, row.history_id), frozenset())
        if old != new:
            diffs.append((str(m2m.verbose_name), m2m.related_model, old, new))
    return diffs


def _plain(f, value):
    if value is None:
        return ""
    if f.choices and not f.is_relation:
        return str(dict(f.flatchoices).get(value, value))
    return value


def _names(related, ids) -> dict:
    """pk -> name of the related objects; objects deleted since are named from their history."""
    if not ids:
        return {}
    # Most __str__ methods name a foreign key too (a licence names its operator): join them in.
    joined = [f.name for f in related._meta.concrete_fields if f.many_to_one]
    found = {obj.pk: str(obj) for obj in related._default_manager.select_related(*joined).filter(pk__in=ids)}
    missing = set(ids) - found.keys()
    if missing and getattr(related._meta, "simple_history_manager_attribute", None):
        found.update(_deleted_names(related, missing))
    return found


def _deleted_names(model, ids) -> dict:
    history = history_model(model)
    latest = history.objects.filter(id__in=ids).values("id").annotate(last=Max("history_id")).values("last")
    return {
        record.id: gettext("%(name)s (deleted)") % {"name": _object_name(record) or f"#{record.id}"}
        for record in history.objects.filter(history_id__in=Subquery(latest))
    }


def _show(value, related, names) -> str:
    if related is None:
        return _text(value)
    lookup = names.get(related, {})
    if isinstance(value, frozenset):
        return ", ".join(sorted(lookup.get(v, f"#{v}") for v in value))
    if value in ("", None):
        return ""
    return lookup.get(value, f"#{value}")


def _text(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if timezone.is_aware(value) else str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)
