"""Builders of history and ledger rows for the audit tests, and query counting."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog import services
from sharing import ledger
from tests.factories import make_duty, make_resource, make_system


def build_changes(n, department, liaison):
    """`n` resources, each created with an item and then edited: a new name, a source system and a
    duty link. The history then holds creations and changes across several models, with foreign
    key and many-to-many differences."""
    system = make_system(department, liaison)
    duty = make_duty(department, liaison)
    resources = []
    for _ in range(n):
        resource = make_resource(department, liaison, items=1)
        resource.name = f"{resource.name}（修订）"
        resource.source_system = system
        services.resource_save(resource=resource, actor=liaison, duties=[duty], reason="补充来源系统")
        resources.append(resource)
    return resources


def build_mixed_changes(n, department, liaison, officer):
    """`build_changes(n)`, then one change of each other kind of object on the page.

    A timeline page costs one query per kind of object that changed on it (its previous versions,
    its many-to-many sets, the names its foreign keys point to): bounded by the number of models,
    never by the number of rows. Both sizes end with the same kinds, so their counts compare.
    """
    resources = build_changes(n, department, liaison)
    system = resources[0].source_system
    duty = resources[0].duties.get()
    department.name = f"{department.name}（更名）"
    services.department_save(department=department, actor=officer, reason="机构改革")
    services.user_set_department(user=liaison, department=department, actor=officer, reason="核对")
    system.name = f"{system.name}（升级）"
    services.system_save(system=system, actor=liaison)
    duty.name = f"{duty.name}（调整）"
    services.duty_save(duty=duty, actor=liaison, systems=[system])
    return resources


def edit_repeatedly(resource, liaison, duties, n):
    """`n` more versions of one resource, alternating a new name and a new set of duties."""
    for i in range(n):
        if i % 2:
            services.resource_save(resource=resource, actor=liaison, duties=duties[: (i % len(duties)) + 1])
        else:
            resource.name = f"资源名称第{i}版"
            services.resource_save(resource=resource, actor=liaison, reason=f"第{i}次修改")
    return resource


def append_entries(n, objects, actors):
    """`n` ledger entries about the given objects, by the given actors in turn."""
    return [
        ledger.append(
            action="test.step", obj=objects[i % len(objects)], actor=actors[i % len(actors)], reason=f"第{i}步"
        )
        for i in range(n)
    ]


def count_queries(client, url, *, method="get", consume=False):
    """Queries of one request after a warm-up request (which fills process-wide caches)."""

    def request():
        response = getattr(client, method)(url)
        if consume:
            b"".join(response.streaming_content)
        return response

    request()
    with CaptureQueriesContext(connection) as ctx:
        response = request()
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries)
