"""A remote engine stops computing when santegraph gives up on a public query.

santegraph answers 503 at its time limit and closes the connection, but closing a
connection stops no SPARQL server's evaluation: each must be told. Virtuoso takes the
limits per request (``timeout``, ``maxrows``) and answers a stopped query with a partial
200 flagged ``X-SQL-State: S1TAT``; ``oxigraph serve`` takes ``--timeout-s`` (what
docker/compose.yaml starts it with) and ends the body of a 200 with "The SPARQL
operation has been cancelled". Both are read as the query's timeout, never as an answer.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from santegraph.config import Settings, load_settings
from santegraph.store import RemoteStore
from santegraph.web import create_app

from .conftest import BASE, MINI, ROOT, free_port, oxigraph_binary, wait_for_http

EX = "http://example.org/limits/"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
BY_ENGINE = "(the endpoint stopped it at its own limit)"


def settings(**overrides):
    values = {"content_dir": str(MINI), "base_iri": BASE, "backend": "remote"}
    return load_settings({"remote_query_url": "x", **values, **overrides}, environ={})


def sparql(app, query: str):
    return app.test_client().get(
        "/sparql",
        query_string={"query": query},
        headers={"Accept": "application/sparql-results+json"},
    )


# --------------------------------------------------------------------- oxigraph serve
def test_compose_starts_oxigraph_with_santegraph_s_time_limit():
    compose = (ROOT / "docker" / "compose.yaml").read_text(encoding="utf-8")
    limit = re.search(r"- --timeout-s\n\s+- \$\{SANTEGRAPH_QUERY_TIMEOUT:-(\d+)\}", compose)
    assert limit, "oxigraph serve needs --timeout-s: santegraph's 503 does not stop it"
    assert f"SANTEGRAPH_QUERY_TIMEOUT: ${{SANTEGRAPH_QUERY_TIMEOUT:-{limit.group(1)}}}" in compose
    assert float(limit.group(1)) == Settings().query_timeout
    assert "SANTEGRAPH_REMOTE_ENGINE: oxigraph" in compose


@pytest.fixture(scope="module")
def limited_oxigraph(tmp_path_factory):
    """An `oxigraph serve` started as docker/compose.yaml starts it, with a 1 s limit, over
    3,000 triples (a three-way product of them never ends)."""
    port, location = free_port(), tmp_path_factory.mktemp("limited-oxigraph")
    process = subprocess.Popen(
        [
            oxigraph_binary(),
            "serve",
            "--location",
            str(location / "db"),
            "--bind",
            f"127.0.0.1:{port}",
            "--union-default-graph",
            "--timeout-s",
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + "/query", process=process, timeout=60)
        store = RemoteStore(base + "/query", base + "/update", engine="oxigraph", timeout=60)
        triples = "\n".join(f"<{EX}s{i}> <{EX}rank> {i} ." for i in range(3000))
        store.update(f"INSERT DATA {{ GRAPH <{EX}g> {{ {triples} }} }}")
        yield store, process.pid
        store.close()
    finally:
        process.kill()
        process.wait()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks


def wait_until_idle(pid: int, bound: float = 60.0) -> None:
    """Until the process uses no CPU between two looks 0.5 s apart (fails after ``bound``)."""
    deadline = time.monotonic() + bound
    before = cpu_seconds(pid)
    while True:
        time.sleep(0.5)
        now = cpu_seconds(pid)
        if now == before:
            return
        assert time.monotonic() < deadline, f"still computing after {bound} s"
        before = now


def test_oxigraph_stops_the_query_santegraph_gave_up_on(limited_oxigraph):
    """santegraph's limit (0.5 s) comes first: its 503; Oxigraph's own then frees its CPU."""
    store, pid = limited_oxigraph
    response = sparql(create_app(settings(query_timeout=0.5), store=store), RUNAWAY)
    assert response.status_code == 503
    wait_until_idle(pid)


def test_oxigraph_stopping_a_query_itself_is_a_timeout_not_an_answer(limited_oxigraph):
    """Oxigraph's limit (1 s) comes first: a 200 whose body ends in its message. It was a
    502 'malformed results' (a partial JSON, read as the server's fault)."""
    store, _ = limited_oxigraph
    response = sparql(create_app(settings(query_timeout=30), store=store), RUNAWAY)
    assert response.status_code == 503
    assert response.get_data(as_text=True).strip() == (
        f"query exceeded the time limit of 30 s {BY_ENGINE}"
    )


# --------------------------------------------------------------------- Virtuoso
# Passes Virtuoso's cost estimate (a three-way product of everything is refused up front),
# never ends over its ~2,500 system triples, and lets Virtuoso stop within ~0.1 s of its
# limit (a costlier filter, e.g. REGEX, made it stop 1.7 s late).
VIRTUOSO_RUNAWAY = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g a ?t . FILTER(STR(?c) != STR(?f)) }"
)


