"""Page benchmark: server time and SQL queries of every page a person uses, against the stock stack.

Usage (against a database seeded by `manage.py seed_scale`; pages are only read):

    .venv/bin/python benchmarks/pages.py --database postgres://postgres@127.0.0.1:5432/govdata_scale \
        --markdown benchmarks/RESULTS.md

In one run it measures, through Django's test client in this process (no network, production-like
settings: DEBUG off, persistent connection), the median and p95 time of N requests per page and the
SQL queries of one more, untimed request:
- the floor: a bare view that reads `request.user` (benchmarks/urls.py; the product never serves it);
- a department liaison's portal pages, an officer's admin pages, an auditor's audit pages, the
  officer's dashboard and the liaison's API list endpoints (token authentication);
- the stock peers on the same data, as query time in this process: django-guardian's
  `get_objects_for_user(..., klass=<queryset>)` as `GuardedModelAdmin` evaluates it (changelist
  page and count; one object as the change form asks) and django-admin's stock `icontains` search;
  our own answers to the same questions are timed the same way beside them;
- the ledger: append rate with concurrent writer processes, then the verification rate of the
  whole ledger as `verify_ledger` runs it (the appended entries are real, valid entries; the run
  reports whether the chain is still intact).

It prints one Markdown table (and with --markdown writes it with the machine, the database sizes
and the exact command). A page that does not answer 200 is an error: the run continues, names it
and exits non-zero at the end. Everything the run picks (liaison, resource, search fragment, deep
cursor) is found by query, never hard-coded, and printed.

The run writes nothing lasting: the signed-in sessions and an API token it had to create are
deleted at the end; only the ledger part appends entries (to --ledger-database, by default the
same database).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import secrets
import shlex
import statistics
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Targets from issue 7, point 3 (milliseconds unless said otherwise).
PAGE_TARGET_MS = 50
FILTERED_TIMELINE_TARGET_MS = 100
DASHBOARD_TARGET_MS = 200
OWN_LIST_SPEEDUP = 20
APPEND_TARGET_RATE = 1_000
VERIFY_TARGET_RATE = 200_000

# How the stock admin pages a changelist (ModelAdmin.list_per_page) and what our admin would.
ADMIN_PAGE_SIZE = 100
# The search fragment should hit between 0.1% and 5% of the resources; ~1% is aimed for.
FRAGMENT_SHARE_RANGE = (0.001, 0.05)
FRAGMENT_SHARE_AIM = 0.01
FRAGMENT_SAMPLE = 5_000
# What a liaison types into the catalogue search (demo-data vocabulary, like the seeded names).
SEARCH_WORDS = (
    "社会保障",
    "出生",
    "死亡",
    "婚姻",
    "户籍",
    "学籍",
    "不动产",
    "抵押",
    "养老",
    "医疗保险",
    "公积金",
    "营业执照",
    "企业",
    "许可",
    "登记",
)
# How deep in the past the deep timeline page starts (issue 7: "a page 100,000 rows deep").
DEEP_ROWS = 100_000


def configure_django(database_url: str) -> None:
    """Production-like settings in this process: DEBUG off, the database given."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govdata.settings")
    os.environ["DJANGO_DEBUG"] = "false"
    # Settings refuse to run without a key when DEBUG is off; nothing is signed that outlives the run.
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    import gc

    import django

    django.setup()
    gc.freeze()  # as govdata/wsgi.py does once the application is loaded


# --- Measuring ------------------------------------------------------------------------------


@dataclass
class Timing:
    samples: list[float] = field(default_factory=list)  # seconds
    queries: int | None = None
    error: str = ""

    @property
    def median_ms(self) -> float | None:
        return statistics.median(self.samples) * 1000 if self.samples else None

    @property
    def p95_ms(self) -> float | None:
        if not self.samples:
            return None
        ordered = sorted(self.samples)
        # Nearest rank: the smallest sample at or above which 95% of the samples lie.
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)] * 1000


class BadResponse(Exception):
    pass


def fetch(client, url: str, headers: dict):
    # `secure` makes the request HTTPS, as production is: with DEBUG off the settings redirect HTTP.
    response = client.get(url, secure=True, **headers)
    if response.status_code != 200:
        raise BadResponse(f"{url} answered {response.status_code}")
    return response


