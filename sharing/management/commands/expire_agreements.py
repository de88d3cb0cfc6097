from django.core.management.base import BaseCommand

from sharing.services import agreements_expire_due


class Command(BaseCommand):
    help = "Expire every active or suspended share agreement whose period has ended. Safe to run from cron."

    def handle(self, *args, **options):
        count = agreements_expire_due()
        self.stdout.write(f"{count} agreement(s) expired.")