@pytest.mark.virtuoso
def test_virtuoso_is_given_the_time_limit(virtuoso_store):
    """santegraph passes its time left (less a margin, in Virtuoso's 2 s steps) as
    Virtuoso's `timeout` with every public query: the runaway gets its 503 at the limit.
    Which of the two stops first depends on the machine's load (Virtuoso overshoots its
    step), so the message may or may not say the engine stopped it; the next test shows
    that Virtuoso does stop, and how that reads."""
    sent = []
    given = virtuoso_store.limit_fields

    def recording(seconds, rows):
        sent.append(given(seconds, rows))
        return sent[-1]

    virtuoso_store.limit_fields = recording
    app = create_app(settings(query_timeout=3, remote_engine="virtuoso"), store=virtuoso_store)
    response = sparql(app, VIRTUOSO_RUNAWAY)
    assert response.status_code == 503
    assert response.get_data(as_text=True).startswith("query exceeded the time limit of 3 s")
    [fields] = sent
    assert ("timeout", "2000") in fields


@pytest.mark.virtuoso
def test_virtuoso_stops_at_the_limit_it_was_given_and_says_so(virtuoso_store):
    """Told 2 s while santegraph would wait 60, Virtuoso stops the runaway itself (it never
    ends otherwise) and answers a partial 200 with X-SQL-State: S1TAT: read as the
    query's timeout, never as an answer. It was never told, and went on after the 503."""
    virtuoso_store.limit_fields = lambda seconds, rows: [("timeout", "2000")]
    app = create_app(settings(query_timeout=60, remote_engine="virtuoso"), store=virtuoso_store)
    response = sparql(app, VIRTUOSO_RUNAWAY)
    assert response.status_code == 503
    assert response.get_data(as_text=True).strip() == (
        f"query exceeded the time limit of 60 s {BY_ENGINE}"
    )


@pytest.mark.virtuoso
def test_virtuoso_is_given_the_result_cap(virtuoso_store):
    """Virtuoso's `maxrows` is one more than the cap: it stops there, santegraph refuses
    the answer whole (403), as on every backend."""
    assert virtuoso_store.limit_fields(10.0, 5) == [("timeout", "8000"), ("maxrows", "6")]
    assert virtuoso_store.limit_fields(3.0, 0) == [("timeout", "2000")]  # 2 s steps
    rank = ox.NamedNode(EX + "rank")
    virtuoso_store.replace_graphs(
        {EX + "g": [ox.Triple(ox.NamedNode(f"{EX}s{i}"), rank, ox.Literal(i)) for i in range(20)]}
    )
    app = create_app(settings(result_limit=5, remote_engine="virtuoso"), store=virtuoso_store)
    query = f"SELECT ?s WHERE {{ ?s <{EX}rank> ?r }} ORDER BY ?r"
    assert sparql(app, query).status_code == 403
    page = sparql(app, query + " LIMIT 5")
    assert page.status_code == 200
    rows = json.loads(page.data)["results"]["bindings"]
    assert [r["s"]["value"] for r in rows] == [f"{EX}s{i}" for i in range(5)]


def test_other_engines_get_no_engine_parameter():
    """An unknown server gets nothing it could misread (Fuseki's `timeout` is in seconds,
    Virtuoso's in milliseconds)."""
    assert RemoteStore("http://127.0.0.1:9/q", engine="other").limit_fields(10.0, 5) == []
    assert RemoteStore("http://127.0.0.1:9/q", engine="oxigraph").limit_fields(10.0, 5) == []