def measure(call: Callable[[], object], *, repeat: int, warmup: int) -> Timing:
    """Warm up, count the queries of one untimed call, then time `repeat` calls."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timing = Timing()
    try:
        for _ in range(warmup):
            call()
        # A separate call: capturing keeps every SQL text, which the timed calls should not pay for.
        with CaptureQueriesContext(connection) as captured:
            call()
        timing.queries = len(captured.captured_queries)
        for _ in range(repeat):
            started = time.perf_counter()
            call()
            timing.samples.append(time.perf_counter() - started)
    except BadResponse as exc:
        timing.error = str(exc)
    except Exception as exc:  # a server error: report it with the rest, do not stop the run
        timing.error = f"{type(exc).__name__}: {exc}"
        traceback.print_exc(file=sys.stderr)
    return timing


# --- What the run measures, found by query --------------------------------------------------


class NotSeeded(Exception):
    pass


@dataclass
class Subjects:
    liaison: object
    department: object
    department_resources: int
    departments_counted: int
    officer: object
    auditor: object
    resource: object
    agreement: object | None
    fragment: str
    fragment_hits_all: int
    fragment_hits_catalogue: int
    resources_total: int
    resources_published: int
    deep_rows: int
    deep_cursor: str


def find_subjects(fragment: str | None) -> Subjects:
    from django.db.models import Count

    from catalog import selectors as catalog_selectors
    from catalog.choices import ResourceStatus
    from catalog.models import DataResource, User
    from govdata.roles import Role
    from sharing import selectors as sharing_selectors

    officer = User.objects.filter(username="officer", is_active=True).first()
    auditor = User.objects.filter(username="auditor", is_active=True).first()
    liaisons = User.objects.filter(is_active=True, groups__name=Role.LIAISON.value, department__isnull=False)
    per_department = list(
        DataResource.objects.filter(department_id__in=liaisons.values("department_id"))
        .values("department_id")
        .annotate(resources=Count("pk"))
        .order_by("resources", "department_id")
    )
    if officer is None or auditor is None or not per_department:
        raise NotSeeded(
            "The database holds no seeded catalogue (users 'officer' and 'auditor' and departments with a "
            "liaison and resources). Seed it first: `manage.py seed_scale` (or `manage.py seed_demo`)."
        )
    median = per_department[len(per_department) // 2]
    candidates = liaisons.filter(department_id=median["department_id"]).select_related("department")
    # seed_demo and seed_scale name each department's first liaison liaison_<code>; prefer that one.
    liaison = next(
        (u for u in candidates if u.username == f"liaison_{u.department.code.lower()}"),
        candidates.order_by("username").first(),
    )
    resource = (
        catalog_selectors.department_resources(liaison)
        .annotate(item_count=Count("items"))
        .filter(item_count__gt=0)
        .order_by("pk")
        .first()
    )
    if resource is None:
        raise NotSeeded(f"No resource with items in the department of {liaison.username}.")
    # The provider's side first: the one with a decision to take is the page a liaison opens most.
    shown = sharing_selectors.agreements_shown_to(liaison)
    agreement = shown.filter(provider_id=liaison.department_id).order_by("pk").first() or shown.order_by("pk").first()

    fragment = fragment or pick_fragment()
    catalogue_hits = catalog_selectors.catalogue_search(liaison, query=fragment).count()
    deep_rows, deep_cursor = deep_timeline_cursor()
    return Subjects(
        liaison=liaison,
        department=liaison.department,
        department_resources=median["resources"],
        departments_counted=len(per_department),
        officer=officer,
        auditor=auditor,
        resource=resource,
        agreement=agreement,
        fragment=fragment,
        fragment_hits_all=DataResource.objects.filter(name__icontains=fragment).count(),
        fragment_hits_catalogue=catalogue_hits,
        resources_total=DataResource.objects.count(),
        resources_published=DataResource.objects.filter(status=ResourceStatus.PUBLISHED).count(),
        deep_rows=deep_rows,
        deep_cursor=deep_cursor,
    )


def _is_cjk(text: str) -> bool:
    return all("\u4e00" <= ch <= "\u9fff" for ch in text)


def pick_fragment() -> str:
    """A Chinese fragment of resource names that ~1% of the resources contain.

    First the words people look for in a government catalogue (SEARCH_WORDS), the one whose share
    is closest to 1%; when none fits (other data), a two-character fragment counted on an evenly
    spread sample of names. Either way the share is confirmed on the whole table: a fragment outside
    0.1–5% would measure a nearly empty or a nearly full result, not a typical search.
    """
    from django.db.models import Count, F, Q

    from catalog.models import DataResource

    total = DataResource.objects.count()
    low, high = FRAGMENT_SHARE_RANGE

    def distance(count: int, out_of: int) -> float:
        return abs(math.log(count / out_of / FRAGMENT_SHARE_AIM)) if count else math.inf

    # One scan of the table for every word.
    counts = DataResource.objects.aggregate(
        **{f"w{i}": Count("pk", filter=Q(name__icontains=word)) for i, word in enumerate(SEARCH_WORDS)}
    )
    fitting = [
        (distance(counts[f"w{i}"], total), i, word)
        for i, word in enumerate(SEARCH_WORDS)
        if low <= counts[f"w{i}"] / total <= high
    ]
    if fitting:
        return min(fitting)[2]

    step = max(1, total // FRAGMENT_SAMPLE)
    sample = list(
        DataResource.objects.annotate(spread=F("pk") % step)
        .filter(spread=0)
        .order_by("pk")
        .values_list("name", flat=True)[:FRAGMENT_SAMPLE]
    )
    frequency = Counter()
    for name in sample:
        frequency.update({name[i : i + 2] for i in range(len(name) - 1) if _is_cjk(name[i : i + 2])})
    # The fragment itself breaks ties, so reruns pick the same.
    ranked = sorted(
        (distance(count, len(sample)), bigram)
        for bigram, count in frequency.items()
        if low <= count / len(sample) <= high
    )
    for _distance, bigram in ranked[:10]:
        if low <= DataResource.objects.filter(name__icontains=bigram).count() / total <= high:
            return bigram
    raise NotSeeded("No Chinese fragment of resource names hits 0.1–5% of the resources; pass --fragment.")


def deep_timeline_cursor() -> tuple[int, str]:
    """The timeline cursor after the DEEP_ROWS-th newest change, computed from the history tables.

    The timeline's order is (history_date, model label, history_id), newest first (govdata/timeline.py
    `Cursor`); the cursor names the last row of the page before, so the page starts one row deeper.
    """
    from django.db import connection

    from govdata.timeline import Cursor, history_model, tracked_models

    parts, params = [], []
    for label, model in tracked_models().items():
        table = connection.ops.quote_name(history_model(model)._meta.db_table)
        parts.append(f"SELECT history_date, %s AS label, history_id FROM {table}")
        params.append(label)
    union = " UNION ALL ".join(parts)
    ordered = f"SELECT history_date, label, history_id FROM ({union}) AS changes "
    ordered += 'ORDER BY history_date DESC, label COLLATE "C" DESC, history_id DESC OFFSET %s LIMIT 1'
    depth = DEEP_ROWS
    with connection.cursor() as cursor:
        cursor.execute(ordered, [*params, depth - 1])
        row = cursor.fetchone()
        if row is None:
            # A small database: as deep as it goes with a full page still after it.
            cursor.execute(f"SELECT count(*) FROM ({union}) AS changes", params)
            depth = max(1, cursor.fetchone()[0] - 50)
            cursor.execute(ordered, [*params, depth - 1])
            row = cursor.fetchone()
    if row is None:
        raise NotSeeded("The history tables are empty: there is no timeline to page through.")
    when, label, history_id = row
    return depth, Cursor(when, label, history_id).encode()


# --- Rows of the table ----------------------------------------------------------------------


@dataclass
class Row:
    what: str
    timing: Timing | None = None
    stock: Timing | None = None
    page: bool = True  # a page (has a ratio to the floor) rather than a query or a rate
    target: str = ""
    check: Callable[[Row], bool] | None = None
    median_text: str = ""  # rates print their own figures
    p95_text: str = ""
    met_override: bool | None = None

    @property
    def error(self) -> str:
        return (self.timing.error if self.timing else "") or (self.stock.error if self.stock else "")

    def speedup(self) -> float | None:
        if self.timing and self.stock and self.timing.median_ms and self.stock.median_ms:
            return self.stock.median_ms / self.timing.median_ms
        return None

    def met(self) -> bool | None:
        if self.met_override is not None:
            return self.met_override
        if self.check is None:
            return None
        if self.error or not self.timing or self.timing.median_ms is None:
            return False
        return self.check(self)


def at_most(ms: float) -> Callable[[Row], bool]:
    return lambda row: row.timing.median_ms <= ms


def faster(speedup: float) -> Callable[[Row], bool]:
    return lambda row: (row.speedup() or 0) >= speedup


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}" if value < 100 else f"{value:,.0f}"


def _ratio(speedup: float | None) -> str:
    if speedup is None:
        return "—"
    if speedup >= 1:
        return f"{speedup:.1f}× faster" if speedup < 10 else f"{speedup:,.0f}× faster"
    return f"{1 / speedup:.1f}× slower"


def render_table(rows: list[Row], floor_ms: float | None) -> str:
    header = (
        "| what | median ms | p95 ms | queries | × floor | stock peer median ms | ours vs stock | target | met? |\n"
        "|---|---:|---:|---:|---:|---:|---|---|---|"
    )
    lines = [header]
    for row in rows:
        t = row.timing
        if row.error:
            median, p95 = f"ERROR: {row.error}", "—"
        else:
            median = row.median_text or _ms(t.median_ms if t else None)
            p95 = row.p95_text or _ms(t.p95_ms if t else None)
        queries = str(t.queries) if t and t.queries is not None else "—"
        times_floor = (
            f"{t.median_ms / floor_ms:.1f}×" if row.page and t and t.median_ms and floor_ms and not row.error else "—"
        )
        stock = _ms(row.stock.median_ms) if row.stock else "—"
        met = row.met()
        met_text = "—" if met is None else ("yes" if met else "**no**")
        cells = [row.what, median, p95, queries, times_floor, stock, _ratio(row.speedup()), row.target or "—"]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in [*cells, met_text]) + " |")
    return "\n".join(lines)


# --- The pages ------------------------------------------------------------------------------


@dataclass
class Page:
    key: str
    what: str
    user: str  # which signed-in client asks: liaison, officer, auditor or api (liaison with a token)
    url: str
    target_ms: float | None = None
    # The stock peer's query shown beside the page, for scale: the speed-up target is judged on
    # the "query:" rows, which compare the same question answered both ways.
    stock: str | None = None


def pages(s: Subjects) -> list[Page]:
    from django.urls import reverse

    resource = s.resource
    timeline = reverse("audit:timeline")
    changelist = reverse("admin:catalog_dataresource_changelist")
    dcat = reverse("api:dcat")
    found = [
        Page("floor", "floor: bare view reading `request.user` (liaison)", "liaison", "/__floor__/"),
        Page(
            "portal.dashboard",
            "portal dashboard with inbox (liaison)",
            "liaison",
            reverse("portal:dashboard"),
            PAGE_TARGET_MS,
        ),
        Page(
            "portal.resources",
            f"own-resource list, page 1 (liaison, {s.department_resources:,} resources); "
            "stock: guardian changelist query (generic tables)",
            "liaison",
            reverse("portal:resource_list"),
            PAGE_TARGET_MS,
            stock="guardian.list",
        ),
        Page(
            "portal.catalogue_search",
            f"catalogue search “{s.fragment}” ({s.fragment_hits_catalogue:,} hits of {s.resources_published:,} "
            "published; liaison); stock: admin icontains search query",
            "liaison",
            reverse("portal:catalogue_list") + "?" + urlencode({"q": s.fragment}),
            PAGE_TARGET_MS,
            stock="admin.search",
        ),
        Page(
            "portal.resource_detail",
            f"resource detail, {resource.item_count} items (liaison); "
            "stock: guardian one-object check (generic tables)",
            "liaison",
            reverse("portal:resource_detail", args=[resource.pk]),
            PAGE_TARGET_MS,
            stock="guardian.object",
        ),
        Page(
            "portal.inbox",
            "inbox: requests received, agreement list `?side=received` (liaison)",
            "liaison",
            reverse("portal:agreement_list") + "?side=received",
            PAGE_TARGET_MS,
        ),
    ]
    if s.agreement is not None:
        found.append(
            Page(
                "portal.agreement_detail",
                "agreement detail (liaison)",
                "liaison",
                reverse("portal:agreement_detail", args=[s.agreement.pk]),
                PAGE_TARGET_MS,
            )
        )
    return found + [
        Page("admin.changelist", "admin changelist of resources (officer)", "officer", changelist),
        Page(
            "admin.change_form",
            "admin change form of the resource (officer); stock: guardian one-object check (liaison, generic tables)",
            "officer",
            reverse("admin:catalog_dataresource_change", args=[resource.pk]),
            stock="guardian.object",
        ),
        Page(
            "admin.search",
            f"admin search “{s.fragment}” (officer); stock: admin icontains search query",
            "officer",
            changelist + "?" + urlencode({"q": s.fragment}),
            stock="admin.search",
        ),
        Page("audit.timeline", "audit timeline, newest page (auditor)", "auditor", timeline, PAGE_TARGET_MS),
        Page(
            "audit.timeline_user",
            f"audit timeline filtered by user {s.liaison.username} (auditor)",
            "auditor",
            timeline + "?" + urlencode({"user": s.liaison.username}),
            FILTERED_TIMELINE_TARGET_MS,
        ),
        Page(
            "audit.timeline_department",
            f"audit timeline filtered by department {s.department.code} (auditor)",
            "auditor",
            timeline + "?" + urlencode({"department": s.department.pk}),
            FILTERED_TIMELINE_TARGET_MS,
        ),
        Page(
            "audit.timeline_deep",
            f"audit timeline, page {s.deep_rows:,} changes deep (auditor, keyset cursor)",
            "auditor",
            timeline + "?" + urlencode({"cursor": s.deep_cursor}),
            FILTERED_TIMELINE_TARGET_MS,
        ),
        Page(
            "audit.object_history",
            "object history of the resource (auditor)",
            "auditor",
            reverse("audit:object_history", args=[resource._meta.label_lower, resource.pk]),
            PAGE_TARGET_MS,
        ),
        Page("audit.ledger", "ledger page (auditor)", "auditor", reverse("audit:ledger"), PAGE_TARGET_MS),
        Page("dashboard", "governance dashboard (officer)", "officer", reverse("dashboard:index"), DASHBOARD_TARGET_MS),
        Page("api.agreements", "API `/api/agreements/` (liaison, token)", "api", "/api/agreements/", PAGE_TARGET_MS),
        Page("api.usage", "API `/api/usage/` (liaison, token)", "api", "/api/usage/", PAGE_TARGET_MS),
        Page(
            "api.dcat",
            "API `/api/dcat/`, public catalogue as DCAT JSON-LD, first page",
            "liaison",
            dcat,
            PAGE_TARGET_MS,
        ),
        Page(
            "api.dcat_ttl",
            "API `/api/dcat/?format=ttl`, the same as Turtle",
            "liaison",
            dcat + "?format=ttl",
            PAGE_TARGET_MS,
        ),
    ]


def measure_pages(s: Subjects, clients: dict, headers: dict, args, stock: dict[str, Timing]) -> list[Row]:
    rows = []
    for page in pages(s):
        if not selected(page.key, args.only):
            continue
        client, extra = clients[page.user], headers.get(page.user, {})
        print(f"  {page.key}: {page.url}", file=sys.stderr)
        timing = measure(lambda c=client, u=page.url, h=extra: fetch(c, u, h), repeat=args.repeat, warmup=args.warmup)
        target, check = "", None
        if page.target_ms is not None:
            target, check = f"≤ {page.target_ms:g} ms", at_most(page.target_ms)
        rows.append(Row(page.what, timing, stock.get(page.stock) if page.stock else None, target=target, check=check))
    return rows


def selected(key: str, only: list[str]) -> bool:
    return key == "floor" or not only or any(part in key for part in only)


# --- The stock peers and our answers to the same questions, as query time ---------------------


@contextmanager
def stock_guardian_tables(model) -> Iterator[None]:
    """For the block, `model`'s object permissions where a stock guardian installation keeps them.

    A stock installation keeps every grant in guardian's generic tables (content type and the
    object's key as text); the product keeps them in direct foreign-key tables, the tuning guardian's
    documentation recommends. Inside one transaction that is rolled back afterwards, the model's
    grants are copied into the generic tables and the direct tables are switched off through their
    `enabled` attribute, which guardian reads when it picks a table, so guardian's own code answers
    from the generic tables. Nothing of it remains after the block.
    """
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from guardian.models import GroupObjectPermission, UserObjectPermission
    from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

    content_type = ContentType.objects.get_for_model(model)
    tables = [
        (get_group_obj_perms_model(model), GroupObjectPermission, "group_id"),
        (get_user_obj_perms_model(model), UserObjectPermission, "user_id"),
    ]
    with transaction.atomic():
        with connection.cursor() as cursor:
            for direct, generic, holder in tables:
                target, source = generic._meta.db_table, direct._meta.db_table
                cursor.execute(
                    f"INSERT INTO {target} (object_pk, content_type_id, {holder}, permission_id) "
                    f"SELECT content_object_id::text, %s, {holder}, permission_id FROM {source}",
                    [content_type.pk],
                )
                # Fresh statistics, as a long-running installation would have them.
                cursor.execute(f"ANALYZE {target}")
        for direct, _generic, _holder in tables:
            direct.enabled = False
        try:
            yield
        finally:
            for direct, _generic, _holder in tables:
                del direct.enabled
            transaction.set_rollback(True)


def measure_queries(s: Subjects, args, wanted_stock: set[str]) -> tuple[dict[str, Timing], list[Row]]:
    """Time the stock peers' queries and ours for the same questions, the same way.

    Stock guardian: `get_objects_for_user(liaison, "catalog.change_dataresource", klass=<queryset>)`
    with `accept_global_perms=False`, as `GuardedModelAdmin.get_queryset` calls it (a liaison holds
    the model permission, so the default `True` would return every resource unfiltered). Evaluated as
    the changelist does: the first 100 rows in the admin's order, then `.count()`; and for one
    object as the change form asks: `.filter(pk=...).exists()`. It runs twice:
    - on the stock stack: the same grants where a stock guardian installation keeps them, its
      generic tables (see `stock_guardian_tables`); the issue's ~2,000 ms changelist is this path;
    - on our direct foreign-key tables, where the product keeps them (guardian's own tuning).
    Stock search: django-admin's `icontains` OR over the search fields, first 100 rows + count.
    """
    from django.db.models import Q
    from guardian.shortcuts import get_objects_for_user

    from catalog import selectors as catalog_selectors
    from catalog.models import DataResource
    from govdata.permissions import can, restrict

    liaison, resource, fragment = s.liaison, s.resource, s.fragment
    perm = "catalog.change_dataresource"

    def guardian_queryset():
        return get_objects_for_user(
            liaison, perm, klass=DataResource.objects.all(), any_perm=True, accept_global_perms=False
        )

    def first_page_and_count(qs):
        page = list(qs[:ADMIN_PAGE_SIZE])
        return page, qs.count()

    def stock_list():
        return first_page_and_count(guardian_queryset().select_related("department").order_by("catalogue_code"))

    def our_list():
        qs = restrict(DataResource.objects.all(), liaison, "change")
        return first_page_and_count(qs.select_related("department").order_by("catalogue_code"))

    def stock_object():
        return guardian_queryset().filter(pk=resource.pk).exists()

    def our_object():
        return can(liaison, "change", resource)

    def stock_search():
        # ModelAdmin.get_search_results with search_fields = (name, catalogue_code, department__name).
        fields = ("name", "catalogue_code", "department__name")
        condition = Q()
        for name in fields:
            condition |= Q(**{f"{name}__icontains": fragment})
        qs = DataResource.objects.filter(condition).select_related("department").order_by("catalogue_code")
        return first_page_and_count(qs)

    def our_search():
        return first_page_and_count(catalog_selectors.catalogue_search(liaison, query=fragment))

    def run(key, call, repeat, warmup, *, stock=False):
        if not (selected(key, args.only) or (stock and key in wanted_stock)):
            return None
        print(f"  {key}", file=sys.stderr)
        return measure(call, repeat=repeat, warmup=warmup)

    stock_repeat, stock_warmup = args.stock_repeat, 1
    ours = {
        "guardian.list": run("guardian.list", our_list, args.repeat, args.warmup),
        "guardian.object": run("guardian.object", our_object, args.repeat, args.warmup),
        "admin.search": run("admin.search", our_search, args.repeat, args.warmup),
    }
    stock, direct = {}, {}
    for key, call in (("guardian.list", stock_list), ("guardian.object", stock_object)):
        direct[key] = run(key, call, stock_repeat, stock_warmup, stock=True)
    if any(direct.values()):
        with stock_guardian_tables(DataResource):
            for key, call in (("guardian.list", stock_list), ("guardian.object", stock_object)):
                stock[key] = run(key, call, stock_repeat, stock_warmup, stock=True)
            # Our side reads the direct tables, so it answers after the block.
            stock_answers = (stock_list()[1], stock_object())
        # The comparison is only fair if both sides answer the same question the same way.
        if stock_answers != (our_list()[1], our_object()):
            print(f"warning: stock guardian answers {stock_answers}, govdata.permissions otherwise", file=sys.stderr)
    stock["admin.search"] = run("admin.search", stock_search, stock_repeat, stock_warmup, stock=True)

    list_question = (
        f"query: resources the liaison may change, first {ADMIN_PAGE_SIZE} + count — ours "
        "`permissions.restrict`, stock `get_objects_for_user(klass=qs)`"
    )
    object_question = (
        "query: may the liaison change this resource — ours `permissions.can`, stock "
        "`get_objects_for_user(klass=qs).filter(pk=…).exists()`"
    )
    on_direct_tables = "; stock on our direct foreign-key tables"
    on_stock_stack = "; stock on guardian's generic tables (a stock installation)"
    labels = [
        (
            "guardian.list",
            stock,
            list_question + on_stock_stack,
            f"≥ {OWN_LIST_SPEEDUP}× stock",
            faster(OWN_LIST_SPEEDUP),
        ),
        ("guardian.list", direct, list_question + on_direct_tables, "", None),
        ("guardian.object", stock, object_question + on_stock_stack, "", None),
        ("guardian.object", direct, object_question + on_direct_tables, "", None),
        (
            "admin.search",
            stock,
            f"query: search “{s.fragment}”, first {ADMIN_PAGE_SIZE} + count — ours `catalogue_search` "
            f"({s.fragment_hits_catalogue:,} hits), stock admin `icontains` OR over name, code, department "
            f"({s.fragment_hits_all:,} name hits of {s.resources_total:,})",
            "",
            None,
        ),
    ]
    rows = []
    for key, peers, what, target, check in labels:
        if ours[key] is None:
            continue
        rows.append(Row(what=what, timing=ours[key], stock=peers.get(key), page=False, target=target, check=check))
    return {k: v for k, v in stock.items() if v is not None}, rows


# --- The ledger -----------------------------------------------------------------------------


def measure_ledger(args) -> list[Row]:
    from django.db import connections

    # Helper H3's ledger benchmark: its writers and verifier run in fresh processes for the URL given.
    from benchmarks.ledger import measure_append, measure_verify

    database_url = args.ledger_database or args.database
    # The writers open their own connections; ours would only sit idle meanwhile.
    connections.close_all()
    rows = []
    if selected("ledger.append", args.only):
        print(f"  ledger.append: {args.ledger_entries:,} entries, {args.writers} writer processes", file=sys.stderr)
        what = f"ledger append, {args.writers} writer processes, {args.ledger_entries:,} entries"
        try:
            a = measure_append(database_url, args.ledger_entries, args.writers)
        except Exception as exc:  # a writer failed: report it with the rest
            rows.append(Row(what, Timing(error=f"{type(exc).__name__}: {exc}"), page=False))
        else:
            intact = bool(a["intact"])
            rows.append(
                Row(
                    what=f"{what}: **{a['rate']:,.0f} entries/s**, chain {'intact' if intact else 'BROKEN'} "
                    "(per append: median, p95)",
                    median_text=_ms(a["median_ms"]),
                    p95_text=_ms(a["p95_ms"]),
                    page=False,
                    target=f"≥ {APPEND_TARGET_RATE:,}/s, intact",
                    met_override=a["rate"] >= APPEND_TARGET_RATE and intact,
                )
            )
    if selected("ledger.verify", args.only):
        print("  ledger.verify", file=sys.stderr)
        what = "ledger verify as `verify_ledger` (chain + checkpoints)"
        try:
            v = measure_verify(database_url)
        except Exception as exc:
            rows.append(Row(what, Timing(error=f"{type(exc).__name__}: {exc}"), page=False))
        else:
            outcome = "ok" if v["ok"] else f"FAILED: {v.get('problem', '')}"
            rows.append(
                Row(
                    what=f"{what}, {v['entries']:,} entries: **{v['rate']:,.0f} entries/s** (chain "
                    f"{v['chain_rate']:,.0f}/s, checkpoints {v['checkpoint_rate']:,.0f}/s), {outcome}; "
                    f"machine speed at that moment: {v['machine_sha256_per_s']:,.0f} SHA-256/s",
                    page=False,
                    target=f"≥ {VERIFY_TARGET_RATE:,}/s",
                    met_override=v["rate"] >= VERIFY_TARGET_RATE and bool(v["ok"]),
                )
            )
    return rows


# --- The report -----------------------------------------------------------------------------


def database_facts() -> tuple[str, list[tuple[str, int]], str]:
    """PostgreSQL version, row counts of the main tables, database size."""
    from django.db import connection
    from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

    from catalog.models import DataItem, DataResource, Department, Duty, InformationSystem, User
    from govdata.timeline import history_model, tracked_models
    from sharing.models import LedgerCheckpoint, LedgerEntry, ShareAgreement, UsageRecord

    counts = [
        ("departments", Department.objects.count()),
        ("users", User.objects.count()),
        ("information systems", InformationSystem.objects.count()),
        ("duties", Duty.objects.count()),
        ("data resources", DataResource.objects.count()),
        ("data items", DataItem.objects.count()),
        ("share agreements", ShareAgreement.objects.count()),
        ("usage records", UsageRecord.objects.count()),
        ("ledger entries", LedgerEntry.objects.count()),
        ("ledger checkpoints", LedgerCheckpoint.objects.count()),
    ]
    history_rows = grants = 0
    for model in tracked_models().values():
        history_rows += history_model(model).objects.count()
        for perm_model in (get_user_obj_perms_model(model), get_group_obj_perms_model(model)):
            if not perm_model.objects.is_generic():
                grants += perm_model.objects.count()
    counts += [("history rows (all tracked models)", history_rows), ("object-permission grants", grants)]
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cursor.fetchone()[0]
    return version, counts, size


def machine() -> str:
    cpu = ""
    meminfo = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            key, value = line.split(":", 1)
            meminfo[key] = value.strip()
    except OSError:
        pass
    ram = ""
    if "MemTotal" in meminfo:
        ram = f"{int(meminfo['MemTotal'].split()[0]) / 1024 / 1024:.1f} GiB RAM"
    parts = [f"{os.cpu_count()} CPUs (nproc)", cpu, ram, f"{platform.system()} {platform.release()}"]
    return ", ".join(p for p in parts if p) + f"; Python {platform.python_version()}"


def command_line(args) -> str:
    prefix = "" if args.database_from_argument else f"DATABASE_URL={shlex.quote(args.database)} "
    return f"{prefix}.venv/bin/python {shlex.join(sys.argv)}"


def subjects_text(s: Subjects) -> list[str]:
    return [
        f"liaison `{s.liaison.username}` of {s.department.code} {s.department.name} — the median department "
        f"by resources ({s.department_resources:,} resources; {s.departments_counted} departments with a liaison)",
        f"resource #{s.resource.pk} {s.resource.catalogue_code} ({s.resource.item_count} items)",
        f"agreement #{s.agreement.pk} {s.agreement.number}"
        if s.agreement
        else "agreement: none visible to the liaison",
        f"search fragment “{s.fragment}”: {s.fragment_hits_all:,} of {s.resources_total:,} resource names "
        f"({s.fragment_hits_all / s.resources_total:.2%}); catalogue search hits {s.fragment_hits_catalogue:,} "
        f"of {s.resources_published:,} published",
        f"deep timeline page: after the {s.deep_rows:,}th newest change",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help="postgres:// URL of a seeded database (default: $DATABASE_URL)")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per page (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per page first (default 3)")
    parser.add_argument(
        "--stock-repeat", type=int, default=10, help="timed runs of each stock peer query, the slow side (default 10)"
    )
    parser.add_argument("--fragment", help="Chinese search fragment (default: picked to hit ~1%% of the resources)")
    parser.add_argument("--ledger-entries", type=int, default=4_000, help="entries to append (default 4,000)")
    parser.add_argument("--writers", type=int, default=4, help="concurrent writer processes (default 4)")
    parser.add_argument("--ledger-database", help="database for the ledger part (default: --database)")
    parser.add_argument("--skip-ledger", action="store_true", help="leave out the ledger append and verify")
    parser.add_argument(
        "--only", action="append", default=[], metavar="KEY", help="only rows whose key contains KEY (repeatable)"
    )
    parser.add_argument("--markdown", metavar="PATH", help="also write the table with its header to PATH")
    args = parser.parse_args()
    args.database_from_argument = bool(args.database)
    args.database = args.database or os.environ.get("DATABASE_URL", "")
    if urlparse(args.database).scheme not in ("postgres", "postgresql", "pgsql"):
        parser.error("give a PostgreSQL database: --database postgres://… (or set DATABASE_URL)")
    if args.repeat < 1 or args.stock_repeat < 1 or args.warmup < 0:
        parser.error("--repeat and --stock-repeat must be at least 1, --warmup at least 0")

    configure_django(args.database)
    from django.contrib.auth import user_logged_in
    from django.test import Client
    from django.test.utils import override_settings
    from rest_framework.authtoken.models import Token

    # Signing in must not write to the user row: the pages are what is measured, not the login.
    user_logged_in.disconnect(dispatch_uid="update_last_login")
    user_logged_in.disconnect(dispatch_uid="govdata_update_last_login")
    override_settings(ROOT_URLCONF="benchmarks.urls").enable()

    started_at = datetime.now().astimezone()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    # Sizes before the ledger part appends to it.
    facts = database_facts() if args.markdown else None
    print("finding what to measure…", file=sys.stderr)
    try:
        s = find_subjects(args.fragment)
    except NotSeeded as exc:
        sys.exit(f"error: {exc}")
    for line in subjects_text(s):
        print(f"  {line}", file=sys.stderr)

    signed_in = {"liaison": s.liaison, "officer": s.officer, "auditor": s.auditor}
    clients = {name: Client() for name in [*signed_in, "api"]}
    token, token_created = None, False
    try:
        for name, user in signed_in.items():
            clients[name].force_login(user)
        token, token_created = Token.objects.get_or_create(user=s.liaison)
        headers = {"api": {"HTTP_AUTHORIZATION": f"Token {token.key}", "HTTP_ACCEPT": "application/json"}}
        print("stock peers and our queries…", file=sys.stderr)
        wanted_stock = {p.stock for p in pages(s) if p.stock and selected(p.key, args.only)}
        stock, query_rows = measure_queries(s, args, wanted_stock)
        print("pages…", file=sys.stderr)
        page_rows = measure_pages(s, clients, headers, args, stock)
    finally:
        for name in signed_in:
            clients[name].logout()  # deletes the session row
        if token_created:
            token.delete()
    ledger_rows = [] if args.skip_ledger else measure_ledger(args)

    floor = page_rows[0].timing.median_ms if page_rows and not page_rows[0].error else None
    table = render_table(page_rows + query_rows + ledger_rows, floor)
    print()
    print(table)
    errors = [row for row in page_rows + query_rows + ledger_rows if row.error]
    for row in errors:
        print(f"error: {row.what}: {row.error}", file=sys.stderr)

    if args.markdown:
        version, counts, size = facts
        ledger_line = []
        if args.ledger_database and args.ledger_database != args.database:
            name = urlparse(args.ledger_database).path.lstrip("/")
            ledger_line = [f"- the ledger rows ran on database `{name}`, the pages on the one above"]
        legend = (
            "Pages: server time of a request through Django's test client in one process (DEBUG off, "
            "HTTPS, persistent connection), median and p95 of "
            f"{args.repeat} requests after {args.warmup} warm-up requests; queries counted on one more, "
            "untimed request. × floor: the page's median over the floor's. Stock peers and “query:” rows: "
            f"the query time alone, in the same process ({args.stock_repeat} runs for stock peers, "
            f"{args.repeat} for ours); a page row compares the whole page against the stock query only."
        )
        header = [
            "# Benchmark results",
            "",
            f"- date: {started_at:%Y-%m-%d %H:%M %z}",
            f"- machine: {machine()}",
            f"- PostgreSQL {version}; database `{urlparse(args.database).path.lstrip('/')}` ({size})",
            "- rows: " + ", ".join(f"{name} {n:,}" for name, n in counts),
            f"- command: `{command_line(args)}`",
            f"- load average when the run started (other work on the machine): {load}",
            *ledger_line,
            *[f"- {line}" for line in subjects_text(s)],
            "",
            legend,
            "",
        ]
        Path(args.markdown).write_text("\n".join(header) + "\n" + table + "\n", encoding="utf-8")
        print(f"\nwritten to {args.markdown}", file=sys.stderr)
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
