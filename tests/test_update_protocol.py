"""SPARQL 1.1 Update on /update, inside the steward gate, on every backend.

The graph-management operations keep their SPARQL meaning: ``CREATE GRAPH`` fails on a
graph that exists, ``DROP`` / ``CLEAR`` on one that does not, ``ADD`` / ``MOVE`` /
``COPY`` on a missing source, each unless ``SILENT``; rdflib's ``Dataset.graph()`` over
``SPARQLUpdateStore`` (which sends ``CREATE GRAPH``) works. The dataset of a ``WHERE`` is
set by ``USING`` / ``USING NAMED`` or the protocol's ``using-graph-uri`` /
``using-named-graph-uri`` (both at once: a 400, the W3C ``bad_update_dataset_conflict``).
A write that changes nothing writes nothing and adds no version to the journal.
"""

from __future__ import annotations

import base64

import pytest
import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLUpdateStore

from santegraph.config import load_settings
from santegraph.loading import Loader
from santegraph.steward.credentials import credential_line
from santegraph.web import create_app

from .conftest import BASE, MINI, live_server, sorted_quads

TOKEN = "jeton-de-mise-a-jour-" + "u" * 24
SG = rdflib.Namespace("https://w3id.org/santegraph/def#")
SKOS = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")
PREFIXES = (
    "PREFIX sg: <https://w3id.org/santegraph/def#>\n"
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
)
A, B, C = (BASE + f"graph/soumission/protocole-{x}" for x in "abc")
MSP = BASE + "acteur/msp-fictive-du-littoral"
MSP_TRIPLES = f"""<{MSP}> a sg:MSP ; skos:prefLabel "MSP Fictive du Littoral"@fr ;
    sg:localisation <{BASE}territoire/commune/59183> ; sg:telephone "01 99 00 00 01" ."""


def insert(graph: str) -> str:
    return PREFIXES + f"INSERT DATA {{ GRAPH <{graph}> {{ {MSP_TRIPLES} }} }}"


@pytest.fixture
def app(store):
    settings = load_settings(
        {
            "content_dir": str(MINI),
            "base_iri": BASE,
            "steward_tokens": credential_line("marie", TOKEN),
        },
        environ={},
    )
    Loader(store, settings, progress=False).ensure_content()
    app = create_app(settings, store=store)
    yield app
    app.extensions["santegraph"].query_runner.close()


@pytest.fixture
def web(app):
    return app.test_client()


AUTH = {"Authorization": "Basic " + base64.b64encode(f"marie:{TOKEN}".encode()).decode()}


def update(web, text: str, **params):
    """A direct POST (application/sparql-update), protocol parameters in the query string."""
    return web.post(
        "/update",
        data=text.encode(),
        content_type="application/sparql-update",
        query_string=params,
        headers=AUTH,
    )


def versions(app) -> list[tuple[str, str, int]]:
    history = app.extensions["santegraph"].stewardship.history()
    return sorted((e["graph"], e["kind"], e["version"]) for e in history)


def test_rdflib_dataset_graph_over_sparqlupdatestore(app, store):
    """Dataset.graph() sends CREATE GRAPH (it was a 400, 'Create not implemented!'), addN()
    one INSERT DATA, remove_graph() DROP GRAPH."""
    with live_server(app) as base:
        remote = SPARQLUpdateStore(
            query_endpoint=base + "/sparql",
            update_endpoint=base + "/update",
            auth=("marie", TOKEN),
        )
        dataset = rdflib.Dataset(store=remote)
        graph = dataset.graph(rdflib.URIRef(A))
        assert store.count_triples(A) == 0  # an empty graph is not written
        rdf = rdflib.Graph().parse(data=PREFIXES + MSP_TRIPLES, format="turtle")
        graph.addN((s, p, o, graph) for s, p, o in rdf)
        assert store.count_triples(A) == 4
        assert (rdflib.URIRef(MSP), SKOS.prefLabel, None) in graph
        dataset.remove_graph(graph)
        assert store.count_triples(A) == 0
        remote.close()
    assert versions(app) == [(A, "Depot", 1), (A, "Retrait", 2)]


def test_create_graph(web, app, store):
    before = sorted_quads(store)
    created = update(web, f"CREATE GRAPH <{A}>")
    assert created.status_code == 200, created.get_data(as_text=True)
    assert sorted_quads(store) == before and versions(app) == []  # nothing to write
    assert update(web, insert(A)).status_code == 200
    exists = update(web, f"CREATE GRAPH <{A}>")
    assert exists.status_code == 400
    assert "already exists" in exists.get_data(as_text=True)
    assert update(web, f"CREATE SILENT GRAPH <{A}>").status_code == 200
    twice = update(web, f"CREATE GRAPH <{B}> ; CREATE GRAPH <{B}>")
    assert twice.status_code == 400  # created by the first operation of the request
    content = update(web, f"CREATE GRAPH <{BASE}graph/acteurs/cpts>")
    assert content.status_code == 400  # a content graph exists
    elsewhere = update(web, "CREATE GRAPH <http://example.org/elsewhere>")
    assert elsewhere.status_code == 403  # not a steward graph
    assert versions(app) == [(A, "Depot", 1)]


def test_create_then_insert_in_one_request(web, app, store):
    response = update(web, f"CREATE GRAPH <{A}> ;\n" + insert(A))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert store.count_triples(A) == 4


