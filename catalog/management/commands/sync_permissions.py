"""Rebuild the object-permission grants of the catalogue from ownership.

The grants are derived data: a department's liaison group holds exactly the
`services.OWNER_ACTIONS` permissions on what the department owns, and no group holds any other
grant on a guarded object. The services keep them in step object by object; this command
repairs them in bulk after anything that bypassed the services (a restore, a bulk import, a
hand edit in the database) and proves they are in step when it changes nothing.

It works set-wise per model in SQL: one DELETE for the grants that should not exist, a count
per permission to see whether any is missing, and for those that are, one INSERT … SELECT with
an anti-join. Nothing is loaded into Python and the number of statements does not depend on the
number of objects.

`sync_object_permissions` belongs in catalog/services.py; it lives here until it moves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand
from django.db import connections, transaction
from django.db.models import Count, Exists, F, Model, OuterRef, Q, Value
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from guardian.utils import get_group_obj_perms_model

from catalog import services
from catalog.models import DataItem, Department, User
from govdata.roles import Role


@dataclass
class SyncReport:
    """What one run changed. A run over data that is already in step changes nothing."""

    groups_linked: list[str] = field(default_factory=list)  # department codes
    memberships_fixed: list[str] = field(default_factory=list)  # usernames
    grants: dict[type[Model], tuple[int, int]] = field(default_factory=dict)  # model -> (added, removed)

    @property
    def changed(self) -> bool:
        return bool(self.groups_linked or self.memberships_fixed or any(a or r for a, r in self.grants.values()))


def owner_group_path(model: type[Model]) -> str:
    """The lookup from an object to the liaison group of the department that owns it."""
    return "resource__department__liaison_group" if model is DataItem else "department__liaison_group"


def owner_permission_ids(model: type[Model]) -> list[int]:
    codenames = [f"{action}_{model._meta.model_name}" for action in services.OWNER_ACTIONS[model]]
    return list(
        Permission.objects.filter(
            content_type=ContentType.objects.get_for_model(model), codename__in=codenames
        ).values_list("pk", flat=True)
    )


def link_liaison_groups() -> list[str]:
    """Give every department without one its liaison group; return their codes."""
    linked = []
    for department in Department.objects.filter(liaison_group__isnull=True).order_by("code"):
        services.department_liaison_group(department)
        linked.append(department.code)
    return linked


def sync_liaison_memberships() -> list[str]:
    """Put every liaison in exactly their department's group, and nobody else in any.

    The membership of all users is compared in two queries; the service then fixes only the
    users whose membership is off.
    """
    department_groups = set(
        Department.objects.filter(liaison_group__isnull=False).values_list("liaison_group_id", flat=True)
    )
    current: dict[int, set[int]] = {}
    memberships = User.groups.through.objects.filter(group_id__in=department_groups)
    for user_id, group_id in memberships.values_list("user_id", "group_id"):
        current.setdefault(user_id, set()).add(group_id)
    wanted = {
        user_id: {group_id}
        for user_id, group_id in User.objects.filter(
            groups__name=Role.LIAISON.value, department__liaison_group__isnull=False
        ).values_list("pk", "department__liaison_group_id")
    }
    off = [pk for pk in current.keys() | wanted.keys() if current.get(pk, set()) != wanted.get(pk, set())]
    fixed = []
    for user in User.objects.filter(pk__in=off).order_by("username"):
        services.user_sync_department_membership(user)
        fixed.append(user.username)
    return fixed


def sync_model_grants(model: type[Model]) -> tuple[int, int]:
    """Make the group grants on `model` exactly the owner grants; return (added, removed)."""
    perm_model = get_group_obj_perms_model(model)
    perm_ids = owner_permission_ids(model)
    path = owner_group_path(model)

    # Anything but an owner permission held by the owner's group goes, whichever group holds it.
    owner_group = F(f"content_object__{path}")
    _total, per_model = perm_model.objects.filter(
        ~Q(group_id=owner_group) | ~Q(permission_id__in=perm_ids) | Q(**{f"content_object__{path}__isnull": True})
    ).delete()
    removed = per_model.get(perm_model._meta.label, 0)

    # What is left is all owner grants, distinct by guardian's unique constraint; so a count per
    # permission tells whether any is missing, and the costly anti-join runs only when one is.
    owned = model._default_manager.order_by().annotate(owner_group=F(path)).filter(owner_group__isnull=False)
    owned_count = owned.count()
    held = dict(
        perm_model.objects.order_by().values("permission_id").annotate(n=Count("pk")).values_list("permission_id", "n")
    )
    added = 0
    for perm_id in perm_ids:
        if held.get(perm_id, 0) < owned_count:
            added += _insert_missing_grants(perm_model, owned, perm_id)
    return added, removed


def _insert_missing_grants(perm_model, owned, perm_id: int) -> int:
    """INSERT … SELECT the grants of one permission that owners lack, in one statement."""
    granted = perm_model.objects.filter(
        content_object_id=OuterRef("pk"), group_id=OuterRef("owner_group"), permission_id=perm_id
    )
    # SQL lists the model field first, then the annotations in the order they were added: the
    # same order as the INSERT columns below.
    missing = owned.filter(~Exists(granted)).annotate(perm=Value(perm_id)).values_list("pk", "owner_group", "perm")
    select_sql, params = missing.query.sql_with_params()
    connection = connections[perm_model.objects.db]
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(perm_model._meta.get_field(name).column) for name in ("content_object", "group", "permission")
    )
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(perm_model._meta.db_table)} ({columns}) {select_sql}", params)
        return cursor.rowcount


def sync_object_permissions() -> SyncReport:
    """Bring liaison groups, their memberships and all owner grants in step with ownership."""
    with transaction.atomic():
        report = SyncReport(groups_linked=link_liaison_groups(), memberships_fixed=sync_liaison_memberships())
        for model in services.OWNER_ACTIONS:
            report.grants[model] = sync_model_grants(model)
    return report


class Command(BaseCommand):
    help = _(
        "Rebuild the object permissions of the catalogue from ownership: each department's liaison "
        "group gets exactly its owner permissions on what the department owns, and nothing else."
    )

    def handle(self, *args, **options):
        report = sync_object_permissions()
        if report.groups_linked:
            self.stdout.write(
                _("Liaison groups created or linked for: %(codes)s") % {"codes": ", ".join(report.groups_linked)}
            )
        if report.memberships_fixed:
            self.stdout.write(
                _("Liaison group membership corrected for: %(users)s") % {"users": ", ".join(report.memberships_fixed)}
            )
        for model, (added, removed) in report.grants.items():
            self.stdout.write(
                _("%(model)s: %(added)d grants added, %(removed)d removed")
                % {"model": capfirst(model._meta.verbose_name_plural), "added": added, "removed": removed}
            )
        if report.changed:
            self.stdout.write(self.style.SUCCESS(_("Object permissions are now in step with ownership.")))
        else:
            self.stdout.write(self.style.SUCCESS(_("Nothing to change: object permissions were in step.")))
