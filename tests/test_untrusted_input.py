"""Untrusted text is bounded before a parser sees it, and public SPARQL cannot reach the
network. Regression tests for the two anonymous one-request attacks of issue #13:

* a JSON-LD document nested 5,000 levels deep, posted to the public ``/steward/validate``,
  overflowed pyoxigraph's parser stack and killed the server (and ``santegraph validate``
  exited 139);
* ``SERVICE <http://127.0.0.1:PORT/...>`` on the public ``/sparql`` made the server
  fetch any URL (a loopback service, a port scan, a chain back into its own ``/sparql``),
  on the embedded backend and through ``oxigraph serve`` alike;

and for the "billion laughs" RDF/XML body on ``PUT /store`` that grew the server to 23 GB.
"""

from __future__ import annotations

import http.server
import json
import threading

import pytest

from bench.reliability import (  # the attack set, replayed there too
    billion_laughs,
    deep_jsonld,
)
from santegraph.bounds import check_xml_entities, nesting_depth, service_clauses
from santegraph.config import load_settings
from santegraph.errors import InputError
from santegraph.loading import Loader
from santegraph.web import create_app

from .conftest import BASE, MINI, sorted_quads
from .test_steward_web import SUBMISSION_GRAPH, basic, steward_settings

DEPTH = 5000  # what the attack used; pyoxigraph's JSON-LD parser crashes from ~3,000


def deep_turtle(depth: int = DEPTH) -> bytes:
    return (
        f"<{BASE}acteur/x> <http://example.org/p> "
        + "[ <http://example.org/p> " * depth
        + '"x"'
        + " ]" * depth
        + " ."
    ).encode()


def deep_query(depth: int = DEPTH) -> str:
    return "SELECT * WHERE " + "{ " * depth + "}" * depth


# ------------------------------------------------------------------ the lexical scan
@pytest.mark.parametrize(
    ("text", "syntax", "depth"),
    [
        ('{"a": [{"b": "}}}{{{[[["}]}', "json", 3),
        ('{"a": "\\"{{"}', "json", 1),
        ("<http://x/(((> <http://x/p> [ <http://x/q> ( 1 2 ) ] . # ((((", "turtle", 2),
        ('<http://x/s> <http://x/p> """ [[[ \n ((( """ .', "turtle", 0),
        ("<http://x/s> <http://x/p> << <http://x/a> <http://x/b> <http://x/c> >> .", "turtle", 1),
        ("SELECT * { ?s ?p ?o FILTER(?o < 3 && (?o > 1)) }", "sparql", 3),
        (deep_query(), "sparql", DEPTH),
    ],
)
def test_nesting_depth_skips_strings_comments_and_iris(text, syntax, depth):
    assert nesting_depth(text, syntax) == depth


def test_an_unclosed_long_string_is_scanned_in_linear_time():
    # possessive quantifiers: no backtracking from every position
    assert nesting_depth('"""' + "x" * 1_000_000 + "[" * 10, "turtle") == 10


@pytest.mark.parametrize(
    ("query", "targets"),
    [
        ("SELECT * { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }", ["<http://127.0.0.1:1/>"]),
        ("select * { service silent <http://a/> {} }", ["<http://a/>"]),
        ("SELECT * { SERVICE#note\n<http://z/> {} }", ["<http://z/>"]),
        ("SELECT * { SERVICE ?endpoint {} }", ["?endpoint"]),
        ("PREFIX s: <http://x/> SELECT * { SERVICE s:e {} }", ["s:e"]),
        ('SELECT ?service { ?service ?p "SERVICE <http://x/>" } # SERVICE <http://y/>', []),
        ("PREFIX service: <http://x/> SELECT * { service:a ?p <http://x/SERVICE> }", []),
    ],
)
def test_service_clauses_are_found_as_keywords_only(query, targets):
    assert [c.target for c in service_clauses(query)] == targets


# ------------------------------------------------------------------ deep documents
def test_a_deep_jsonld_upload_is_refused_and_the_server_lives(client):
    response = client.post(
        "/steward/validate",
        data={"texte": deep_jsonld().decode(), "format": "jsonld", "sortie": "json"},
    )
    assert response.status_code == 400
    message = response.get_json()["message"]
    assert f"nested {DEPTH + 1} levels deep" in message
    assert "max_nesting_depth" in message
    assert client.get("/healthz").status_code == 200


def test_the_nesting_limit_is_a_setting(store):
    settings = load_settings(
        {"content_dir": str(MINI), "base_iri": BASE, "max_nesting_depth": 3}, environ={}
    )
    Loader(store, settings, progress=False).ensure_content()
    client = create_app(settings, store=store).test_client()
    refused = client.post(
        "/steward/validate",
        data={"texte": deep_jsonld(3).decode(), "format": "jsonld", "sortie": "json"},
    )
    assert refused.status_code == 400
    assert "the limit is 3" in refused.get_json()["message"]
    shallow = client.post(
        "/steward/validate",
        data={"texte": deep_jsonld(1).decode(), "format": "jsonld", "sortie": "json"},
    )
    assert shallow.status_code == 200


