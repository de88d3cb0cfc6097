import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sharing import checkpoints

# A command runs alone in its process, so it may fork: a second process checks the second half of
# a long ledger meanwhile (ledger.verify). On the benchmark machine's two cores that took some 30%
# off the time for 100,000 entries.
PROCESSES = 2


class Command(BaseCommand):
    help = _("Recompute the ledger's hash chain and every signed checkpoint; exit 1 at the first break.")

    def handle(self, *args, **options):
        started = time.perf_counter()
        result, problem = checkpoints.verify_ledger(
            progress=lambda n: self.stderr.write(_("  %(count)s entries checked…") % {"count": f"{n:,}"}),
            processes=PROCESSES,
        )
        if not result.ok:
            raise CommandError(
                _("Ledger broken at entry %(seq)s: %(problem)s.")
                % {"seq": result.first_broken_seq, "problem": result.problem}
            )
        if problem:
            raise CommandError(
                _("Checkpoint over the first %(size)s entries fails: %(problem)s.")
                % {"size": problem.tree_size, "problem": _(problem.problem)}
            )
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                _("Ledger intact: %(count)s entries and their checkpoints verified in %(seconds).2f s.")
                % {"count": f"{result.checked:,}", "seconds": elapsed}
            )
        )
