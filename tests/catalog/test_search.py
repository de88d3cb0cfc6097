"""Catalogue search: Chinese fragments of any length, codes in any case, exact results, and (on
PostgreSQL) served by the gram index rather than a scan of every resource."""

import pytest
from django.db import connection

from catalog import services
from catalog.models import DataResource
from catalog.search import text_search
from tests.factories import make_resource

pytestmark = pytest.mark.django_db
FIELDS = ["name", "catalogue_code", "summary"]


@pytest.fixture
def resources(dept_a, liaison_a):
    return {
        "registration": make_resource(dept_a, liaison_a, name="市场主体登记信息", catalogue_code="SCJG-0001"),
        "insurance": make_resource(dept_a, liaison_a, name="社会保障参保人员", summary="按月更新的参保登记"),
        "vehicles": make_resource(dept_a, liaison_a, name="机动车登记", catalogue_code="JT-0042"),
    }


def found(query):
    return set(text_search(DataResource.objects.all(), query, FIELDS).values_list("name", flat=True))


def test_two_character_fragment_matches_names_and_summaries(resources):
    assert found("登记") == {"市场主体登记信息", "社会保障参保人员", "机动车登记"}


def test_longer_fragment_matches_only_where_it_occurs_whole(resources):
    assert found("参保人员") == {"社会保障参保人员"}
    # Every pair of "登记信" occurs somewhere in the vehicles row's text, but not the fragment.
    assert found("主体登记") == {"市场主体登记信息"}
    assert found("车登记信") == set()


def test_single_character_and_code_in_any_case(resources):
    assert found("车") == {"机动车登记"}
    assert found("jt-00") == {"机动车登记"}
    assert found("scjg-0001") == {"市场主体登记信息"}


def test_fragment_spanning_two_fields_does_not_match(resources):
    # name "机动车登记" + code "JT-0042": the joined text is searched by pairs, the result is exact.
    assert found("登记 JT") == set()


@pytest.mark.postgres
def test_postgres_serves_the_search_from_the_gram_index(resources):
    if connection.vendor != "postgresql":
        pytest.skip("the gram index exists on PostgreSQL only")
    sql, params = text_search(DataResource.objects.all(), "登记", FIELDS).query.sql_with_params()
    with connection.cursor() as cursor:
        # A handful of rows would be scanned anyway; forbid scans (and whole-index walks with a
        # filter) to see whether the gram index can serve the condition.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "catalog_dataresource_grams" in plan


def test_a_renamed_resource_is_found_by_its_new_name_only(resources, liaison_a):
    resource = resources["vehicles"]
    resource.name = "船舶检验记录"
    services.resource_save(resource=resource, actor=liaison_a)
    assert found("船舶") == {"船舶检验记录"}
    assert found("机动车") == set()