@pytest.mark.parametrize(("name", "data"), [("c.jsonld", deep_jsonld()), ("c.ttl", deep_turtle())])
def test_cli_validate_refuses_a_deep_document_with_a_clear_error(run, tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    code, _out, err = run("validate", str(path))
    assert code == 2  # unreadable input, not 139 (a crash)
    assert str(path) in err and "max_nesting_depth" in err


def test_a_deep_query_is_a_400_before_any_parser_sees_it(client):
    response = client.get("/sparql", query_string={"query": deep_query()})
    assert response.status_code == 400
    assert f"nested {DEPTH} levels deep" in response.get_data(as_text=True)
    assert client.get("/sparql", query_string={"query": "ASK {}"}).status_code == 200


# ------------------------------------------------------------------ SERVICE
class _Endpoint(http.server.BaseHTTPRequestHandler):
    """A loopback SPARQL endpoint that counts the requests it receives."""

    hits: list[str]

    def do_GET(self):  # noqa: N802 - http.server's name
        self._answer()

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer()

    def _answer(self):
        self.hits.append(self.path)
        body = json.dumps(
            {
                "head": {"vars": ["x"]},
                "results": {"bindings": [{"x": {"type": "literal", "value": "réponse fictive"}}]},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def loopback_endpoint():
    hits: list[str] = []
    handler = type("Endpoint", (_Endpoint,), {"hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sparql", hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


SERVICE_QUERIES = [
    "SELECT ?x WHERE {{ SERVICE <{url}> {{ ?s ?p ?x }} }}",
    "select ?x where {{ service silent <{url}> {{ ?s ?p ?x }} }}",
    "SELECT ?x WHERE {{ BIND(<{url}> AS ?e) SERVICE ?e {{ ?s ?p ?x }} }}",
    "PREFIX e: <{url}#> SELECT ?x WHERE {{ SERVICE e: {{ ?s ?p ?x }} }}",
    "SELECT ?x WHERE {{ SERVICE # a comment\n <{url}> {{ ?s ?p ?x }} }}",
]


@pytest.mark.parametrize("template", SERVICE_QUERIES)
def test_service_is_refused_on_the_public_endpoint(client, loopback_endpoint, template):
    url, hits = loopback_endpoint
    response = client.post("/sparql", data={"query": template.format(url=url)})
    assert response.status_code == 403
    assert "sparql_service_allowlist" in response.get_data(as_text=True)
    assert hits == []  # the server never fetched the URL


@pytest.mark.parametrize("backend", ["embedded", "remote"])
def test_an_allow_listed_service_is_called(request, loopback_endpoint, backend):
    url, hits = loopback_endpoint
    store = request.getfixturevalue(f"{backend}_store")
    settings = load_settings(
        {"content_dir": str(MINI), "base_iri": BASE, "sparql_service_allowlist": url},
        environ={},
    )
    client = create_app(settings, store=store).test_client()
    query = f"SELECT ?x WHERE {{ SERVICE <{url}> {{ ?s ?p ?x }} }}"
    response = client.post(
        "/sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    values = [b["x"]["value"] for b in response.get_json()["results"]["bindings"]]
    assert values == ["réponse fictive"]
    assert len(hits) == 1
    # another endpoint, or the same one named through a variable, stays refused
    other = client.post(
        "/sparql", data={"query": query.replace(url, url.replace("/sparql", "/autre"))}
    )
    assert other.status_code == 403
    assert len(hits) == 1


# ------------------------------------------------------------------ XML entities
def test_namespace_entities_of_owl_files_are_accepted():
    document = (
        '<!DOCTYPE rdf:RDF [<!ENTITY rdf "http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        "<!ENTITY e 'http://example.org/'>]>"
        '<rdf:RDF xmlns:rdf="&rdf;"><rdf:Description rdf:about="&e;x"/></rdf:RDF>'
    )
    check_xml_entities(document, 1000, source="ok.rdf")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (billion_laughs(), "more than 1000000 bytes"),
        ('<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>', "external"),
        ('<!DOCTYPE r [<!ENTITY % p "x">]><r/>', "parameter"),
        ('<!DOCTYPE r [<!ENTITY a "&b;"><!ENTITY b "&a;">]><r>&a;</r>', "refers to itself"),
    ],
)
def test_entity_bombs_and_external_entities_are_refused(document, message):
    with pytest.raises(InputError, match=message):
        check_xml_entities(document, 1_000_000, source="bomb.rdf")


def test_a_billion_laughs_put_is_refused_and_the_store_is_unchanged(store):
    settings = steward_settings()
    Loader(store, settings, progress=False).ensure_content()
    web = create_app(settings, store=store).test_client()
    before = sorted_quads(store)
    response = web.put(
        f"/store?graph={SUBMISSION_GRAPH}",
        data=billion_laughs(),
        content_type="application/rdf+xml",
        headers=basic(),
    )
    assert response.status_code == 400
    assert "max_entity_expansion_bytes" in response.get_data(as_text=True)
    assert sorted_quads(store) == before
