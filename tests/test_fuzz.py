"""Property-based tests (Hypothesis) over every entry point of untrusted input (issue #13).

For any input, within the budget of the ``ci`` profile (``tests/conftest.py``: a fixed
number of examples, derandomised, so a run is reproducible):

* the parsers (``rdfio.parse_bytes`` in every format, the bounds scanners, the CSV
  templates) return data or raise the error they document, never anything else, and never
  crash the process;
* the routes (``/steward/validate``, the steward preview, ``/store``, ``/update``,
  ``/sparql``) answer a status a client can act on, never a 500, and the server answers
  the next request;
* a refused write leaves the store exactly as it was.

Time and memory per example are bounded by construction: inputs of a few kilobytes,
apps with tight limits (``max_triples``, ``max_upload_bytes``, time limits). The attacks of
issue #13 are explicit examples (``@example``), run first every time. A longer campaign:
``HYPOTHESIS_PROFILE=thorough pytest tests/test_fuzz.py``.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from santegraph.bounds import (
    check_document_depth,
    check_public_query,
    check_xml_entities,
    nesting_depth,
    service_clauses,
)
from santegraph.errors import InputError, QueryError
from santegraph.loading import Loader
from santegraph.rdfio import parse_bytes
from santegraph.steward.csv_templates import parse_csv
from santegraph.store import EmbeddedStore
from santegraph.web import create_app

from .conftest import BASE, sorted_quads
from .test_steward_web import SUBMISSION_GRAPH, basic, sign_in, steward_settings
from .test_untrusted_input import billion_laughs, deep_jsonld, deep_query, deep_turtle

# ------------------------------------------------------------------ inputs
# Pieces of the syntaxes concerned, so that random sequences reach past the first token.
TOKENS = [
    *"<>{}[]()\"'\\#@:;,.^&|?$*+-=!/",
    " ",
    "\n",
    "\t",
    "\x00",
    "\u202e",  # right-to-left override
    "é",
    "a",
    "1",
    "1.5e3",
    "true",
    "_:b",
    "<http://example.org/s>",
    f"<{BASE}acteur/cpts-fictive>",
    "<acteur/x>",
    "sg:CPTS",
    "skos:prefLabel",
    '"CPTS Fictive du Littoral"@fr',
    '"x"^^<http://www.w3.org/2001/XMLSchema#integer>',
    '"""',
    "@prefix sg: <https://w3id.org/santegraph/def#> .",
    "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .",
    "@base <http://example.org/> .",
    "PREFIX ex: <http://example.org/>",
    "GRAPH",
    "<<",
    ">>",
    "<<(",
    ")>>",
    '{"@id":',
    '"@context":',
    '"@graph":',
    '"@type":',
    '"@value":',
    '"@list":',
    '"http://example.org/p":',
    "SELECT * WHERE",
    "ASK",
    "CONSTRUCT",
    "SERVICE",
    "OPTIONAL",
    "FILTER(",
    "BIND(",
    "VALUES ?x",
    "?s ?p ?o",
    "INSERT DATA",
    "DELETE",
    "WHERE",
    "LOAD",
    "CLEAR ALL",
    f"<{SUBMISSION_GRAPH}>",
    "<!DOCTYPE r [",
    '<!ENTITY a "aaaa">',
    "&a;",
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
    '<rdf:Description rdf:about="http://example.org/s">',
    "</rdf:Description></rdf:RDF>",
    "nom;type;referent",
    ";",
    "|",
    '""',
]
texts = st.one_of(
    st.lists(st.sampled_from(TOKENS), max_size=60).map("".join),
    st.text(max_size=300),
)
documents = st.one_of(texts.map(lambda t: t.encode("utf-8")), st.binary(max_size=300))
FORMATS = [
    ox.RdfFormat.TURTLE,
    ox.RdfFormat.N_TRIPLES,
    ox.RdfFormat.N_QUADS,
    ox.RdfFormat.TRIG,
    ox.RdfFormat.JSON_LD,
    ox.RdfFormat.RDF_XML,
]
# CSV: a header of template columns (some unknown), rows of hostile cells
COLUMNS = ["nom", "type", "localisation", "territoires_desservis", "publics", "referent", "x"]
cells = st.one_of(
    st.sampled_from(["CPTS", "MSP", "59183", "59", "200040947", "2A004", "R", "", "|"]),
    st.text(max_size=40),
)
csv_texts = st.tuples(
    st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=8),
    st.lists(st.lists(cells, max_size=9), max_size=6),
    st.sampled_from([";", ","]),
).map(lambda parts: "\n".join(parts[2].join(row) for row in [parts[0], *parts[1]]))
WEB_LIMITS = {  # every example is small, and so is everything it may make
    "max_upload_bytes": 64 * 1024,
    "max_triples": 2000,
    "max_csv_rows": 50,
    "public_check_rate": 0,
    "public_check_timeout": 60,
    "check_timeout": 60,
    "query_timeout": 10,
    "result_limit": 100,
}
ACCEPTABLE = {200, 201, 204, 400, 403, 404, 405, 409, 413, 415, 422}


