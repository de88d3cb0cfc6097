from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from govdata import analytics
from govdata.models import UsageWindow


class Command(BaseCommand):
    help = (
        "Recompute the recommended aggregation mode (physical / logical / no firm recommendation) of "
        "every published resource from its measured usage and the bureau's policy, and store the "
        "changed ones. Running it again with the same usage changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--actor",
            required=True,
            help="Username of the bureau officer the changes are attributed to in the history "
            "(for cron, a dedicated officer account such as 'analytics').",
        )
        parser.add_argument(
            "--window",
            type=int,
            choices=UsageWindow.values,
            help="Usage window in days (default: the policy's window).",
        )
        parser.add_argument(
            "--reason", default="", help="Reason recorded in the history (a default one names the policy)."
        )

    def handle(self, *args, **options):
        try:
            actor = get_user_model().objects.get(username=options["actor"], is_active=True)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No active user named {options['actor']!r}.") from exc
        try:
            considered, changed = analytics.recommendations_store(
                actor=actor, window_days=options["window"], reason=options["reason"]
            )
        except (PermissionDenied, ValidationError) as exc:
            message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            raise CommandError(message) from exc
        self.stdout.write(f"{considered} published resource(s) considered, {changed} recommendation(s) changed.")
