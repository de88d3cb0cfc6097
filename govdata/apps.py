from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class GovdataConfig(AppConfig):
    name = "govdata"
    verbose_name = _("govdata")

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)

        post_migrate.connect(sync_role_permissions, sender=self)


def sync_role_permissions(using="default", **kwargs):
    """Give each role group exactly the model permissions ROLE_PERMISSIONS lists.

    Runs after every migrate, once the permissions of the apps listed before govdata exist, so
    models added later reach the roles without a hand-written data migration.
    """
    from django.contrib.auth.models import Group, Permission

    from .roles import GOVERNED_APPS, ROLE_PERMISSIONS

    governed = Permission.objects.using(using).filter(content_type__app_label__in=GOVERNED_APPS)
    for role, specs in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.using(using).get_or_create(name=role.value)
        wanted = set()
        for spec in specs:
            if spec == "*":
                wanted |= set(governed.values_list("pk", flat=True))
            elif spec == "view":
                wanted |= set(governed.filter(codename__startswith="view_").values_list("pk", flat=True))
            else:
                app_label, codename = spec.split(".")
                wanted |= set(
                    Permission.objects.using(using)
                    .filter(content_type__app_label=app_label, codename=codename)
                    .values_list("pk", flat=True)
                )
        group.permissions.set(wanted)