# ------------------------------------------------------------------ parsers
@pytest.mark.parametrize("rdf_format", FORMATS, ids=lambda f: f.name)
@given(data=documents)
@example(data=deep_jsonld())
@example(data=deep_turtle())
@example(data=billion_laughs())
@example(data=b"<http://example.org/s> <http://example.org/p> (" + b" 1" * 3000 + b" ) .")
def test_parse_bytes_returns_quads_or_an_input_error(rdf_format, data):
    try:
        quads = parse_bytes(data, rdf_format, source="fuzz", base_iri=BASE, max_triples=1000)
    except InputError:
        return
    assert len(quads) <= 1000 and all(isinstance(q, ox.Quad) for q in quads)


@given(text=texts)
@example(text=deep_query())
@example(text="SELECT * { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }")
def test_the_bounds_scanners_never_fail_and_never_undercount(text):
    for syntax in ("turtle", "sparql", "json"):
        depth = nesting_depth(text, syntax)
        assert depth >= 0
        if depth > 1:  # (a limit of 0 means none)
            with pytest.raises(InputError):
                check_document_depth(text, syntax, depth - 1, source="fuzz")
        check_document_depth(text, syntax, depth, source="fuzz")
    for clause in service_clauses(text):
        assert clause.iri is None or ":" in clause.iri
    try:
        check_public_query(text, max_depth=100, service_allowlist=())
    except QueryError:
        pass
    try:
        check_xml_entities(text, 10_000, source="fuzz")
    except InputError:
        pass


@given(depth=st.integers(0, 400), syntax=st.sampled_from(["turtle", "sparql", "json"]))
def test_nesting_depth_counts_brackets_exactly(depth, syntax):
    opening, closing = ("[", "]") if syntax == "json" else ("{", "}")
    assert nesting_depth(opening * depth + closing * depth, syntax) == depth


@given(text=csv_texts)
@example(text="nom;type;referent\n" + "x" * 200_000 + ";CPTS;R")
@example(text='nom;type;referent\n"A\x00;CPTS;R')
def test_csv_templates_map_or_refuse_clearly(text):
    try:
        mapping = parse_csv(
            text.encode("utf-8"),
            source="fuzz.csv",
            base_iri=BASE,
            graph=ox.NamedNode(SUBMISSION_GRAPH),
            classes={"CPTS", "MSP"},
        )
    except InputError:
        return
    for problem in mapping.problems:
        assert problem.row is not None and problem.severity == "Violation"


# ------------------------------------------------------------------ routes
@pytest.fixture(scope="module")
def fuzz_app():
    store = EmbeddedStore(":memory:")
    settings = steward_settings(**WEB_LIMITS)
    Loader(store, settings, progress=False).ensure_content()
    app = create_app(settings, store=store)
    yield app, store
    app.extensions["santegraph"].check_runner.close()
    app.extensions["santegraph"].query_runner.close()
    store.close()


