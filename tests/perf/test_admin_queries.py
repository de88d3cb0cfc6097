"""Admin pages cost the same number of SQL queries at 5 rows as at 50 (CONVENTIONS, Tests)."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog import services
from catalog.models import (
    DataElement,
    DataItem,
    DataResource,
    Department,
    Duty,
    InformationSystem,
    SourceAssignment,
    User,
)
from govdata.roles import Role
from sharing.models import LedgerEntry
from tests.factories import make_duty, make_element, make_resource, make_system, make_user

SMALL, LARGE = 5, 50
_serial = itertools.count(1)


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def claim_for(element, department, liaison):
    return services.source_claim(element=element, department=department, actor=liaison, legal_basis="法定职责")


# Each grower adds `n` rows that the model's changelist shows, with their related rows filled in,
# so a missing select_related or a per-row query would show up as a growing count.
def grow_departments(n, ctx):
    for _i in range(n):
        k = next(_serial)
        services.department_save(
            department=Department(code=f"D{k}", name=f"部门{k}", parent=ctx["dept_a"]), actor=ctx["officer"]
        )


def grow_users(n, ctx):
    for _i in range(n):
        make_user(f"user{next(_serial)}", Role.LIAISON, department=ctx["dept_a"])


def grow_systems(n, ctx):
    for _i in range(n):
        make_system(ctx["dept_a"], ctx["liaison_a"])


def grow_duties(n, ctx):
    for _i in range(n):
        make_duty(ctx["dept_a"], ctx["liaison_a"], systems=[ctx["system"]])


def grow_elements(n, ctx):
    for _i in range(n):
        claim = claim_for(make_element(), ctx["dept_a"], ctx["liaison_a"])
        services.source_confirm(assignment=claim, actor=ctx["officer"])


def grow_resources(n, ctx):
    for _i in range(n):
        make_resource(ctx["dept_a"], ctx["liaison_a"], items=2, source_system=ctx["system"])


def grow_items(n, ctx):
    resource = make_resource(ctx["dept_a"], ctx["liaison_a"], items=0)
    items = [DataItem(code=f"I{next(_serial)}", name="字段", element=make_element()) for _i in range(n)]
    services.resource_save(resource=resource, actor=ctx["liaison_a"], items=[*resource.items.all(), *items])


def grow_claims(n, ctx):
    for _i in range(n):
        claim_for(make_element(), ctx["dept_a"], ctx["liaison_a"])


def grow_ledger(n, ctx):
    grow_claims(n, ctx)


CHANGELISTS = {
    Department: grow_departments,
    User: grow_users,
    InformationSystem: grow_systems,
    Duty: grow_duties,
    DataElement: grow_elements,
    DataResource: grow_resources,
    DataItem: grow_items,
    SourceAssignment: grow_claims,
    LedgerEntry: grow_ledger,
}


@pytest.fixture
def ctx(dept_a, liaison_a, officer):
    return {"dept_a": dept_a, "liaison_a": liaison_a, "officer": officer, "system": make_system(dept_a, liaison_a)}


@pytest.mark.parametrize("model", list(CHANGELISTS), ids=lambda m: m._meta.model_name)
def test_changelist_query_count_does_not_grow_with_rows(client, ctx, model):
    grow = CHANGELISTS[model]
    client.force_login(ctx["officer"])
    url = admin_url(model, "changelist")
    grow(SMALL, ctx)
    client.get(url)  # warm the per-process caches (content types, permissions)

    small = queries_for(client, url)
    grow(LARGE - SMALL, ctx)
    large = queries_for(client, url)

    assert model.objects.count() >= LARGE
    assert large == small


def test_liaison_resource_changelist_query_count_does_not_grow_with_rows(client, ctx):
    liaison = ctx["liaison_a"]
    liaison.is_staff = True
    liaison.save()
    client.force_login(liaison)
    url = admin_url(DataResource, "changelist")
    grow_resources(SMALL, ctx)
    client.get(url)

    small = queries_for(client, url)
    grow_resources(LARGE - SMALL, ctx)
    large = queries_for(client, url)

    assert large == small


def _resource_with_items(ctx, n):
    duties = [make_duty(ctx["dept_a"], ctx["liaison_a"]) for _i in range(2)]
    resource = make_resource(ctx["dept_a"], ctx["liaison_a"], items=0, source_system=ctx["system"])
    items = [DataItem(code=f"F{i}", name=f"字段{i}", element=make_element()) for i in range(n)]
    return services.resource_save(resource=resource, actor=ctx["liaison_a"], items=items, duties=duties)


def test_resource_change_form_query_count_does_not_grow_with_items(client, ctx):
    client.force_login(ctx["officer"])
    small_resource, large_resource = _resource_with_items(ctx, SMALL), _resource_with_items(ctx, LARGE)
    client.get(admin_url(DataResource, "change", small_resource.pk))

    small = queries_for(client, admin_url(DataResource, "change", small_resource.pk))
    large = queries_for(client, admin_url(DataResource, "change", large_resource.pk))

    assert large == small


def test_duty_change_form_query_count_does_not_grow_with_systems(client, ctx):
    client.force_login(ctx["officer"])
    small_duty = make_duty(
        ctx["dept_a"], ctx["liaison_a"], systems=[make_system(ctx["dept_a"], ctx["liaison_a"]) for _i in range(SMALL)]
    )
    large_duty = make_duty(
        ctx["dept_a"], ctx["liaison_a"], systems=[make_system(ctx["dept_a"], ctx["liaison_a"]) for _i in range(LARGE)]
    )
    client.get(admin_url(Duty, "change", small_duty.pk))

    small = queries_for(client, admin_url(Duty, "change", small_duty.pk))
    large = queries_for(client, admin_url(Duty, "change", large_duty.pk))

    assert large == small


def test_resource_history_page_query_count_does_not_grow_with_versions(client, ctx):
    client.force_login(ctx["officer"])
    resource = make_resource(ctx["dept_a"], ctx["liaison_a"], items=1)
    url = admin_url(DataResource, "history", resource.pk)

    def edit(times):
        for _i in range(times):
            resource.summary = f"修订{next(_serial)}"
            services.resource_save(resource=resource, actor=ctx["officer"])

    edit(SMALL)
    client.get(url)
    small = queries_for(client, url)
    edit(LARGE - SMALL)
    large = queries_for(client, url)

    assert resource.history.count() > LARGE
    assert large == small