def test_drop_and_clear(web, app, store):
    for operation in ("DROP", "CLEAR"):
        missing = update(web, f"{operation} GRAPH <{A}>")
        assert missing.status_code == 400  # it returned 200: SILENT without SILENT
        assert "no such graph" in missing.get_data(as_text=True)
        assert update(web, f"{operation} SILENT GRAPH <{A}>").status_code == 200
    assert update(web, insert(A)).status_code == 200
    assert update(web, f"DROP GRAPH <{A}>").status_code == 200
    assert store.count_triples(A) == 0
    assert versions(app) == [(A, "Depot", 1), (A, "Retrait", 2)]
    before = sorted_quads(store)
    for refused in ("DROP ALL", "DROP SILENT NAMED", "CLEAR DEFAULT"):
        assert update(web, refused).status_code == 403, refused
    # SILENT does not make a refusal of the gate quiet
    assert update(web, f"DROP SILENT GRAPH <{BASE}graph/acteurs/cpts>").status_code == 403
    assert sorted_quads(store) == before


def test_add_copy_move(web, app, store):
    assert update(web, f"COPY <{A}> TO <{B}>").status_code == 400  # no source
    assert update(web, f"COPY SILENT <{A}> TO <{B}>").status_code == 200
    assert update(web, insert(A)).status_code == 200
    assert update(web, f"COPY <{A}> TO <{B}>").status_code == 200
    assert store.count_triples(B) == 4
    assert update(web, f"MOVE <{B}> TO <{C}>").status_code == 200
    assert (store.count_triples(B), store.count_triples(C)) == (0, 4)
    assert update(web, f"ADD <{C}> TO <{A}>").status_code == 200  # the same triples
    assert versions(app) == [
        (A, "Depot", 1),
        (B, "Depot", 1),
        (B, "Retrait", 2),
        (C, "Depot", 1),
    ]


LABELS_INTO_B = PREFIXES + f"INSERT {{ GRAPH <{B}> {{ ?s rdfs:comment ?l }} }}\n"
NAMED_LABELS_INTO_B = LABELS_INTO_B + "WHERE { GRAPH ?g { ?s skos:prefLabel ?l } }"
LABELS_INTO_B += "WHERE { ?s skos:prefLabel ?l }"


def comments(store) -> set[str]:
    comment = "<http://www.w3.org/2000/01/rdf-schema#comment>"
    rows = store.select(f"SELECT ?s WHERE {{ GRAPH <{B}> {{ ?s {comment} ?l }} }}")
    return {row["s"].value for row in rows}


@pytest.mark.parametrize("how", ["using-graph-uri", "USING", "using-named-graph-uri"])
def test_the_dataset_of_where(web, store, how):
    """The WHERE reads only graph A: the labels of the whole dataset stay out of B (a direct
    POST's using-graph-uri was ignored, and USING refused)."""
    assert update(web, insert(A)).status_code == 200
    if how == "using-graph-uri":
        response = update(web, LABELS_INTO_B, **{"using-graph-uri": A})
    elif how == "USING":
        response = update(web, LABELS_INTO_B.replace("WHERE", f"USING <{A}> WHERE"))
    else:
        response = update(web, NAMED_LABELS_INTO_B, **{"using-named-graph-uri": A})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert comments(store) == {MSP}


def test_using_graph_uri_in_a_form_post(web, store):
    assert update(web, insert(A)).status_code == 200
    response = web.post(
        "/update",
        data={"update": LABELS_INTO_B, "using-graph-uri": A},
        headers=AUTH,
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert comments(store) == {MSP}


def test_the_protocol_dataset_and_using_or_with_conflict(web, store):
    """W3C protocol suite, bad_update_dataset_conflict: a 4xx (it was a 200)."""
    before = sorted_quads(store)
    text = """PREFIX foaf:  <http://xmlns.com/foaf/0.1/>
WITH <http://example/addresses>
DELETE { ?person foaf:givenName 'Bill' }
INSERT { ?person foaf:givenName 'William' }
WHERE {
    ?person foaf:givenName 'Bill'
}"""
    response = update(web, text, **{"using-named-graph-uri": "http://example/people"})
    assert response.status_code == 400
    assert "one dataset only" in response.get_data(as_text=True)
    using = LABELS_INTO_B.replace("WHERE", f"USING <{A}> WHERE")
    assert update(web, using, **{"using-graph-uri": A}).status_code == 400
    assert sorted_quads(store) == before


def test_a_write_that_changes_nothing_adds_no_version(web, app, store):
    assert update(web, insert(A)).status_code == 200
    again = update(web, insert(A))  # the same triples
    assert again.status_code == 200
    assert again.get_json()["graphs"] == []
    turtle = web.get("/store", query_string={"graph": A}, headers={"Accept": "text/turtle"})
    put = web.put(
        "/store",
        query_string={"graph": A},
        data=turtle.data,
        content_type="text/turtle",
        headers=AUTH,
    )
    assert put.status_code == 200
    assert put.get_json()["graphs"] == []
    assert versions(app) == [(A, "Depot", 1)]


def test_a_template_triple_that_is_not_rdf_is_left_out(web, store):
    """SPARQL 1.1 Update 3.1.3: a solution that puts a literal where a template wants a
    subject leaves that triple out, the others are written (the whole update was a 400,
    "failed to extract enum PyNamedOrBlankNode")."""
    assert update(web, insert(A)).status_code == 200
    text = PREFIXES + (
        f'INSERT {{ GRAPH <{B}> {{ ?o rdfs:comment "vu" }} }} '
        f"WHERE {{ GRAPH <{A}> {{ <{MSP}> ?p ?o }} }}"
    )
    response = update(web, text)
    assert response.status_code == 200, response.get_data(as_text=True)
    # the MSP's class and commune, not its name or phone (literals)
    assert comments(store) == {str(SG.MSP), BASE + "territoire/commune/59183"}
