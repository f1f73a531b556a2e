"""`/sparql` as a SPARQL 1.1 Protocol service, on every backend: the W3C protocol test
cases that apply to a read-only query service, the service description, HEAD, OPTIONS,
CORS, error statuses, and the query editor page (YASGUI served from the package).

W3C cases (``rdf-tests/sparql/sparql11/protocol/manifest.ttl``) are read from the
manifest and run as written, except:

* ``update_*`` (7 cases) expect the update to succeed: this endpoint is read-only by
  design, so each of their update requests is sent and must be refused (403) with the
  store unchanged (``test_w3c_update_cases_are_refused``);
* nothing else is skipped. ``bad_update_*`` expect a 4xx, which a read-only endpoint
  gives them as written.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from pathlib import Path
from xml.etree import ElementTree

import pyoxigraph as ox
import pytest
import rdflib
from bs4 import BeautifulSoup

from .conftest import BASE, ROOT, sorted_quads
from .external import W3C_SUITES

W3C = (W3C_SUITES.path or Path()) / "rdf-tests" / "sparql" / "sparql11" / "protocol"
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = rdflib.Namespace("http://www.w3.org/ns/formats/")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
ASK_ALL = "ASK { ?s ?p ?o }"
COMMUNES = (
    "PREFIX sg: <https://w3id.org/santegraph/def#> SELECT ?c WHERE { ?c a sg:Commune } ORDER BY ?c"
)
RDF_TYPES = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
    "application/n-triples": "nt",
    "application/n-quads": "nquads",
    "application/trig": "trig",
}


def rdf_graph(data: bytes, media_type: str) -> rdflib.Graph:
    """An answer in an RDF syntax as an rdflib graph (quad syntaxes read by pyoxigraph:
    rdflib reads them into a Dataset only)."""
    if media_type in ("application/n-quads", "application/trig"):
        quads = ox.parse(data, format=ox.RdfFormat.from_media_type(media_type))
        triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
        data, media_type = (
            ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES),
            "application/n-triples",
        )
    return rdflib.Graph().parse(data=data, format=RDF_TYPES[media_type])


EDITOR_PREFIXES = ("sg", "skos", "dct", "prov", "org", "schema", "cv", "rdfs", "rdf", "xsd")


# --------------------------------------------------------------------- W3C protocol suite
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = rdflib.Namespace("http://www.w3.org/2011/http-statusCodes#")


def _w3c_cases() -> list:
    if W3C_SUITES.path is None:
        return [W3C_SUITES.skipped_case()]
    manifest = W3C / "manifest.ttl"
    graph = rdflib.Graph().parse(manifest, format="turtle")
    entries = rdflib.collection.Collection(
        graph, graph.value(rdflib.URIRef(manifest.as_uri()), MF.entries)
    )
    cases = []
    for entry in entries:
        name = str(entry).rsplit("#", 1)[-1]
        action = graph.value(entry, MF.action)
        requests_ = []
        for request in rdflib.collection.Collection(graph, graph.value(action, HT.requests)):
            headers = {}
            header_list = graph.value(request, HT.headers)
            for header in rdflib.collection.Collection(graph, header_list) if header_list else []:
                headers[str(graph.value(header, HT.fieldName))] = str(
                    graph.value(header, HT.fieldValue)
                )
            body = graph.value(request, HT.body)
            response = graph.value(request, HT.resp)
            expected_boolean = graph.value(response, MF.expectedBoolean)
            requests_.append(
                {
                    "method": str(graph.value(request, HT.methodName)),
                    "path": str(graph.value(request, HT.absolutePath)),
                    "headers": headers,
                    "body": str(graph.value(body, CNT.chars)) if body is not None else None,
                    "status": sorted(
                        str(s).rsplit("#StatusCode", 1)[-1][0]
                        for s in graph.objects(response, MF.expectedStatus)
                    ),
                    "format": str(graph.value(response, MF.expectedFormat) or ""),
                    "boolean": None if expected_boolean is None else expected_boolean.toPython(),
                }
            )
        graphs = {
            str(graph.value(d, rdflib.RDFS.label)): W3C
            / str(graph.value(d, UT.graph)).rsplit("/", 1)[-1]
            for d in graph.objects(entry, UT.graphData)
        }
        cases.append(pytest.param({"requests": requests_, "graphs": graphs}, id=name))
    return cases


W3C_CASES = _w3c_cases()
UPDATE_CASES = [c for c in W3C_CASES if c.id.startswith("update_")] or [W3C_SUITES.skipped_case()]
QUERY_CASES = [c for c in W3C_CASES if not c.id.startswith("update_")]


def _load_w3c_graphs(store, graphs: dict[str, Path]) -> None:
    if graphs:
        store.add_to_graphs(
            {
                name: list(ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES))
                for name, path in graphs.items()
            }
        )


def _send(client, request: dict):
    path = request["path"]
    assert path.startswith("/sparql/")
    path = "/sparql" + path[len("/sparql/") :]
    headers = dict(request["headers"])
    content_type = headers.pop("content-type", None)
    body = request["body"]
    charset = re.search(r"charset=([\w-]+)", content_type or "")
    data = body.encode(charset.group(1) if charset else "utf-8") if body is not None else None
    return client.open(
        path, method=request["method"], data=data, content_type=content_type, headers=headers
    )


def _check_format(response, expected_format: str, expected_boolean) -> None:
    media_type = response.mimetype
    body = response.get_data()
    if expected_format == "boolean":
        assert media_type in ("application/sparql-results+json", "application/sparql-results+xml")
        if media_type.endswith("json"):
            value = json.loads(body)["boolean"]
        else:
            node = ElementTree.fromstring(body).find(
                "{http://www.w3.org/2005/sparql-results#}boolean"
            )
            value = node.text.strip() == "true"
        if expected_boolean is not None:
            assert value is expected_boolean
    elif expected_format == "tabular":
        assert media_type in (
            "application/sparql-results+json",
            "application/sparql-results+xml",
            "text/csv",
            "text/tab-separated-values",
        )
        if media_type.endswith("json"):
            assert json.loads(body)["results"]["bindings"][0]["value"]["value"] == "1"
    elif expected_format == "RDF":
        assert media_type in ("application/rdf+xml", "text/turtle", "application/n-triples")
        rdflib.Graph().parse(data=body, format=RDF_TYPES[media_type])


@pytest.mark.parametrize("case", QUERY_CASES)
def test_w3c_protocol_query_cases(client, store, case):
    _load_w3c_graphs(store, case["graphs"])
    for request in case["requests"]:
        response = _send(client, request)
        status_class = str(response.status_code)[0]
        assert status_class in request["status"], response.get_data(as_text=True)
        if status_class == "2":
            _check_format(response, request["format"], request["boolean"])


@pytest.mark.parametrize("case", UPDATE_CASES)
def test_w3c_update_cases_are_refused(client, store, case):
    _load_w3c_graphs(store, case["graphs"])
    before = sorted_quads(store)
    updates = [
        r
        for r in case["requests"]
        if "update" in r["headers"].get("content-type", "")
        or (r["body"] or "").startswith("update=")
    ]
    assert updates
    for request in updates:
        response = _send(client, request)
        assert response.status_code == 403
        assert "read-only" in response.get_data(as_text=True)
    assert sorted_quads(store) == before


# --------------------------------------------------------------------- service description
@pytest.mark.parametrize("media_type", list(RDF_TYPES))
def test_service_description_in_every_rdf_format(client, store, media_type):
    response = client.get("/sparql", headers={"Accept": media_type})
    assert response.status_code == 200
    assert response.mimetype == media_type
    if media_type != "application/n-triples":  # UTF-8 by definition, no charset parameter
        assert response.mimetype_params["charset"] == "utf-8"
    graph = rdf_graph(response.get_data(), media_type)
    service = graph.value(predicate=rdflib.RDF.type, object=SD.Service)
    assert service is not None
    assert graph.value(service, SD.endpoint) == rdflib.URIRef("http://localhost/sparql")
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (service, SD.feature, SD.UnionDefaultGraph) in graph
    assert set(graph.objects(service, SD.resultFormat)) == {
        FORMATS[f]
        for f in (
            "SPARQL_Results_JSON",
            "SPARQL_Results_XML",
            "SPARQL_Results_CSV",
            "SPARQL_Results_TSV",
            "Turtle",
            "N-Triples",
            "RDF_XML",
            "JSON-LD",
            "N-Quads",
            "TriG",
        )
    }
    dataset = graph.value(service, SD.defaultDataset)
    assert graph.value(dataset, SD.defaultGraph) is not None
    names = {
        str(graph.value(named, SD.name)): int(
            graph.value(graph.value(named, SD.graph), VOID.triples)
        )
        for named in graph.objects(dataset, SD.namedGraph)
    }
    assert names == dict(store.graph_sizes())
    assert BASE + "graph/acteurs/cpts" in names


def test_service_description_endpoint_is_the_requested_url(client):
    response = client.get(
        "/sparql", base_url="https://sante.example.org:8443", headers={"Accept": "text/turtle"}
    )
    graph = rdflib.Graph().parse(data=response.get_data(), format="turtle")
    assert set(graph.objects(None, SD.endpoint)) == {
        rdflib.URIRef("https://sante.example.org:8443/sparql")
    }


def test_without_query_curl_gets_the_description_and_json_clients_a_400(client):
    curl = client.get("/sparql", headers={"Accept": "*/*"})
    assert curl.mimetype == "text/turtle"
    assert (None, rdflib.RDF.type, SD.Service) in rdflib.Graph().parse(
        data=curl.get_data(), format="turtle"
    )
    json_client = client.get("/sparql", headers={"Accept": "application/sparql-results+json"})
    assert json_client.status_code == 400
    assert "query" in json_client.get_data(as_text=True)


# --------------------------------------------------------------------- HEAD, OPTIONS, CORS
@pytest.mark.parametrize(
    "query_string, accept",
    [
        ({"query": COMMUNES}, "application/sparql-results+json"),
        ({"query": COMMUNES}, "text/csv"),
        ({"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, "text/turtle"),
        ({}, "text/turtle"),
        ({}, "text/html"),
    ],
)
def test_head_has_the_headers_of_get_and_no_body(client, query_string, accept):
    get = client.get("/sparql", query_string=query_string, headers={"Accept": accept})
    head = client.head("/sparql", query_string=query_string, headers={"Accept": accept})
    assert get.status_code == head.status_code == 200
    assert head.mimetype == get.mimetype
    assert get.get_data() and head.get_data() == b""
    assert head.headers.get("Access-Control-Allow-Origin") == "*"
    assert head.headers.get("Content-Length") in (None, get.headers.get("Content-Length"))


def test_head_of_a_bad_query_is_a_400_too(client):
    head = client.head("/sparql", query_string={"query": "SELECT ?s WHERE { ?s ?p }"})
    assert head.status_code == 400
    assert head.get_data() == b""


def test_options_is_a_cors_preflight(client):
    response = client.options(
        "/sparql",
        headers={
            "Origin": "https://yasgui.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 204
    assert response.get_data() == b""
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert {"GET", "HEAD", "POST", "OPTIONS"} <= allowed
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    methods = {m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")}
    assert {"GET", "POST"} <= methods
    headers = response.headers["Access-Control-Allow-Headers"].lower()
    assert "content-type" in headers and "accept" in headers
    assert "Access-Control-Allow-Credentials" not in response.headers


@pytest.mark.parametrize(
    "path, cors, status",
    [
        ("/sparql?query=ASK%7B%7D", True, 200),
        ("/ontology.ttl", True, 404),  # the tiny content has no graph/ontology/santegraph
        ("/.well-known/void", True, 200),
        ("/dump.nq.gz", True, 200),  # a browser client may fetch the dump too
        ("/context.jsonld", True, 200),
        ("/healthz", False, 200),
        ("/nope", False, 404),
    ],
)
def test_cors_only_on_public_resources(client, path, cors, status):
    response = client.get(path, headers={"Origin": "https://elsewhere.example"})
    assert response.status_code == status
    assert (response.headers.get("Access-Control-Allow-Origin") == "*") is cors


def test_cors_headers_on_errors_too(client):
    """A browser client must be able to read the 400 message of a bad query."""
    response = client.get("/sparql", query_string={"query": "SELECT ?s WHERE { ?s ?p }"})
    assert response.status_code == 400
    assert response.headers["Access-Control-Allow-Origin"] == "*"


# --------------------------------------------------------------------- request errors
def test_several_query_parameters_are_a_400(client):
    response = client.get("/sparql?query=ASK%7B%7D&query=ASK%7B%7D")
    assert response.status_code == 400
    assert "one `query`" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/json",
        "application/sparql-query; charset=UTF-16",
        "application/sparql-query; charset=ISO-8859-1",
    ],
)
def test_wrong_content_type_is_a_415(client, content_type):
    response = client.post("/sparql", data=ASK_ALL.encode(), content_type=content_type)
    assert response.status_code == 415
    assert "application/sparql-query" in response.get_data(as_text=True) or (
        "UTF-8" in response.get_data(as_text=True)
    )


def test_direct_post_with_charset_utf8_is_accepted(client):
    response = client.post(
        "/sparql",
        data=ASK_ALL.encode(),
        content_type="application/sparql-query; charset=UTF-8",
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200
    assert json.loads(response.data)["boolean"] is True


def test_an_unknown_function_is_a_501_not_a_syntax_error(client):
    """A valid query calling an extension function the engine lacks (W3C syntax-query
    test_4): the engine cannot evaluate it, the client did nothing wrong. It was a 400
    (embedded) or a 502 (relaying oxigraph serve's or Virtuoso's 500)."""
    query = "SELECT (<http://example.org/function>(1) AS ?x) WHERE {}"
    response = client.get("/sparql", query_string={"query": query})
    assert response.status_code == 501
    text = response.get_data(as_text=True)
    assert "valid SPARQL" in text and "<http://example.org/function>" in text


def test_malformed_query_reports_the_parser_position(client):
    response = client.get("/sparql", query_string={"query": "SELECT ?s WHERE {\n  ?s ?p }"})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    # oxigraph: "error at 2:9: ..."; Virtuoso: "... line 2: syntax error at '}' ..."
    assert re.search(r"\b2:\d+|line 2", text), text


@pytest.mark.parametrize(
    "fmt, media_type",
    [
        ("json", "application/sparql-results+json"),
        ("tsv", "text/tab-separated-values"),
        ("XML", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
    ],
)
def test_format_parameter_overrides_a_browser_accept(client, fmt, media_type):
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get(
        "/sparql", query_string={"query": COMMUNES, "format": fmt}, headers={"Accept": browser}
    )
    assert response.status_code == 200
    assert response.mimetype == media_type


def test_format_of_another_kind_falls_back_to_accept(client):
    query_string = {"query": COMMUNES, "format": "ttl"}
    response = client.get("/sparql", query_string=query_string, headers={"Accept": "text/csv"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    refused = client.get("/sparql", query_string=query_string, headers={"Accept": "text/turtle"})
    assert refused.status_code == 406
    assert "text/csv" in refused.get_data(as_text=True)


def test_an_unknown_format_name_is_a_400_listing_the_known_ones(client):
    """Not silently ignored: a typo in format= would otherwise give another format."""
    response = client.get("/sparql", query_string={"query": COMMUNES, "format": "jsno"})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Unknown format 'jsno'" in text
    assert "csv, json, tsv, xml" in text  # the names of SELECT results
    graph = client.get(
        "/sparql", query_string={"query": "CONSTRUCT WHERE { ?s a ?o }", "format": "x"}
    )
    assert graph.status_code == 400
    assert "nq, nquads, nt, ntriples, rdf, rdf+xml, rdfxml, trig, ttl, turtle" in graph.get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    "accept, media_type",
    [
        ("application/sparql-results+json; charset=utf-8", "application/sparql-results+json"),
        ("text/csv;charset=UTF-8;q=0.9, text/html;q=0.8", "text/csv"),
        ("application/*", "application/sparql-results+json"),
        ("text/*;q=0.5, text/tab-separated-values", "text/tab-separated-values"),
    ],
)
def test_accept_with_parameters_and_wildcards(client, accept, media_type):
    response = client.get("/sparql", query_string={"query": COMMUNES}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert response.mimetype_params["charset"] == "utf-8"  # JSON results too


@pytest.mark.parametrize("media_type", ["application/n-quads", "application/trig"])
def test_construct_answers_in_the_dump_syntaxes(client, media_type):
    """N-Quads and TriG, what /dump.nq.gz and `santegraph export` use: the triples of a
    CONSTRUCT are in the default graph."""
    response = client.get(
        "/sparql",
        query_string={"query": "CONSTRUCT WHERE { ?s a ?o }"},
        headers={"Accept": media_type},
    )
    assert response.status_code == 200
    assert response.mimetype == media_type
    quads = list(ox.parse(response.data, format=ox.RdfFormat.from_media_type(media_type)))
    assert quads and all(isinstance(q.graph_name, ox.DefaultGraph) for q in quads)


@pytest.mark.parametrize(
    "formats, media_type",
    [
        (["xml"], "application/rdf+xml"),
        (["json"], "application/ld+json"),
        (["rdf+xml", "application/rdf+xml"], "application/rdf+xml"),
        (["n3"], "text/turtle"),
        (["nt"], "application/n-triples"),
        (["nq"], "application/n-quads"),
        (["trig"], "application/trig"),
    ],
)
def test_format_names_of_graph_results(client, formats, media_type):
    """The values SPARQLWrapper and others send for CONSTRUCT results."""
    query = "CONSTRUCT WHERE { ?s a ?o }"
    response = client.get(
        "/sparql", query_string=[("query", query)] + [("format", f) for f in formats]
    )
    assert response.status_code == 200
    assert response.mimetype == media_type
    graph = rdf_graph(response.get_data(), media_type)
    assert len(graph) > 0


def test_put_is_a_405(client):
    response = client.put("/sparql", data={"query": ASK_ALL})
    assert response.status_code == 405


# --------------------------------------------------------------------- the editor page
VENDOR = ROOT / "src" / "santegraph" / "web" / "static" / "vendor" / "yasgui"


def test_editor_page_serves_yasgui_from_the_package(client):
    page = BeautifulSoup(client.get("/sparql", headers={"Accept": "text/html"}).data, "html.parser")
    scripts = [s["src"] for s in page.find_all("script", src=True)]
    styles = [link["href"] for link in page.find_all("link", rel="stylesheet")]
    assert "/static/vendor/yasgui/yasgui.min.js" in scripts
    assert "/static/vendor/yasgui/yasgui.min.css" in styles
    assert "/static/sparql.js" in scripts
    # offline: nothing is fetched from another origin
    for url in scripts + styles:
        assert not urllib.parse.urlsplit(url).netloc, url
    for url in [u for u in scripts + styles if "/vendor/" in u or u.endswith("sparql.js")]:
        asset = client.get(url)
        try:
            assert asset.status_code == 200 and len(asset.data) > 1000, url
        finally:
            asset.close()
    assert (VENDOR / "LICENSE").read_text().startswith("The MIT License")
    assert "@zazuko/yasgui" in (VENDOR / "README.md").read_text()


def test_editor_config_posts_to_this_endpoint_with_the_vocabulary_prefixes(client):
    page = BeautifulSoup(client.get("/sparql", headers={"Accept": "text/html"}).data, "html.parser")
    config = json.loads(page.find("script", id="sparql-config").string)
    assert config["endpoint"] == "http://localhost/sparql"
    assert config["prefixes"]["sg"] == "https://w3id.org/santegraph/def#"
    assert set(EDITOR_PREFIXES) <= set(config["prefixes"])
    for prefix in EDITOR_PREFIXES:
        assert f"PREFIX {prefix}: <{config['prefixes'][prefix]}>" in config["defaultQuery"]
    # IRIs in results link to this site's pages
    assert [BASE, "/id/"] in config["links"]
    assert ["https://w3id.org/santegraph/def#", "/ontology#"] in config["links"]
    assert [f[0] for f in config["formats"]["solutions"]] == ["json", "xml", "csv", "tsv"]


def test_editor_page_works_without_javascript(client, store):
    """The plain form posts the query; its pre-filled query runs as it is."""
    page = BeautifulSoup(client.get("/sparql", headers={"Accept": "text/html"}).data, "html.parser")
    form = page.find("form", id="sparql-form")
    assert form["method"] == "post" and form["action"] == "/sparql"
    query = form.find("textarea", attrs={"name": "query"}).text
    assert query.startswith("PREFIX sg: <https://w3id.org/santegraph/def#>")
    formats = [o["value"] for o in form.find("select", attrs={"name": "format"}).find_all("option")]
    assert formats == ["json", "xml", "csv", "tsv", "ttl", "nt", "rdfxml", "jsonld"]
    answer = client.post("/sparql", data={"query": query, "format": "json"})
    assert answer.status_code == 200
    names = {b["nom"]["value"] for b in json.loads(answer.data)["results"]["bindings"]}
    assert "CPTS Sud Métropole Lilloise" in names


def test_editor_page_escapes_what_it_shows(client):
    """An example name in the URL is looked up, never echoed into the page."""
    evil = "<script>alert(1)</script>"
    response = client.get(
        "/sparql", query_string={"example": evil}, headers={"Accept": "text/html"}
    )
    assert response.status_code == 200
    assert evil.encode() not in response.data
