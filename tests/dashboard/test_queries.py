"""The dashboard costs the same number of queries at 5 and at 50 duties, resources, agreements'
items and uses, whether it reads a snapshot or has to compute the first one."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog import services as catalog_services
from catalog.models import DataElement, DataItem, DataResource
from govdata import analytics
from govdata.models import GovernanceSnapshot
from sharing import services as sharing_services
from sharing.choices import UsageMode
from tests.dashboard.conftest import logged_in, publish, request
from tests.factories import make_duty, make_system

pytestmark = pytest.mark.django_db

# Reading a snapshot: session, user, roles, permissions, policy, snapshot, history, departments.
SNAPSHOT_BOUND = 10
# Computing the first snapshot: about twenty aggregate queries per scope (the bureau and, here,
# three departments), then the page reads it as above.
LIVE_BOUND = 100


@pytest.fixture
def grow(dept_a, dept_b, liaison_a, liaison_b, officer):
    """Grow department A to `n` duties and published resources, each resource's item carrying an
    element and shared with B under one active agreement, with one use per item."""
    system = make_system(dept_a, liaison_a)
    state = {"n": 0}

    def run(n):
        for i in range(state["n"], n):
            duty = make_duty(dept_a, liaison_a, systems=[system])
            element = DataElement.objects.create(code=f"Q{i:03d}", name=f"数据元{i}")
            publish(dept_a, liaison_a, officer, f"Q{i:03d}", [(f"Q{i:03d}", element)], duties=[duty])
            catalog_services.source_claim(element=element, department=dept_b, actor=liaison_b, legal_basis="登记")
        items = DataItem.objects.filter(resource__catalogue_code__startswith="Q").order_by("code")
        agreement = request(liaison_b, dept_a, list(items[state["n"] : n]), valid_from_day=-1000)
        sharing_services.agreement_submit(agreement=agreement, actor=liaison_b)
        sharing_services.agreement_bureau_approve(agreement=agreement, actor=officer)
        for item in items[state["n"] : n]:
            sharing_services.usage_record(
                agreement=agreement, actor=liaison_b, mode=UsageMode.QUERY, item_codes=[item.code], record_count=1
            )
        state["n"] = n
        assert DataResource.objects.filter(status="published").count() == n

    return run


def queries(client, *, live: bool) -> int:
    """Queries of one dashboard view after a warm-up view (process-wide caches such as content types)."""
    client.get("/dashboard/")
    if live:
        GovernanceSnapshot.objects.all().delete()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/dashboard/")
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("live", [False, True], ids=["snapshot", "live"])
def test_officer_dashboard_query_count_does_not_grow(grow, officer, live, django_assert_max_num_queries):
    client = logged_in(officer)
    grow(5)
    small = queries(client, live=live)
    grow(50)
    large = queries(client, live=live)
    assert small == large
    if live:
        GovernanceSnapshot.objects.all().delete()
    with django_assert_max_num_queries(LIVE_BOUND if live else SNAPSHOT_BOUND):
        client.get("/dashboard/")


@pytest.mark.parametrize("live", [False, True], ids=["snapshot", "live"])
def test_liaison_dashboard_query_count_does_not_grow(grow, liaison_a, live, django_assert_max_num_queries):
    client = logged_in(liaison_a)
    grow(5)
    small = queries(client, live=live)
    grow(50)
    large = queries(client, live=live)
    assert small == large
    if live:
        GovernanceSnapshot.objects.all().delete()
    with django_assert_max_num_queries(LIVE_BOUND if live else SNAPSHOT_BOUND):
        client.get("/dashboard/")


def test_grown_figures_are_what_the_page_shows(grow, officer):
    grow(5)
    analytics.snapshot_take(actor=officer)
    context = logged_in(officer).get("/dashboard/").context
    assert context["funnel_overall"]["duties"] == 5
    assert [s["count"] for s in context["funnel_overall"]["stages"]] == [5, 5, 5, 5]
    assert context["conformance"]["no_source_count"] == 5
    assert context["quadrant"]["recommended"]["logical"] == 5
