"""Which graphs a /sparql query reads, over real HTTP with real clients, on every backend.

SPARQL 1.1 (Protocol 2.1.4, Query 13.2): the protocol's ``default-graph-uri`` /
``named-graph-uri`` first, then the query's ``FROM`` / ``FROM NAMED``, then the service's
default, here the union of the named graphs with every named graph. A ``FROM`` without
``FROM NAMED`` leaves no named graph; ``FROM NAMED`` alone leaves an empty default graph.
pyoxigraph's union option and ``oxigraph serve --union-default-graph`` replace a query's
own ``FROM``: a ``CONSTRUCT FROM <g>`` over a 4-triple graph answered 419 triples, with 200.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import requests
from SPARQLWrapper import JSON, POST, SPARQLWrapper

from santegraph.config import load_settings
from santegraph.web import create_app

from .conftest import BASE, MINI, live_server

EX = "http://example.org/dataset/"
P = ox.NamedNode(EX + "p")
GRAPHS = ("g1", "g2", "g3")
# where each subject was read from: "default" for the default graph, else the graph's name
WHERE = f"""SELECT ?where ?s {{DATASET}} WHERE {{
  {{ ?s <{P.value}> ?o BIND("default" AS ?where) }}
  UNION {{ GRAPH ?g {{ ?s <{P.value}> ?o }} BIND(STRAFTER(STR(?g), "{EX}") AS ?where) }}
}}"""


def subjects(graph: str) -> set[str]:
    """Graph gN holds N subjects, sN-1..sN-N."""
    n = int(graph[1:])
    return {f"s{n}-{i}" for i in range(1, n + 1)}


@pytest.fixture
def endpoint(store):
    """/sparql on a live waitress server over ``store``, holding g1 (1 triple), g2 (2), g3 (3)."""
    store.replace_graphs(
        {
            EX + g: [ox.Triple(ox.NamedNode(EX + s), P, ox.Literal(s)) for s in subjects(g)]
            for g in GRAPHS
        }
    )
    settings = load_settings({"content_dir": str(MINI), "base_iri": BASE}, environ={})
    app = create_app(settings, store=store)
    with live_server(app) as base:
        yield base + "/sparql"
    app.extensions["santegraph"].query_runner.close()


def read(endpoint: str, dataset: str = "", **params) -> set[tuple[str, str]]:
    """(where, subject) of every row, asked by SPARQLWrapper (POST, protocol parameters)."""
    client = SPARQLWrapper(endpoint)
    client.setMethod(POST)
    client.setReturnFormat(JSON)
    client.setQuery(WHERE.replace("{DATASET}", dataset))
    for name, values in params.items():
        for value in values:
            client.addParameter(name.replace("_", "-"), EX + value)
    rows = client.queryAndConvert()["results"]["bindings"]
    return {(r["where"]["value"], r["s"]["value"][len(EX) :]) for r in rows}


def expected(default: tuple[str, ...] = (), named: tuple[str, ...] = ()) -> set[tuple[str, str]]:
    return {("default", s) for g in default for s in subjects(g)} | {
        (g, s) for g in named for s in subjects(g)
    }


def test_without_a_dataset_the_default_graph_is_the_union(endpoint):
    assert read(endpoint) == expected(GRAPHS, GRAPHS)


@pytest.mark.parametrize(
    "clauses, default, named",
    [
        ("FROM g1", ("g1",), ()),  # no FROM NAMED: no named graph
        ("FROM g1 FROM g3", ("g1", "g3"), ()),  # the merge of both
        ("FROM NAMED g2", (), ("g2",)),  # no FROM: an empty default graph
        ("FROM g1 FROM NAMED g2 FROM NAMED g3", ("g1",), ("g2", "g3")),
        ("FROM g3 FROM NAMED g3", ("g3",), ("g3",)),
    ],
)
def test_from_and_from_named_in_the_query(endpoint, clauses, default, named):
    dataset = clauses.replace("g", f"<{EX}g").replace(" FROM", "> FROM") + ">"
    assert read(endpoint, dataset) == expected(default, named)


def test_relative_iris_and_prefixed_names_resolve_as_the_engine_resolves_them(endpoint):
    dataset = "FROM <g1> FROM NAMED ex:g2 FROM NAMED <../dataset/g3>"
    query = f"BASE <{EX}> PREFIX ex: <{EX}> " + WHERE.replace("{DATASET}", dataset)
    client = SPARQLWrapper(endpoint)
    client.setReturnFormat(JSON)
    client.setQuery(query)
    rows = client.queryAndConvert()["results"]["bindings"]
    got = {(r["where"]["value"], r["s"]["value"][len(EX) :]) for r in rows}
    assert got == expected(("g1",), ("g2", "g3"))


@pytest.mark.parametrize(
    "params, default, named",
    [
        ({"default_graph_uri": ["g2"]}, ("g2",), ()),
        ({"named_graph_uri": ["g3"]}, (), ("g3",)),
        ({"default_graph_uri": ["g1", "g2"], "named_graph_uri": ["g1"]}, ("g1", "g2"), ("g1",)),
    ],
)
def test_protocol_parameters(endpoint, params, default, named):
    assert read(endpoint, **params) == expected(default, named)


def test_protocol_parameters_take_precedence_over_the_query(endpoint):
    """Protocol 2.1.4: the request's dataset replaces the query's, it is not added to it."""
    got = read(endpoint, f"FROM <{EX}g1> FROM NAMED <{EX}g1>", default_graph_uri=["g2"])
    assert got == expected(("g2",), ())


def test_construct_from_a_graph_answers_that_graph_only(endpoint):
    """The issue's case: a CONSTRUCT FROM <g> answered the whole union, with 200."""
    query = f"CONSTRUCT {{ ?s ?p ?o }} FROM <{EX}g3> WHERE {{ ?s ?p ?o }}"
    response = requests.post(
        endpoint, data={"query": query}, headers={"Accept": "application/n-triples"}, timeout=30
    )
    assert response.status_code == 200
    triples = list(ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES))
    assert {t.subject.value[len(EX) :] for t in triples} == subjects("g3")
    assert len(triples) == 3
