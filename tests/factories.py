"""Factories that build catalogue objects through the service layer, so tests see the same
grants, history and ledger entries as real use."""

import itertools

from django.contrib.auth.models import Group

from catalog import services
from catalog.choices import DutyOrigin, ShareType, SubjectCategory, UpdateFrequency
from catalog.models import DataElement, DataItem, DataResource, Duty, InformationSystem, User
from govdata.roles import Role  # noqa: F401  (re-exported for tests)

PASSWORD = "test-password-123"
_counter = itertools.count(1)


def make_user(username, *roles, department=None, **extra) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, department=department, **extra)
    user.groups.add(*Group.objects.filter(name__in=[r.value for r in roles]))
    services.user_sync_department_membership(user)
    return user


def make_system(department, actor, **fields) -> InformationSystem:
    n = next(_counter)
    system = InformationSystem(department=department, code=fields.pop("code", f"SYS-{n}"), name=f"系统{n}", **fields)
    return services.system_save(system=system, actor=actor)


def make_duty(department, actor, *, systems=(), **fields) -> Duty:
    n = next(_counter)
    fields.setdefault("origin", DutyOrigin.MANDATE)
    duty = Duty(department=department, code=fields.pop("code", f"DUTY-{n}"), name=f"职责{n}", **fields)
    return services.duty_save(duty=duty, actor=actor, systems=list(systems))


def make_resource(department, actor, *, items=2, item_fields=None, **fields) -> DataResource:
    """A draft resource with `items` plain items, built through resource_save."""
    n = next(_counter)
    fields.setdefault("catalogue_code", f"RES-{n:06d}")
    fields.setdefault("name", f"数据资源{n}")
    fields.setdefault("subject", SubjectCategory.DEPARTMENTAL)
    fields.setdefault("share_type", ShareType.UNCONDITIONAL)
    fields.setdefault("update_frequency", UpdateFrequency.DAILY)
    resource = DataResource(department=department, **fields)
    item_objs = [DataItem(code=f"F{i}", name=f"字段{i}", **(item_fields or {})) for i in range(items)]
    return services.resource_save(resource=resource, actor=actor, items=item_objs)


def make_published_resource(department, liaison, officer, **fields) -> DataResource:
    resource = make_resource(department, liaison, **fields)
    services.resource_submit(resource=resource, actor=liaison)
    return services.resource_publish(resource=resource, actor=officer)


def make_element(**fields) -> DataElement:
    n = next(_counter)
    return DataElement.objects.create(code=fields.pop("code", f"DE{n:04d}"), name=fields.pop("name", f"数据元{n}"))
