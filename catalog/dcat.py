"""The public catalogue as DCAT (DESIGN §4), in JSON-LD or Turtle, for open-data portals to harvest.

The public catalogue is every published resource the bureau opens to the public, unconditionally
or on conditions (`selectors.public_catalogue`); drafts, submissions, retired resources and
resources that are not opened never appear, whoever asks. The feed needs no sign-in.

A harvester pages through it by catalogue code: each page holds PAGE_SIZE datasets and, while more
follow, a Hydra `PartialCollectionView` whose `hydra:next` is the next page (keyset, so every page
costs the same). Vocabularies: DCAT 3 and Dublin Core terms; update frequencies and access rights
use the EU Publications Office's authority tables, as DCAT-AP does.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from django.http import HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe
from rdflib import RDF, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF

from . import selectors
from .choices import OpenType, SubjectCategory, UpdateFrequency

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
FREQUENCY = Namespace("http://publications.europa.eu/resource/authority/frequency/")
ACCESS_RIGHT = Namespace("http://publications.europa.eu/resource/authority/access-right/")

PAGE_SIZE = 50
# Lazy: each is rendered in every language of LANGUAGES, whatever the request's.
CATALOGUE_TITLE = gettext_lazy("Public data catalogue")
PUBLISHER_NAME = gettext_lazy("Municipal data bureau")
# Both languages of the portal, as language-tagged literals: a harvester picks its own.
LANGUAGES = {"zh-hans": "zh-Hans", "en": "en"}

FREQUENCIES = {
    UpdateFrequency.REAL_TIME: FREQUENCY.CONT,
    UpdateFrequency.DAILY: FREQUENCY.DAILY,
    UpdateFrequency.WEEKLY: FREQUENCY.WEEKLY,
    UpdateFrequency.MONTHLY: FREQUENCY.MONTHLY,
    UpdateFrequency.QUARTERLY: FREQUENCY.QUARTERLY,
    UpdateFrequency.YEARLY: FREQUENCY.ANNUAL,
    UpdateFrequency.IRREGULAR: FREQUENCY.IRREG,
}
ACCESS_RIGHTS = {OpenType.UNCONDITIONAL: ACCESS_RIGHT.PUBLIC, OpenType.CONDITIONAL: ACCESS_RIGHT.RESTRICTED}

FORMATS = {
    "jsonld": ("json-ld", "application/ld+json"),
    "ttl": ("turtle", "text/turtle"),
}
# What JSON-LD names compactly; everything else keeps its full IRI.
JSONLD_CONTEXT = {
    "dcat": str(DCAT),
    "dct": str(DCTERMS),
    "foaf": str(FOAF),
    "hydra": str(HYDRA),
    "xsd": str(XSD),
}


def _in_each_language(text) -> list[Literal]:
    literals = []
    for code, tag in LANGUAGES.items():
        with translation.override(code):
            literals.append(Literal(str(text), lang=tag))
    return literals


def catalogue_graph(resources, *, catalogue_url: str, page_url: str, next_url: str | None, detail_url) -> Graph:
    """The DCAT graph of one page of the public catalogue.

    `detail_url(resource)` is the absolute URL of a resource's page in the portal (its landing page).
    """
    graph = Graph()
    for prefix, namespace in JSONLD_CONTEXT.items():
        graph.bind(prefix, namespace)
    catalogue = URIRef(catalogue_url)
    graph.add((catalogue, RDF.type, DCAT.Catalog))
    for title in _in_each_language(CATALOGUE_TITLE):
        graph.add((catalogue, DCTERMS.title, title))
    bureau = BNode("bureau")
    graph.add((catalogue, DCTERMS.publisher, bureau))
    graph.add((bureau, RDF.type, FOAF.Organization))
    for name in _in_each_language(PUBLISHER_NAME):
        graph.add((bureau, FOAF.name, name))

    departments = {}
    for resource in resources:
        dataset = URIRef(f"{catalogue_url}#{quote(resource.catalogue_code)}")
        graph.add((catalogue, DCAT.dataset, dataset))
        department = departments.get(resource.department_id)
        if department is None:
            department = departments[resource.department_id] = URIRef(
                f"{catalogue_url}#department-{quote(resource.department.code)}"
            )
            graph.add((department, RDF.type, FOAF.Organization))
            graph.add((department, FOAF.name, Literal(resource.department.name)))
        _add_dataset(graph, dataset, resource, department, detail_url(resource))

    if next_url:
        view = URIRef(page_url)
        graph.add((catalogue, HYDRA.view, view))
        graph.add((view, RDF.type, HYDRA.PartialCollectionView))
        graph.add((view, HYDRA.next, URIRef(next_url)))
    return graph


def _add_dataset(graph: Graph, dataset: URIRef, resource, publisher: URIRef, landing_page: str) -> None:
    graph.add((dataset, RDF.type, DCAT.Dataset))
    graph.add((dataset, DCTERMS.identifier, Literal(resource.catalogue_code)))
    graph.add((dataset, DCTERMS.title, Literal(resource.name)))
    if resource.summary:
        graph.add((dataset, DCTERMS.description, Literal(resource.summary)))
    graph.add((dataset, DCTERMS.publisher, publisher))
    for keyword in _in_each_language(SubjectCategory(resource.subject).label):
        graph.add((dataset, DCAT.keyword, keyword))
    graph.add((dataset, DCTERMS.accrualPeriodicity, FREQUENCIES[resource.update_frequency]))
    graph.add((dataset, DCTERMS.accessRights, ACCESS_RIGHTS[resource.open_type]))
    graph.add((dataset, DCTERMS.modified, Literal(resource.updated_at, datatype=XSD.dateTime)))
    graph.add((dataset, DCAT.landingPage, URIRef(landing_page)))
    if resource.format:
        distribution = BNode(f"distribution-{resource.pk}")
        graph.add((dataset, DCAT.distribution, distribution))
        graph.add((distribution, RDF.type, DCAT.Distribution))
        graph.add((distribution, DCTERMS["format"], Literal(resource.format)))
        graph.add((distribution, DCAT.accessURL, URIRef(landing_page)))


def _wanted_format(request) -> str | None:
    """`?format=jsonld|ttl`, else the Accept header (Turtle only when asked for); None if unknown."""
    asked = request.GET.get("format")
    if asked is not None:
        return asked if asked in FORMATS else None
    return "ttl" if "text/turtle" in request.headers.get("Accept", "") else "jsonld"


def _bad_request(message: str) -> HttpResponse:
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


@require_safe
def public_catalogue(request):
    wanted = _wanted_format(request)
    if wanted is None:
        return _bad_request(_("Unknown format: ask for format=jsonld (JSON-LD) or format=ttl (Turtle)."))
    after = request.GET.get("after", "")
    if len(after) > 64:
        return _bad_request(_("“after” must be a catalogue code (at most 64 characters)."))

    page = selectors.public_catalogue(after=after)[: PAGE_SIZE + 1]
    resources = list(page)
    more = len(resources) > PAGE_SIZE
    resources = resources[:PAGE_SIZE]

    catalogue_url = request.build_absolute_uri(reverse("api:dcat"))
    query = {"format": wanted} if "format" in request.GET else {}
    next_url = f"{catalogue_url}?{urlencode({**query, 'after': resources[-1].catalogue_code})}" if more else None
    graph = catalogue_graph(
        resources,
        catalogue_url=catalogue_url,
        page_url=request.build_absolute_uri(),
        next_url=next_url,
        detail_url=lambda r: request.build_absolute_uri(reverse("portal:catalogue_detail", args=[r.pk])),
    )
    serializer, content_type = FORMATS[wanted]
    options = {"context": JSONLD_CONTEXT, "auto_compact": True} if serializer == "json-ld" else {}
    body = graph.serialize(format=serializer, **options)
    response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
    response["Vary"] = "Accept"
    return response
