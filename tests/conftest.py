"""Shared fixtures: two business departments, the bureau and one user per role."""

import pytest

from catalog import services
from catalog.choices import DepartmentKind
from catalog.models import Department
from govdata.roles import Role
from tests.factories import make_user


@pytest.fixture
def bureau(db):
    return services.department_save(
        department=Department(code="BUREAU", name="市大数据局", kind=DepartmentKind.BUREAU), actor=None
    )


@pytest.fixture
def dept_a(db):
    return services.department_save(department=Department(code="PSB", name="市公安局"), actor=None)


@pytest.fixture
def dept_b(db):
    return services.department_save(department=Department(code="AMR", name="市市场监督管理局"), actor=None)


@pytest.fixture
def officer(bureau):
    return make_user("officer", Role.OFFICER, department=bureau, is_staff=True)


@pytest.fixture
def auditor(db):
    return make_user("auditor", Role.AUDITOR, is_staff=True)


@pytest.fixture
def liaison_a(dept_a):
    return make_user("liaison_a", Role.LIAISON, department=dept_a)


@pytest.fixture
def liaison_b(dept_b):
    return make_user("liaison_b", Role.LIAISON, department=dept_b)
