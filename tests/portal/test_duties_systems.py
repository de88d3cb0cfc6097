"""Maintaining the department's duties and information systems."""

import pytest
from django.urls import reverse

from catalog.models import Duty, InformationSystem
from tests.factories import make_duty, make_system

pytestmark = pytest.mark.django_db


def test_create_system_records_the_liaison(client_a, liaison_a, dept_a):
    response = client_a.post(reverse("portal:system_create"), {"code": "SYS-A", "name": "户籍系统", "status": "in_use"})
    assert response.status_code == 302
    system = InformationSystem.objects.get()
    assert system.department == dept_a
    assert system.history.get().history_user == liaison_a


def test_edit_system_marks_it_retired(client_a, liaison_a, dept_a):
    system = make_system(dept_a, liaison_a)
    url = reverse("portal:system_edit", args=[system.pk])
    client_a.post(url, {"code": system.code, "name": system.name, "status": "retired"})
    system.refresh_from_db()
    assert system.status == "retired"


def test_duplicate_system_code_is_refused_with_a_message(client_a, liaison_b, dept_b):
    other = make_system(dept_b, liaison_b)
    response = client_a.post(reverse("portal:system_create"), {"code": other.code, "name": "重名", "status": "in_use"})
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert InformationSystem.objects.count() == 1


def test_create_duty_linked_to_a_system(client_a, liaison_a, dept_a):
    system = make_system(dept_a, liaison_a)
    data = {"code": "D1", "name": "户籍登记", "origin": "mandate", "power_kind": "", "systems": [system.pk]}
    response = client_a.post(reverse("portal:duty_create"), data)
    assert response.status_code == 302
    duty = Duty.objects.get()
    assert duty.department == dept_a
    assert list(duty.systems.all()) == [system]
    assert duty.history.first().history_user == liaison_a


def test_power_list_duty_without_power_kind_is_refused(client_a):
    data = {"code": "D1", "name": "行政处罚", "origin": "power_list", "power_kind": ""}
    response = client_a.post(reverse("portal:duty_create"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors.get("power_kind") or errors.get("__all__")
    assert Duty.objects.count() == 0


def test_duty_cannot_link_a_system_of_another_department(client_a, liaison_b, dept_b):
    foreign = make_system(dept_b, liaison_b)
    data = {"code": "D1", "name": "职责", "origin": "mandate", "systems": [foreign.pk]}
    response = client_a.post(reverse("portal:duty_create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["systems"]
    assert Duty.objects.count() == 0


def test_duplicate_duty_code_in_the_department_is_refused_with_a_message(client_a, liaison_a, dept_a):
    existing = make_duty(dept_a, liaison_a)
    response = client_a.post(
        reverse("portal:duty_create"), {"code": existing.code, "name": "重复", "origin": "mandate"}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert Duty.objects.count() == 1


def test_edit_duty_changes_its_name(client_a, liaison_a, dept_a):
    duty = make_duty(dept_a, liaison_a)
    url = reverse("portal:duty_edit", args=[duty.pk])
    response = client_a.post(url, {"code": duty.code, "name": "新名称", "origin": "mandate"})
    assert response.status_code == 302
    duty.refresh_from_db()
    assert duty.name == "新名称"


def test_duty_list_shows_duties_without_a_system(client_a, liaison_a, dept_a):
    bare = make_duty(dept_a, liaison_a)
    covered = make_duty(dept_a, liaison_a, systems=[make_system(dept_a, liaison_a)])
    page = client_a.get(reverse("portal:duty_list"), {"gap": "no_system"}).context["page"]
    assert list(page.object_list) == [bare]
    assert covered not in page.object_list


def test_dashboard_counts_duties_without_system_and_without_data(client_a, liaison_a, dept_a):
    make_duty(dept_a, liaison_a)
    make_duty(dept_a, liaison_a, systems=[make_system(dept_a, liaison_a)])
    counts = client_a.get(reverse("portal:dashboard")).context["duty_counts"]
    assert counts == {"total": 2, "no_system": 1, "no_data": 2}
