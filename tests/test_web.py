"""The Flask app through its test client, on both backends, with the tiny content loaded."""

import json
import subprocess
import sys

import pyoxigraph as ox
import pytest
import requests
from bs4 import BeautifulSoup

from .conftest import BASE, MINI, free_port, wait_for_http

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
COMMUNES = (
    "PREFIX sg: <https://w3id.org/santegraph/def#> SELECT ?c WHERE { ?c a sg:Commune } ORDER BY ?c"
)


def bindings(response, var):
    return [b[var]["value"] for b in json.loads(response.data)["results"]["bindings"]]


def test_healthz_reports_backend_and_liveness(client, store):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok"
    assert body["backend"] == store.backend
    assert body["writes_enabled"] is False
    assert "triples" not in body  # sizes are in the dataset description
    void = client.get(body["dataset_description"], headers={"Accept": "text/turtle"})
    assert void.status_code == 200 and b"void:triples" in void.data


def test_healthz_reads_no_data(client, store, monkeypatch):
    """A liveness probe must not scan the store (a count takes seconds at 2.5 M quads)."""

    def scan(*args, **kwargs):
        raise AssertionError("/healthz scanned the store")

    for name in ("count_triples", "graph_sizes", "quads", "select", "list_graphs"):
        monkeypatch.setattr(store, name, scan)
    assert client.get("/healthz").get_json()["status"] == "ok"


def test_healthz_is_503_when_the_endpoint_is_unreachable(settings):
    from santegraph.store import RemoteStore
    from santegraph.web import create_app

    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    store = RemoteStore(url + "/query", url + "/update", url + "/store", timeout=5)
    response = create_app(settings, store=store).test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable" and body["backend"] == "remote"
    assert url in body["error"]


def test_sparql_get_answers_json(client):
    response = client.get(
        "/sparql",
        query_string={"query": COMMUNES},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200
    assert response.mimetype == "application/sparql-results+json"
    assert bindings(response, "c") == [
        BASE + "territoire/commune/59183",
        BASE + "territoire/commune/59350",
    ]


def test_sparql_post_form_and_direct_body_give_the_same_answer(client):
    direct = client.post(
        "/sparql",
        data=COMMUNES.encode(),
        content_type="application/sparql-query",
        headers={"Accept": "application/sparql-results+json"},
    )
    form = client.post(
        "/sparql", data={"query": COMMUNES}, headers={"Accept": "application/sparql-results+json"}
    )
    assert bindings(direct, "c") == bindings(form, "c")
    assert len(bindings(form, "c")) == 2


@pytest.mark.parametrize(
    "accept,expected,marker",
    [
        ("text/csv", "text/csv", "c\r\n"),
        ("text/tab-separated-values", "text/tab-separated-values", "?c\n"),
        ("application/sparql-results+xml", "application/sparql-results+xml", "<sparql"),
    ],
)
def test_select_content_negotiation(client, accept, expected, marker):
    response = client.get("/sparql", query_string={"query": COMMUNES}, headers={"Accept": accept})
    assert response.mimetype == expected
    assert response.get_data(as_text=True).startswith(marker) or marker in response.get_data(
        as_text=True
    )
    assert "territoire/commune/59350" in response.get_data(as_text=True)


def test_format_parameter_is_a_fallback_for_accept(client):
    response = client.get("/sparql", query_string={"query": COMMUNES, "format": "csv"})
    assert response.mimetype == "text/csv"


def test_construct_as_turtle_parses(client):
    query = "PREFIX sg: <https://w3id.org/santegraph/def#> CONSTRUCT WHERE { ?c a sg:Commune }"
    response = client.get(
        "/sparql", query_string={"query": query}, headers={"Accept": "text/turtle"}
    )
    assert response.mimetype == "text/turtle"
    assert len(list(ox.parse(response.data, format=ox.RdfFormat.TURTLE))) == 2


def test_unacceptable_format_is_406(client):
    response = client.get(
        "/sparql", query_string={"query": COMMUNES}, headers={"Accept": "image/png"}
    )
    assert response.status_code == 406
    assert "application/sparql-results+json" in response.get_data(as_text=True)


def test_malformed_query_is_400_with_the_parser_message(client):
    response = client.get("/sparql", query_string={"query": "SELECT ?s WHERE { ?s ?p }"})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Traceback" not in text
    assert "error" in text.lower()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"method": "GET", "query_string": {"update": "DROP ALL"}},
        {"method": "POST", "data": {"update": "DROP ALL"}},
        {"method": "POST", "data": b"DROP ALL", "content_type": "application/sparql-update"},
        {"method": "GET", "query_string": {"query": "DROP ALL"}},
    ],
)
def test_updates_are_refused_and_change_nothing(client, store, kwargs):
    before = store.count_triples()
    response = client.open("/sparql", **kwargs)
    assert response.status_code == 403
    assert "read-only" in response.get_data(as_text=True)
    assert store.count_triples() == before


