"""The public catalogue as DCAT: what it holds, in both formats, page by page, for anyone."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rdflib import Graph, Literal, URIRef
from rdflib import namespace as ns  # not its names: pytest would probe the closed namespaces
from rdflib.compare import isomorphic

from catalog import dcat, services
from catalog.choices import OpenType, UpdateFrequency
from tests.factories import make_published_resource, make_resource

HYDRA_NEXT = URIRef("http://www.w3.org/ns/hydra/core#next")


@pytest.fixture
def dcat_url():
    return reverse("api:dcat")


@pytest.fixture
def world(dept_a, dept_b, liaison_a, liaison_b, officer):
    """Resources in every state that matters to the public: only the first two may appear."""
    opened = make_published_resource(
        dept_a,
        liaison_a,
        officer,
        catalogue_code="A-OPEN",
        name="企业登记信息",
        summary="全市企业的登记信息",
        open_type=OpenType.UNCONDITIONAL,
        update_frequency=UpdateFrequency.YEARLY,
        format="CSV",
    )
    on_conditions = make_published_resource(
        dept_b, liaison_b, officer, catalogue_code="B-COND", open_type=OpenType.CONDITIONAL
    )
    hidden = [
        make_published_resource(dept_a, liaison_a, officer, catalogue_code="A-NOTOPEN"),  # published, not opened
        make_resource(dept_a, liaison_a, catalogue_code="A-DRAFT", open_type=OpenType.UNCONDITIONAL),
    ]
    retired = make_published_resource(
        dept_b, liaison_b, officer, catalogue_code="B-RETIRED", open_type=OpenType.UNCONDITIONAL
    )
    services.resource_retire(resource=retired, actor=officer, reason="停止采集")
    return {"shown": [opened, on_conditions], "hidden": [*hidden, retired]}


def graph_of(response, fmt="json-ld") -> Graph:
    assert response.status_code == 200, response.content
    return Graph().parse(data=response.content.decode(), format=fmt)


def datasets(graph: Graph) -> dict[str, URIRef]:
    nodes = graph.subjects(ns.RDF.type, ns.DCAT.Dataset)
    return {str(graph.value(node, ns.DCTERMS.identifier)): node for node in nodes}


@pytest.mark.django_db
def test_anyone_sees_the_published_open_resources_and_nothing_else(client, world, dcat_url):
    graph = graph_of(client.get(dcat_url))
    assert set(datasets(graph)) == {"A-OPEN", "B-COND"}
    catalogue = next(graph.subjects(ns.RDF.type, ns.DCAT.Catalog))
    assert set(graph.objects(catalogue, ns.DCAT.dataset)) == set(datasets(graph).values())


@pytest.mark.django_db
def test_a_signed_in_liaison_or_officer_gets_the_same_public_feed(client, world, dcat_url, liaison_b, officer):
    anonymous = graph_of(client.get(dcat_url))
    for user in (liaison_b, officer):
        client.force_login(user)
        assert isomorphic(graph_of(client.get(dcat_url)), anonymous)


@pytest.mark.django_db
def test_the_catalogue_is_named_in_both_languages_whatever_the_request_language(client, settings, dcat_url):
    for language in ("zh-hans", "en"):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        graph = graph_of(client.get(dcat_url))
        catalogue = next(graph.subjects(ns.RDF.type, ns.DCAT.Catalog))
        titles = {(title.language, str(title)) for title in graph.objects(catalogue, ns.DCTERMS.title)}
        assert titles == {("zh-Hans", "公共数据开放目录"), ("en", "Public data catalogue")}


@pytest.mark.django_db
def test_a_dataset_carries_its_dcat_description(client, world, dcat_url, dept_a):
    graph = graph_of(client.get(dcat_url))
    dataset = datasets(graph)["A-OPEN"]
    assert graph.value(dataset, ns.DCTERMS.title) == Literal("企业登记信息")
    assert graph.value(dataset, ns.DCTERMS.description) == Literal("全市企业的登记信息")
    publisher = graph.value(dataset, ns.DCTERMS.publisher)
    assert graph.value(publisher, ns.FOAF.name) == Literal(dept_a.name)
    assert graph.value(dataset, ns.DCTERMS.accrualPeriodicity) == dcat.FREQUENCY.ANNUAL
    assert graph.value(dataset, ns.DCTERMS.accessRights) == dcat.ACCESS_RIGHT.PUBLIC
    assert graph.value(datasets(graph)["B-COND"], ns.DCTERMS.accessRights) == dcat.ACCESS_RIGHT.RESTRICTED
    opened = world["shown"][0]
    landing = graph.value(dataset, ns.DCAT.landingPage)
    assert str(landing).endswith(reverse("portal:catalogue_detail", args=[opened.pk]))
    distribution = graph.value(dataset, ns.DCAT.distribution)
    assert graph.value(distribution, ns.DCTERMS["format"]) == Literal("CSV")
    # The subject category in both languages of the portal.
    assert {keyword.language for keyword in graph.objects(dataset, ns.DCAT.keyword)} == {"zh-Hans", "en"}


@pytest.mark.django_db
def test_turtle_says_the_same_as_json_ld(client, world, dcat_url):
    as_json_ld = client.get(dcat_url)
    as_turtle = client.get(dcat_url, {"format": "ttl"})
    assert as_json_ld["Content-Type"].startswith("application/ld+json")
    assert as_turtle["Content-Type"].startswith("text/turtle")
    assert isomorphic(graph_of(as_turtle, "turtle"), graph_of(as_json_ld))
    by_accept = client.get(dcat_url, HTTP_ACCEPT="text/turtle")
    assert by_accept["Content-Type"].startswith("text/turtle")
    assert isomorphic(graph_of(by_accept, "turtle"), graph_of(as_json_ld))


@pytest.mark.django_db
def test_a_harvester_pages_through_every_dataset_once(monkeypatch, client, world, dcat_url, dept_a, liaison_a, officer):
    for i in range(5):
        make_published_resource(dept_a, liaison_a, officer, catalogue_code=f"C-{i}", open_type=OpenType.CONDITIONAL)
    monkeypatch.setattr(dcat, "PAGE_SIZE", 2)
    seen, url, pages = [], dcat_url + "?format=ttl", 0
    while url:
        graph = graph_of(client.get(url), "turtle")
        page = sorted(datasets(graph))
        assert len(page) <= 2
        seen += page
        pages += 1
        following = list(graph.objects(None, HYDRA_NEXT))
        url = str(following[0]) if following else None
    assert seen == sorted(["A-OPEN", "B-COND", *(f"C-{i}" for i in range(5))])
    assert pages == 4


@pytest.mark.django_db
def test_the_feed_costs_the_same_queries_at_any_size(client, dept_a, liaison_a, officer, dcat_url):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(dcat_url).status_code == 200
        return len(captured)

    for i in range(2):
        make_published_resource(dept_a, liaison_a, officer, catalogue_code=f"S-{i}", open_type=OpenType.UNCONDITIONAL)
    small = queries()
    for i in range(2, 12):
        make_published_resource(dept_a, liaison_a, officer, catalogue_code=f"S-{i}", open_type=OpenType.UNCONDITIONAL)
    assert queries() == small == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "language", "message"),
    [
        ({"format": "xml"}, "en", "Unknown format"),
        ({"format": "xml"}, "zh-hans", "未知的格式"),
        ({"after": "x" * 65}, "en", "at most 64 characters"),
    ],
)
def test_bad_parameters_get_a_clear_translated_message(client, settings, dcat_url, query, language, message):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(dcat_url, query)
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.django_db
def test_only_get_and_head_are_served(client, dcat_url):
    assert client.head(dcat_url).status_code == 200
    assert client.post(dcat_url).status_code == 405
