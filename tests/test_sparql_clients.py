"""Real SPARQL clients against a live server over real HTTP, on every backend.

The app runs in waitress (as ``santegraph serve`` does) on a free loopback port, in a
daemon thread, over the tiny test content. Clients: SPARQLWrapper (JSON, XML, CSV, TSV,
CONSTRUCT as Turtle and RDF/XML; GET, form POST, direct POST), rdflib's ``SPARQLStore``
(a Graph over the endpoint: SELECT, ASK, triple patterns) and plain ``requests`` for HEAD,
OPTIONS and CORS.
"""

from __future__ import annotations

import csv
import io
import urllib.error

import pytest
import rdflib
import requests
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, POST, POSTDIRECTLY, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

from santegraph.config import load_settings
from santegraph.loading import Loader
from santegraph.web import create_app

from .conftest import BASE, MINI, live_server

SG = rdflib.Namespace("https://w3id.org/santegraph/def#")
SKOS = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
CPTS = rdflib.URIRef(BASE + "acteur/cpts-sud-metropole-lilloise")
COMMUNES = [BASE + "territoire/commune/59183", BASE + "territoire/commune/59350"]
SELECT_COMMUNES = """PREFIX sg: <https://w3id.org/santegraph/def#>
SELECT ?c WHERE { ?c a sg:Commune } ORDER BY ?c"""
CONSTRUCT_CPTS = """PREFIX sg: <https://w3id.org/santegraph/def#>
CONSTRUCT { ?a ?p ?o } WHERE { ?a a sg:CPTS ; ?p ?o }"""


@pytest.fixture
def endpoint(store):
    """The URL of /sparql on a live waitress server over ``store`` with the tiny content."""
    settings = load_settings({"content_dir": str(MINI), "base_iri": BASE}, environ={})
    Loader(store, settings, progress=False).ensure_content()
    with live_server(create_app(settings, store=store)) as base:
        yield base + "/sparql"


def wrapper(endpoint: str, query: str, fmt: str, method: str | None = None) -> SPARQLWrapper:
    client = SPARQLWrapper(endpoint)
    client.setQuery(query)
    client.setReturnFormat(fmt)
    if method == POSTDIRECTLY:
        client.setMethod(POST)
        client.setRequestMethod(POSTDIRECTLY)
    elif method:
        client.setMethod(method)
    return client


# --------------------------------------------------------------------- SPARQLWrapper
@pytest.mark.parametrize("method", [None, POST, POSTDIRECTLY])
def test_sparqlwrapper_json(endpoint, method):
    answer = wrapper(endpoint, SELECT_COMMUNES, JSON, method).queryAndConvert()
    assert answer["head"]["vars"] == ["c"]
    assert [b["c"]["value"] for b in answer["results"]["bindings"]] == COMMUNES


def test_sparqlwrapper_xml(endpoint):
    document = wrapper(endpoint, SELECT_COMMUNES, XML, POST).queryAndConvert()
    uris = [node.firstChild.data for node in document.getElementsByTagName("uri")]
    assert uris == COMMUNES


@pytest.mark.parametrize("fmt, delimiter", [(CSV, ","), (TSV, "\t")])
def test_sparqlwrapper_csv_and_tsv(endpoint, fmt, delimiter):
    text = wrapper(endpoint, SELECT_COMMUNES, fmt).queryAndConvert().decode("utf-8")
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    # TSV writes ?c and <iri>; Virtuoso's own CSV/TSV quote them (docs/backends.md)
    assert rows[0][0].strip('"') in ("c", "?c")
    assert [r[0].strip('"<>') for r in rows[1:]] == COMMUNES


def test_sparqlwrapper_ask(endpoint):
    assert (
        wrapper(endpoint, f"ASK {{ <{CPTS}> a <{SG.CPTS}> }}", JSON).queryAndConvert()["boolean"]
        is True
    )
    assert (
        wrapper(endpoint, f"ASK {{ <{CPTS}> a <{SG.DAC}> }}", XML)
        .queryAndConvert()
        .getElementsByTagName("boolean")[0]
        .firstChild.data
        == "false"
    )


