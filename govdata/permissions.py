"""The one place that answers "which objects may this user do X on".

Every channel (admin, portal, API, exports, history pages) asks here. Two layers:
- the model permission (`catalog.change_dataresource`) says whether the user's role may take the
  kind of action at all;
- officers and auditors act bureau-wide; everyone else only on objects granted to them or to a
  group they belong to, through guardian's direct foreign-key tables.

`restrict()` turns the question into one SQL filter on the caller's queryset (the user's grants
as one indexed `subquery UNION subquery`, see InGrantedKeys), so a list page costs the same number
of queries whatever its size. The stock `get_objects_for_user(..., klass=<queryset>)` path builds a
much slower query at scale (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import functools

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Permission
from django.db.models import F, Lookup, Model, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL

from .roles import BUREAU_WIDE_ROLES, Role

# Reference data every role that may view it sees in full: there is nothing department-private
# about the list of departments or the data element standard, so they carry no object grants.
REFERENCE_MODELS = {"catalog.department", "catalog.dataelement"}


def user_roles(user) -> frozenset[str]:
    """The role names of a user, cached on the user object for the rest of the request."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_govdata_roles", None)
    if cached is None:
        valid = set(Role.values)
        cached = frozenset(n for n in user.groups.values_list("name", flat=True) if n in valid)
        user._govdata_roles = cached
    return cached


def has_role(user, role: Role) -> bool:
    return role.value in user_roles(user)


def _perm_name(model: type[Model], action: str) -> str:
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


def has_model_permission(user, model: type[Model], action: str) -> bool:
    return bool(getattr(user, "is_active", False)) and user.has_perm(_perm_name(model, action))


def is_bureau_wide(user, model: type[Model], action: str) -> bool:
    """Officers (and auditors for reading) may act on every object of a model they have the perm for."""
    if not has_model_permission(user, model, action):
        return False
    return user.is_superuser or bool(user_roles(user) & {r.value for r in BUREAU_WIDE_ROLES})


def _direct_permission_models(model: type[Model]):
    from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

    user_model = get_user_obj_perms_model(model)
    group_model = get_group_obj_perms_model(model)
    if user_model.objects.is_generic() or group_model.objects.is_generic():
        raise LookupError(f"{model.__name__} has no direct foreign-key permission tables")
    return user_model, group_model


def granted_ids(user, model: type[Model], action: str) -> Q:
    """A filter on the primary keys of `model` granted to `user` (directly or via a group)."""
    sql, params = _granted_sql(user.pk, model, action)
    return Q(InGrantedKeys(F("pk"), RawSQL(sql, params)))


class InGrantedKeys(Lookup):
    """`pk IN (grants)`; on PostgreSQL `pk = ANY(ARRAY(grants))`.

    With `IN`, a list ordered by its key and cut to a page tempts PostgreSQL to walk the whole
    table's key index backwards, testing each row against the grants (a liaison's agreements:
    10,000 rows walked for 51 shown, 6 ms). The array is computed once, before the scan, and the
    table is then read by key for the user's few hundred grants (2 ms).
    """

    lookup_name = "in_granted_keys"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} IN {rhs}", (*lhs_params, *rhs_params)

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)


# A page asks for the same few (user, model, action) subqueries several times; building them with
# the ORM cost more than running them. The SQL depends on nothing else (the permission and the
# groups are looked up inside it, when it runs), so it can be kept for the life of the process.
@functools.lru_cache(maxsize=4096)
def _granted_sql(user_id: int, model: type[Model], action: str) -> tuple[str, tuple]:
    user_perm_model, group_perm_model = _direct_permission_models(model)
    # The permission and the user's groups as scalar subqueries, not joins: the database looks
    # each up once and reads the grants from guardian's (group, permission, object) unique index.
    permission = Subquery(
        Permission.objects.filter(
            codename=f"{action}_{model._meta.model_name}", content_type__app_label=model._meta.app_label
        ).values("pk")[:1]
    )
    groups = get_user_model().groups.through.objects.filter(user_id=user_id).values("group_id")
    # One IN over a UNION, not two INs joined by OR: the database can then start from the user's
    # few grants and fetch those rows by key, where an OR makes it test every row of the table.
    granted = (
        user_perm_model.objects.filter(user_id=user_id, permission_id=permission)
        .values("content_object_id")
        .union(
            group_perm_model.objects.filter(group_id__in=groups, permission_id=permission).values("content_object_id")
        )
    )
    return granted.query.sql_with_params()


def restrict(queryset: QuerySet, user, action: str = "view", *, also: Q | None = None) -> QuerySet:
    """Filter `queryset` to the objects `user` may `action`.

    `also` widens the result with objects everybody with the model permission may see (e.g.
    published resources for `view`); it never applies to users without the model permission.
    """
    model = queryset.model
    if isinstance(user, AnonymousUser) or not has_model_permission(user, model, action):
        return queryset.none()
    if is_bureau_wide(user, model, action):
        return queryset
    if action == "view" and f"{model._meta.app_label}.{model._meta.model_name}" in REFERENCE_MODELS:
        return queryset
    condition = granted_ids(user, model, action)
    if also is not None:
        condition |= also
    return queryset.filter(condition)


def has_object_grant(user, action: str, obj: Model) -> bool:
    """Was `action` on this object granted to `user` (or their group) — ignoring bureau-wide roles?

    For steps that belong to one party of a workflow (the providing department decides its own
    requests): being an officer does not make someone the provider.
    """
    model = type(obj)
    if not has_model_permission(user, model, action):
        return False
    return model._default_manager.filter(granted_ids(user, model, action), pk=obj.pk).exists()


def can(user, action: str, obj: Model) -> bool:
    """May `user` take `action` on this one object? (Object pages, service-layer checks.)"""
    model = type(obj)
    if not has_model_permission(user, model, action):
        return False
    if is_bureau_wide(user, model, action):
        return True
    return restrict(model._default_manager.filter(pk=obj.pk), user, action).exists()
