from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from sharing import checkpoints


class Command(BaseCommand):
    help = _("Sign a checkpoint (Merkle tree head) over all ledger entries so far. Safe to run from cron.")

    def add_arguments(self, parser):
        parser.add_argument("--create-key", action="store_true", help=_("Create the signing key file if missing."))

    def handle(self, *args, create_key=False, **options):
        checkpoints.load_signing_key(create=create_key)
        checkpoint = checkpoints.checkpoint_create()
        if checkpoint is None:
            self.stdout.write(_("Nothing new to sign."))
        else:
            self.stdout.write(
                _("Signed checkpoint over %(size)s entries: %(root)s")
                % {"size": checkpoint.tree_size, "root": checkpoint.root_hash}
            )