# each example goes through a worker process: a quarter of the profile's budget
WEB = settings(max_examples=max(1, settings.default.max_examples // 4))


def still_serving(client) -> None:
    assert client.get("/healthz").status_code == 200


@WEB
@given(text=texts, fmt=st.sampled_from(["turtle", "ntriples", "jsonld", "csv"]))
@example(text=deep_jsonld().decode(), fmt="jsonld")
@example(text="nom;type;referent\n" + "x" * 200_000 + ";CPTS;R\n", fmt="csv")
def test_steward_validate_never_answers_500(fuzz_app, text, fmt):
    app, _ = fuzz_app
    client = app.test_client()
    response = client.post(
        "/steward/validate", data={"texte": text, "format": fmt, "sortie": "json"}
    )
    assert response.status_code in ACCEPTABLE, response.get_data(as_text=True)
    still_serving(client)


@WEB
@given(text=texts, fmt=st.sampled_from(["turtle", "ntriples", "jsonld", "csv"]))
@example(text=deep_jsonld().decode(), fmt="jsonld")
def test_the_steward_preview_never_answers_500_and_writes_nothing(fuzz_app, text, fmt):
    app, store = fuzz_app
    client = app.test_client()
    token_field = sign_in(client)
    before = sorted_quads(store)
    response = client.post(
        "/steward/soumettre", data={"texte": text, "format": fmt, "csrf_token": token_field}
    )
    assert response.status_code in ACCEPTABLE | {302}, response.get_data(as_text=True)
    assert sorted_quads(store) == before  # a preview writes nothing
    still_serving(client)


BODY_TYPES = ["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"]


@WEB
@given(
    body=documents, media_type=st.sampled_from(BODY_TYPES), method=st.sampled_from(["PUT", "POST"])
)
@example(body=billion_laughs(), media_type="application/rdf+xml", method="PUT")
@example(body=deep_jsonld(), media_type="application/ld+json", method="PUT")
def test_store_bodies_never_answer_500_and_a_refusal_writes_nothing(
    fuzz_app, body, media_type, method
):
    app, store = fuzz_app
    client = app.test_client()
    before = sorted_quads(store)
    response = client.open(
        f"/store?graph={SUBMISSION_GRAPH}",
        method=method,
        data=body,
        content_type=media_type,
        headers=basic(),
    )
    assert response.status_code in ACCEPTABLE, response.get_data(as_text=True)
    if response.status_code >= 400:
        assert sorted_quads(store) == before
    still_serving(client)


@WEB
@given(update=texts)
@example(update=f"INSERT DATA {{ GRAPH <{SUBMISSION_GRAPH}> {{ {deep_turtle(3000).decode()} }} }}")
@example(update="LOAD <http://127.0.0.1:1/>")
@example(update="# only a comment")  # no operation: rdflib's translation failed (a 500)
def test_updates_never_answer_500_and_a_refusal_writes_nothing(fuzz_app, update):
    app, store = fuzz_app
    client = app.test_client()
    before = sorted_quads(store)
    response = client.post(
        "/update", data=update, content_type="application/sparql-update", headers=basic()
    )
    assert response.status_code in ACCEPTABLE | {503}, response.get_data(as_text=True)
    if response.status_code >= 400:
        assert sorted_quads(store) == before
    still_serving(client)


@WEB
@given(query=texts)
@example(query=deep_query())
@example(query="SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }")
def test_sparql_query_text_never_answers_500(fuzz_app, query):
    app, _ = fuzz_app
    client = app.test_client()
    response = client.post("/sparql", data={"query": query})
    assert response.status_code in ACCEPTABLE | {503}, response.get_data(as_text=True)
    still_serving(client)