def test_sparqlwrapper_construct_as_turtle(endpoint):
    data = wrapper(endpoint, CONSTRUCT_CPTS, TURTLE).queryAndConvert()
    graph = rdflib.Graph().parse(data=data, format="turtle")
    assert graph.value(CPTS, SKOS.prefLabel) == rdflib.Literal(
        "CPTS Sud Métropole Lilloise", lang="fr"
    )
    assert (CPTS, rdflib.RDF.type, SG.CPTS) in graph


# SPARQLWrapper 2.0 builds its answer in an rdflib ConjunctiveGraph (deprecated in rdflib 7).
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_sparqlwrapper_construct_as_rdfxml_graph(endpoint):
    graph = wrapper(endpoint, CONSTRUCT_CPTS, RDFXML, POST).queryAndConvert()
    assert isinstance(graph, rdflib.Graph)
    assert (CPTS, SG.telephone, rdflib.Literal("03 53 73 20 00")) in graph


def test_sparqlwrapper_update_is_refused(endpoint, store):
    before = store.count_triples()
    client = SPARQLWrapper(endpoint)
    client.setMethod(POST)
    client.setQuery("DROP ALL")
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        client.query()
    with excinfo.value as error:  # SPARQLWrapper passes a 403 through as urllib's error
        assert error.code == 403
        assert "read-only" in error.read().decode()
    assert store.count_triples() == before


# --------------------------------------------------------------------- rdflib SPARQLStore
@pytest.fixture
def remote_graph(endpoint):
    graph = rdflib.Graph(store=SPARQLStore(query_endpoint=endpoint, returnFormat="json"))
    yield graph
    graph.close()


def test_rdflib_sparqlstore_select(remote_graph):
    rows = remote_graph.query(SELECT_COMMUNES)
    assert [str(row.c) for row in rows] == COMMUNES


def test_rdflib_sparqlstore_ask(remote_graph):
    assert remote_graph.query(f"ASK {{ <{CPTS}> a <{SG.CPTS}> }}").askAnswer is True
    assert remote_graph.query(f"ASK {{ <{CPTS}> a <{SG.DAC}> }}").askAnswer is False


def test_rdflib_sparqlstore_triple_patterns(remote_graph):
    assert remote_graph.value(CPTS, SKOS.prefLabel) == rdflib.Literal(
        "CPTS Sud Métropole Lilloise", lang="fr"
    )
    assert set(remote_graph.subjects(rdflib.RDF.type, SG.Commune)) == {
        rdflib.URIRef(c) for c in COMMUNES
    }


def test_rdflib_sparqlstore_xml_results(endpoint):
    graph = rdflib.Graph(store=SPARQLStore(query_endpoint=endpoint, returnFormat="xml"))
    assert [str(r.c) for r in graph.query(SELECT_COMMUNES)] == COMMUNES
    graph.close()


# --------------------------------------------------------------------- plain HTTP
def test_head_and_get_agree_over_http(endpoint):
    params = {"query": SELECT_COMMUNES}
    headers = {"Accept": "application/sparql-results+json"}
    get = requests.get(endpoint, params=params, headers=headers, timeout=10)
    head = requests.head(endpoint, params=params, headers=headers, timeout=10)
    assert get.status_code == head.status_code == 200
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
    assert head.content == b""
    assert [b["c"]["value"] for b in get.json()["results"]["bindings"]] == COMMUNES


def test_cors_preflight_and_request_over_http(endpoint):
    origin = {"Origin": "https://client.example"}
    preflight = requests.options(
        endpoint,
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, accept",
        },
        timeout=10,
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "content-type" in preflight.headers["Access-Control-Allow-Headers"].lower()
    answer = requests.post(
        endpoint,
        data=SELECT_COMMUNES.encode(),
        headers={**origin, "Content-Type": "application/sparql-query", "Accept": "text/csv"},
        timeout=10,
    )
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert answer.text.split()[1:] == COMMUNES


def test_service_description_over_http(endpoint, store):
    response = requests.get(endpoint, headers={"Accept": "text/turtle"}, timeout=10)
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    assert set(graph.objects(None, SD.endpoint)) == {rdflib.URIRef(endpoint)}
    dataset = graph.value(None, SD.defaultDataset)
    names = {str(graph.value(n, SD.name)) for n in graph.objects(dataset, SD.namedGraph)}
    assert names == set(store.list_graphs())
