"""Shared fixtures: two business departments, the bureau and one user per role."""

import pytest

from catalog import services
from catalog.choices import DepartmentKind
from catalog.models import Department
from govdata.roles import Role
from tests.factories import make_user


def pytest_configure(config):
    # PBKDF2 costs ~0.3 s per password on purpose; tests create hundreds of users and prove
    # nothing about hashing strength.
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests assert behaviour, so they read the English source messages; the Chinese default is
    # proven on its own (tests/test_language.py, the browser journeys).
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _flushable_ledger(request):
    """Let transactional tests end on PostgreSQL, where the ledger refuses TRUNCATE.

    After a transactional test Django empties every table with TRUNCATE, which the append-only
    trigger refuses. Just before that flush (this fixture depends on transactional_db, so it is
    torn down first) triggers are switched off for this one connection (replica mode); Django
    closes the connection after the flush, so the next test has them again.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or {
        "transactional_db",
        "live_server",
    } & set(request.fixturenames)
    if not transactional:
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")


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
