from django.core.management.base import BaseCommand

from operations.services import licenses_expire_due


class Command(BaseCommand):
    help = "Expire every active or suspended operating licence whose term has ended. Safe to run from cron."

    def handle(self, *args, **options):
        count = licenses_expire_due()
        self.stdout.write(f"{count} licence(s) expired.")
