from django.core.management.base import BaseCommand

from sharing import checkpoints


class Command(BaseCommand):
    help = "Sign a checkpoint (Merkle tree head) over all ledger entries so far. Safe to run from cron."

    def add_arguments(self, parser):
        parser.add_argument("--create-key", action="store_true", help="Create the signing key file if missing.")

    def handle(self, *args, create_key=False, **options):
        checkpoints.load_signing_key(create=create_key)
        checkpoint = checkpoints.checkpoint_create()
        if checkpoint is None:
            self.stdout.write("Nothing new to sign.")
        else:
            self.stdout.write(f"Signed checkpoint over {checkpoint.tree_size} entries: {checkpoint.root_hash}")
