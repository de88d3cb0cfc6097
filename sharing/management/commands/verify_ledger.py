import time

from django.core.management.base import BaseCommand, CommandError

from sharing import checkpoints, ledger


class Command(BaseCommand):
    help = "Recompute the ledger's hash chain and every signed checkpoint; exit 1 at the first break."

    def handle(self, *args, **options):
        started = time.perf_counter()
        result = ledger.verify(progress=lambda n: self.stderr.write(f"  {n:,} entries checked…"))
        if not result.ok:
            raise CommandError(f"Ledger broken at entry {result.first_broken_seq}: {result.problem}.")
        problem = checkpoints.verify_checkpoints()
        if problem:
            raise CommandError(f"Checkpoint over the first {problem.tree_size} entries fails: {problem.problem}.")
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Ledger intact: {result.checked:,} entries and their checkpoints verified in {elapsed:.2f} s."
            )
        )