def test_dataset_parameters_restrict_the_default_graph(client):
    response = client.get(
        "/sparql",
        query_string={
            "query": "SELECT ?c WHERE { ?c ?p ?o }",
            "default-graph-uri": BASE + "graph/acteurs/cpts",
        },
        headers={"Accept": "application/sparql-results+json"},
    )
    assert set(bindings(response, "c")) == {BASE + "acteur/cpts-sud-metropole-lilloise"}


def test_home_page_is_in_french_and_shows_the_size(client, store):
    page = BeautifulSoup(client.get("/").data, "html.parser")
    assert page.html["lang"] == "fr"
    assert "Qui fait quoi" in page.h1.text
    assert str(store.count_triples()) in page.text


def test_sparql_page_for_browsers(client):
    response = client.get("/sparql", headers={"Accept": "text/html"})
    page = BeautifulSoup(response.data, "html.parser")
    assert page.find("textarea", attrs={"name": "query"}) is not None


def test_unknown_page_is_a_404_without_internals(client):
    response = client.get("/nope", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["error"] == "Not Found"


def test_error_pages_speak_french(client, monkeypatch):
    """A browser gets the site's page in French, with a way on: never Werkzeug's English
    page or a JSON body, for an unknown address (404) as for a bug (500)."""
    response = client.get("/nope", headers={"Accept": "text/html"})
    assert response.status_code == 404
    page = BeautifulSoup(response.data, "html.parser")
    assert page.html["lang"] == "fr"
    assert page.h1.text == "Page introuvable"
    assert "not found" not in page.text.lower()
    assert page.find("a", string="Revenir à l'accueil")["href"] == "/"
    assert page.find("a", class_="evitement")["href"] == "#contenu"  # skip link
    # a view's own (French) description is kept
    response = client.get("/publics/nope", headers={"Accept": "text/html"})
    assert "Ce public n'existe pas" in BeautifulSoup(response.data, "html.parser").text

    from santegraph.web import pages

    def broken():
        raise RuntimeError("boom: internal detail")

    monkeypatch.setattr(pages, "service", broken)
    response = client.get("/publics", headers={"Accept": "text/html"})
    assert response.status_code == 500
    page = BeautifulSoup(response.data, "html.parser")
    assert page.h1.text == "Erreur du service"
    assert "boom" not in page.text
    response = client.get("/publics", headers={"Accept": "application/json"})
    assert response.status_code == 500
    assert response.get_json()["message"] == "unexpected error, logged"


def test_santegraph_serve_answers_over_http(tmp_path):
    """The real command: first run loads the content, then healthz and SPARQL answer."""
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "santegraph.cli",
            "--store-path",
            str(tmp_path / "store"),
            "--content-dir",
            str(MINI),
            "serve",
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", timeout=60, process=process)
        health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).json()
        assert health["backend"] == "embedded" and health["status"] == "ok"
        answer = requests.get(
            f"http://127.0.0.1:{port}/sparql",
            params={"query": COUNT},
            headers={"Accept": "application/sparql-results+json"},
            timeout=10,
        )
        count = int(answer.json()["results"]["bindings"][0]["n"]["value"])
        assert count > 20  # the content was loaded
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
    assert "santegraph on http://127.0.0.1" in (tmp_path / "serve.log").read_text()
