from contextlib import contextmanager
from dataclasses import replace

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from catalog.management.commands.seed_demo import format_table
from govdata.scale import ScaleError, Sizes, seed

DEFAULTS = Sizes()
# Option name -> the Sizes field it sets.
SIZE_OPTIONS = {
    "departments": "departments",
    "users": "users",
    "systems": "systems",
    "duties": "duties",
    "resources": "resources",
    "items_per_resource": "items_per_resource",
    "agreements": "agreements",
    "usage_records": "usage_records",
    "ledger_entries": "ledger_entries",
}


def positive(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise ValueError(value)
    return number


def count(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Fill a freshly migrated, empty PostgreSQL database with a province's worth of data (by default "
        f"{DEFAULTS.departments} departments, {DEFAULTS.users:,} users, {DEFAULTS.resources:,} resources with "
        f"{DEFAULTS.items_per_resource} items each, {DEFAULTS.duties:,} duties, {DEFAULTS.agreements:,} agreements, "
        f"{DEFAULTS.usage_records:,} usage records, {DEFAULTS.ledger_entries:,} ledger entries), with history, "
        "object permissions and a signed ledger, for benchmarks. Refuses a database that already holds data."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=positive,
            default=1.0,
            help="Multiply every default size by this factor (0.01 makes a small copy for tests and profiling).",
        )
        for option, field in SIZE_OPTIONS.items():
            parser.add_argument(
                f"--{option.replace('_', '-')}",
                type=count,
                default=None,
                help=f"Number of {field.replace('_', ' ')} (default {getattr(DEFAULTS, field):,} times --scale).",
            )
        parser.add_argument(
            "--seed", type=int, default=1, help="Seed of the random generator (default 1): same seed, same data."
        )
        parser.add_argument(
            "--password",
            default=settings.DEMO_PASSWORD,
            help="Password of every seeded user (default: the DEMO_PASSWORD setting, “govdata-demo-2026” unless set).",
        )

    def handle(self, *args, password: str, **options):
        explicit = {field: options[option] for option, field in SIZE_OPTIONS.items() if options[option] is not None}
        # Sizes given explicitly win over the scaled defaults.
        sizes = replace(DEFAULTS.scaled(options["scale"]), **explicit)
        try:
            report = seed(sizes, seed=options["seed"], password=password, progress=self._progress)
        except ScaleError as exc:
            raise CommandError(str(exc)) from exc
        self._summary(report, password)

    @contextmanager
    def _progress(self, description, total):
        # tqdm redraws its line with carriage returns; Django's OutputWrapper would add a newline to
        # every write, so the bar goes to the wrapped stream itself.
        stream = getattr(self.stderr, "_out", self.stderr)
        with tqdm(total=total, desc=description, unit=" rows", unit_scale=True, file=stream, mininterval=0.5) as bar:
            yield bar

    def _summary(self, report, password):
        self.stdout.write("")
        self.stdout.write(_("Rows per table:"))
        rows = [[label, f"{n:,}"] for label, n in report.counts]
        for line in format_table([_("table"), _("rows")], rows):
            self.stdout.write("  " + line)
        self.stdout.write(
            _("Ledger checkpoints signed: %(n)d. Governance snapshot computed in %(ms)d ms.")
            % {"n": report.checkpoints, "ms": report.snapshot_ms}
        )
        self.stdout.write(self.style.SUCCESS(_("Seeded in %(seconds).1f s.") % {"seconds": report.seconds}))
        self.stdout.write("")
        self.stdout.write(_("Sign in with (every seeded user has the same password):"))
        logins = [[username, role, department, f"{owned:,}"] for username, role, department, owned in report.logins]
        header = [_("username"), _("role"), _("department"), _("resources of the department")]
        for line in format_table(header, logins):
            self.stdout.write("  " + line)
        self.stdout.write(
            _("Other liaisons are liaison_<department code in lower case>, e.g. liaison_jz-ga; password: %(password)s")
            % {"password": password}
        )
