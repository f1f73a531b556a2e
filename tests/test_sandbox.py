"""Public /sparql queries: stopped at the time limit, refused over the result cap, isolated.

Through the real Flask app, on the embedded backend (worker processes over a snapshot)
and on a real `oxigraph serve` (deadline on the HTTP exchange). See the sandbox package and
docs/decisions/0003-query-isolation.md.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import threading
import time

import pyoxigraph as ox
import pytest

from santegraph import results, sandbox
from santegraph.config import load_settings
from santegraph.errors import StoreError
from santegraph.sandbox import EmbeddedRunner, QueryBusy
from santegraph.store import EmbeddedStore, RemoteStore
from santegraph.web import create_app

from .conftest import BASE, MINI, free_port, oxigraph_binary, wait_for_http

EX = "http://example.org/"
GRAPH = EX + "g"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SIMPLE = f"SELECT ?o WHERE {{ <{EX}s7> ?p ?o }}"
TWENTY_FIVE = f"SELECT ?s WHERE {{ ?s <{EX}rank> ?r FILTER(?r < 25) }} ORDER BY ?r"
OVER_THE_CAP = (
    "the answer holds more than 10 rows, the most this endpoint sends in one answer "
    "(setting result_limit); nothing was sent. Ask for at most 10 rows with LIMIT, and page "
    "through the rest with ORDER BY plus LIMIT and OFFSET (LIMIT 10 OFFSET 0, then OFFSET "
    "10, ...)."
)


def quads(n: int = 3000) -> list[ox.Quad]:
    return [
        ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(EX + "rank"), ox.Literal(i), GRAPH_NODE)
        for i in range(n)
    ]


GRAPH_NODE = ox.NamedNode(GRAPH)


def make_settings(**overrides):
    values = {"content_dir": str(MINI), "base_iri": BASE, "query_timeout": 1, "result_limit": 10}
    return load_settings(values | overrides, environ={})


def filled_store() -> EmbeddedStore:
    store = EmbeddedStore(":memory:")
    store.replace_graphs({GRAPH: quads()})
    return store


@pytest.fixture
def big_store():
    store = filled_store()
    yield store
    store.close()


def app_over(store):
    app = create_app(make_settings(), store=store)
    yield app
    app.extensions["santegraph"].query_runner.close()


@pytest.fixture
def app(big_store):
    """An app of its own: for tests that write, or kill workers."""
    yield from app_over(big_store)


@pytest.fixture(scope="module")
def shared_app():
    """One app for the tests that only read (workers and snapshot made once)."""
    store = filled_store()
    yield from app_over(store)
    store.close()


def runner_of(app):
    return app.extensions["santegraph"].query_runner


def get(app, query, accept="application/sparql-results+json", **params):
    """A request from a fresh client (one per thread), with its duration in seconds."""
    started = time.monotonic()
    response = app.test_client().get(
        "/sparql", query_string={"query": query, **params}, headers={"Accept": accept}
    )
    return response, time.monotonic() - started


def values(response, var):
    return [b[var]["value"] for b in json.loads(response.data)["results"]["bindings"]]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_until_sent(runner, count: int, timeout: float = 10.0) -> None:
    """Until ``count`` queries are in the workers' hands (a fixed sleep is not enough on a
    loaded machine, where a thread may start late)."""
    deadline = time.monotonic() + timeout
    while sum(len(w.tasks) for w in runner._workers) < count:
        assert time.monotonic() < deadline, f"{count} queries not sent within {timeout} s"
        time.sleep(0.01)


def race_runaway(app, concurrent_query):
    """The runaway query in a thread; the simple query sent meanwhile, from here."""
    outcome = {}

    def runaway():
        outcome["runaway"] = get(app, RUNAWAY)

    thread = threading.Thread(target=runaway)
    thread.start()
    runner = runner_of(app)
    if hasattr(runner, "worker_pids"):
        wait_until_sent(runner, 1)  # the runaway is in a worker's hands
        busy_pids = set(runner.worker_pids)
    else:  # a remote endpoint: nothing here to watch
        time.sleep(0.3)
        busy_pids = set()
    outcome["simple"] = get(app, concurrent_query)
    thread.join(10)
    assert not thread.is_alive()
    return outcome["runaway"], outcome["simple"], busy_pids


# ===================================================================== time limit
def test_a_runaway_query_is_stopped_at_the_limit_while_others_are_answered(app):
    warm, _ = get(app, SIMPLE)  # first query: snapshot made, first worker started
    assert values(warm, "o") == ["7"]

    (runaway, runaway_time), (simple, simple_time), pids = race_runaway(app, SIMPLE)

    assert runaway.status_code == 503
    assert runaway.mimetype == "text/plain"
    assert runaway.get_data(as_text=True).strip() == "query exceeded the time limit of 1 s"
    assert 1 <= runaway_time < 3
    assert simple.status_code == 200
    assert values(simple, "o") == ["7"]
    assert simple_time < 1

    # the runaway's worker was killed (its CPU freed) and the pool still answers
    killed = pids - set(runner_of(app).worker_pids)
    assert len(killed) == 1
    assert not alive(killed.pop())
    again, again_time = get(app, SIMPLE)
    assert values(again, "o") == ["7"]
    assert again_time < 1


# 9,000,000 rows counted: about 1.3 s in a worker on the 2-core test machine
SLOW_COUNT = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?a <{EX}rank> ?r . ?b <{EX}rank> ?r2 }}"


def test_a_query_sharing_the_killed_worker_is_run_again_within_its_limit(big_store):
    """Two queries in threads of one worker; the runaway's deadline kills the worker while
    the other one is evaluating: that one is run again on the replacement and answers."""
    timeout = 6
    runner = EmbeddedRunner(big_store, timeout=timeout, limit=10, workers=1, threads=2)
    try:
        assert b'"7"' in runner.run(SIMPLE).read()  # snapshot made, worker booted
        (pid,) = runner.worker_pids
        outcome = {}

        def runaway():
            started = time.monotonic()
            try:
                runner.run(RUNAWAY)
            except sandbox.QueryTimeout as exc:
                outcome["runaway"] = str(exc), time.monotonic() - started

        thread = threading.Thread(target=runaway)
        started = time.monotonic()
        thread.start()
        time.sleep(timeout - 0.7 - (time.monotonic() - started))
        assert runner.worker_pids == [pid]  # both queries on the same process
        innocent_started = time.monotonic()
        answer = runner.run(SLOW_COUNT)
        innocent_time = time.monotonic() - innocent_started
        thread.join(10)
        body = json.loads(answer.read())
    finally:
        runner.close()
    assert outcome["runaway"][0] == f"query exceeded the time limit of {timeout} s"
    assert timeout <= outcome["runaway"][1] < timeout + 2
    assert not alive(pid)
    assert runner.reruns == 1  # it was evaluating when its worker was killed
    assert body["results"]["bindings"][0]["n"]["value"] == "9000000"
    assert innocent_time < timeout


def test_queries_on_a_worker_that_dies_fail_and_the_pool_recovers(big_store):
    """Killed from outside (OOM...): not run again, since one of them may be the cause."""
    runner = EmbeddedRunner(big_store, timeout=30, limit=10, workers=1, threads=2)
    try:
        runner.run(SIMPLE).read()
        (pid,) = runner.worker_pids
        errors = []

        def slow():
            try:
                runner.run(SLOW_COUNT)
            except StoreError as exc:
                errors.append(str(exc))

        threads = [threading.Thread(target=slow) for _ in range(2)]
        for thread in threads:
            thread.start()
        wait_until_sent(runner, 2)  # both in the one worker
        os.kill(pid, 9)
        for thread in threads:
            thread.join(30)
        assert errors == ["the query worker stopped unexpectedly (-9)"] * 2
        assert runner.reruns == 0
        assert b'"7"' in runner.run(SIMPLE).read()  # on a new worker
        assert pid not in runner.worker_pids
    finally:
        runner.close()


def test_all_workers_busy_is_a_503_within_the_limit(big_store):
    runner = EmbeddedRunner(big_store, timeout=0.5, limit=10, workers=1, threads=1)
    try:
        taken = runner._acquire(None)  # the only slot, held as a runaway would
        started = time.monotonic()
        with pytest.raises(QueryBusy, match="query workers stayed busy"):
            runner.run(SIMPLE)
        assert 0.5 <= time.monotonic() - started < 1.5
        runner._release(taken)
        answer = runner.run(SIMPLE)
        assert b'"7"' in answer.read()
    finally:
        runner.close()


def test_a_large_answer_crosses_the_pipe_and_spills_to_disk(big_store, monkeypatch):
    """Several DATA messages, then a spool that spilled to a temporary file: same bytes."""
    monkeypatch.setattr(sandbox.answer, "SPOOL_MEMORY", 50_000)
    runner = EmbeddedRunner(big_store, timeout=30, limit=0, workers=1)
    try:
        query = f"SELECT ?s ?r WHERE {{ ?s <{EX}rank> ?r }} ORDER BY ?r"
        answer = runner.run(query, "text/tab-separated-values")
        assert answer.spool.file is not None and answer.size > sandbox.CHUNK
        body = answer.read()
    finally:
        runner.close()
    assert len(body) == answer.size
    expected = ox.Store()
    expected.extend(quads())
    union = expected.query(query, use_default_graph_as_union=True)
    assert body == union.serialize(format=ox.QueryResultsFormat.TSV)


def test_a_bad_query_is_a_400_and_leaves_the_worker_usable(shared_app):
    response, _ = get(shared_app, "SELECT ?s WHERE { ?s ?p }")
    assert response.status_code == 400
    assert "syntax error" in response.get_data(as_text=True).lower()
    pids = runner_of(shared_app).worker_pids
    assert values(get(shared_app, SIMPLE)[0], "o") == ["7"]
    assert runner_of(shared_app).worker_pids == pids


# ===================================================================== snapshots
def test_the_next_query_sees_a_write(app, big_store):
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert values(get(app, count)[0], "n") == ["3000"]
    first = runner_of(app)._current.folder
    big_store.replace_graphs({GRAPH: quads(40)})
    assert values(get(app, count)[0], "n") == ["40"]
    assert not first.exists()  # no worker holds the old snapshot any more: deleted
    big_store.add_to_graphs({EX + "other": quads(2)})
    assert values(get(app, count)[0], "n") == ["42"]


def test_an_old_snapshot_lives_until_the_last_query_reading_it_ends(big_store):
    """One worker: a write while a query reads the old snapshot; a query after the write,
    in the same worker, sees it; the old snapshot goes when the slow query has answered."""
    runner = EmbeddedRunner(big_store, timeout=30, limit=10, workers=1, threads=2)
    try:
        runner.run(SIMPLE).read()
        old = runner._current.folder
        slow = {}
        thread = threading.Thread(target=lambda: slow.update(body=runner.run(SLOW_COUNT).read()))
        thread.start()
        wait_until_sent(runner, 1)  # sent, so reading the old snapshot
        big_store.replace_graphs({GRAPH: quads(40)})
        count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        assert b'"40"' in runner.run(count).read()
        assert old.exists()  # still read by the slow query
        thread.join(30)
        assert b'"9000000"' in slow["body"]  # 3000 x 3000: the old snapshot's answer
        assert not old.exists()  # closed by the worker (before its answer), then deleted
        assert len(runner.worker_pids) == 1
    finally:
        runner.close()


def test_snapshots_are_deleted_when_the_runner_closes(app):
    get(app, SIMPLE)
    runner = runner_of(app)
    folder, pids = runner._current.folder, runner.worker_pids
    assert folder.exists() and pids
    runner.close()
    assert not folder.exists()
    assert not any(alive(pid) for pid in pids)


def test_an_on_disk_store_is_snapshotted_by_backup(tmp_path):
    store = EmbeddedStore(str(tmp_path / "store"))
    store.replace_graphs({GRAPH: quads(30)})
    app = create_app(make_settings(), store=store)
    try:
        assert values(get(app, SIMPLE)[0], "o") == ["7"]
        assert runner_of(app)._current.folder.parent == tmp_path / "store-snapshots"
        store.replace_graphs({GRAPH: quads(5)})
        assert values(get(app, SIMPLE)[0], "o") == []
    finally:
        runner_of(app).close()
        store.close()
    assert not (tmp_path / "store-snapshots").exists()


# ===================================================================== result cap
SOLUTION_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}


def parsed_rows(response):
    if response.mimetype == "text/csv":  # lossy: pyoxigraph does not read it, csv does
        header, *rows = csv.reader(io.StringIO(response.get_data(as_text=True), newline=""))
        assert header == ["s"]
        assert response.data.endswith(b"\r\n") and b"\n" not in response.data.replace(b"\r\n", b"")
        return [row[0] for row in rows]
    parsed = ox.parse_query_results(response.data, format=SOLUTION_FORMATS[response.mimetype])
    return [str(solution["s"].value) for solution in parsed]


@pytest.mark.parametrize("media_type", list(SOLUTION_FORMATS))
def test_an_answer_over_the_cap_is_refused_whole_naming_the_cap_and_how_to_page(
    shared_app, media_type
):
    """A 200 is a complete answer: 25 rows under a cap of 10 are a 403, never 10 rows."""
    response, _ = get(shared_app, TWENTY_FIVE, accept=media_type)
    assert response.status_code == 403
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True).strip() == OVER_THE_CAP
    # the first page the message suggests is answered
    page, _ = get(shared_app, TWENTY_FIVE + " LIMIT 10 OFFSET 10", accept=media_type)
    assert page.status_code == 200
    assert parsed_rows(page) == [f"{EX}s{i}" for i in range(10, 20)]


@pytest.mark.parametrize("media_type", list(SOLUTION_FORMATS))
def test_an_answer_at_the_cap_is_complete(shared_app, media_type):
    response, _ = get(shared_app, TWENTY_FIVE.replace("< 25", "< 10"), accept=media_type)
    assert response.status_code == 200
    assert parsed_rows(response) == [f"{EX}s{i}" for i in range(10)]
    assert int(response.headers["Content-Length"]) == len(response.data)
    assert not any(h.lower().startswith("x-santegraph") for h in response.headers.keys())


@pytest.mark.parametrize("media_type", ["application/n-triples", "text/turtle", "application/trig"])
def test_a_graph_over_the_cap_is_refused(shared_app, media_type):
    query = f"CONSTRUCT {{ ?s <{EX}rank> ?r }} WHERE {{ ?s <{EX}rank> ?r FILTER(?r < 25) }}"
    response, _ = get(shared_app, query, accept=media_type)
    assert response.status_code == 403
    assert "more than 10 triples" in response.get_data(as_text=True)
    under, _ = get(shared_app, query.replace("< 25", "< 10"), accept=media_type)
    assert under.status_code == 200
    assert len(list(ox.parse(under.data, format=ox.RdfFormat.from_media_type(media_type)))) == 10


def test_ask_is_never_capped(shared_app):
    response, _ = get(shared_app, f"ASK {{ <{EX}s2999> ?p ?o }}")
    assert json.loads(response.data)["boolean"] is True


# ===================================================================== the writers
TRICKY = """
PREFIX ex: <http://example.org/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
INSERT DATA { GRAPH ex:g {
  ex:a ex:p "plain" , "tab\\there, \\"quoted\\"\\nnew line\\r<&>" , "chat"@fr , "x"@ar--rtl ,
    "1"^^xsd:integer , "01"^^xsd:integer , "abc"^^xsd:integer , "1.50"^^xsd:decimal ,
    "1e3"^^xsd:double , "NaN"^^xsd:double , "1"^^xsd:boolean , " spaced "^^xsd:integer ,
    "<&>" , "" , "\\u0007\\u007F" , "a\\u2028b" , _:b1 , <http://example.org/é%20?x=1#f> ,
    <<( ex:a ex:p ex:b )>> , <<( _:b2 ex:p "lit"@en )>> .
  _:b1 ex:p _:b1 .
} }
"""
TRICKY_QUERY = "SELECT ?s ?o ?unbound WHERE { ?s ?p ?o OPTIONAL { ?s ?q ?unbound FILTER(false) } }"
TRICKY_ROWS = 20


def tricky_store() -> ox.Store:
    store = ox.Store()
    store.update(TRICKY)
    return store


def evaluate(store, query=TRICKY_QUERY):
    return store.query(query, use_default_graph_as_union=True)


@pytest.mark.parametrize("media_type", list(SOLUTION_FORMATS))
@pytest.mark.parametrize("limit", [0, TRICKY_ROWS, 1000])
def test_capped_answers_are_pyoxigraph_answers_byte_for_byte(media_type, limit):
    """Under the cap, the TSV count-and-cut and its round trip change no byte."""
    store = tricky_store()
    expected = evaluate(store).serialize(format=SOLUTION_FORMATS[media_type])
    out = io.BytesIO()
    outcome = results.write_solutions(out, media_type, evaluate(store), limit)
    assert out.getvalue() == expected
    assert outcome == results.Outcome(None if limit == 0 else TRICKY_ROWS, False)


def test_a_capped_answer_whose_tsv_spilled_to_disk_is_the_same(monkeypatch):
    monkeypatch.setattr(results, "SPOOL_MEMORY", 64)  # the TSV goes to a temporary file
    store = tricky_store()
    out = io.BytesIO()
    outcome = results.write_solutions(out, results.JSON, evaluate(store), 1000)
    assert outcome == results.Outcome(TRICKY_ROWS, False)
    parsed = ox.parse_query_results(out.getvalue(), format=ox.QueryResultsFormat.JSON)
    assert [str(row) for row in parsed] == [str(row) for row in evaluate(store)]


@pytest.mark.parametrize("media_type", list(SOLUTION_FORMATS))
def test_a_cut_answer_is_not_written_in_the_requested_format(media_type):
    """Over the cap the writer stops at the first row past it and writes nothing more: the
    runner refuses the answer whole (the TSV answer has its first rows, to be dropped)."""
    store = tricky_store()
    out = io.BytesIO()
    outcome = results.write_solutions(out, media_type, evaluate(store), TRICKY_ROWS - 1)
    assert outcome == results.Outcome(TRICKY_ROWS - 1, True)
    if media_type != results.TSV:
        assert out.getvalue() == b""


@pytest.mark.parametrize(
    ("query", "limit", "expected"),
    [
        ("SELECT * WHERE {}", 1, results.Outcome(1, False)),  # one row with no variable
        ("SELECT * WHERE { FILTER(false) }", 1, results.Outcome(0, False)),
        (f"SELECT ?s WHERE {{ ?s <{EX}rank> ?r }}", 5, results.Outcome(5, False)),
        (f"SELECT ?s WHERE {{ ?s <{EX}rank> ?r }}", 4, results.Outcome(4, True)),
    ],
)
def test_rows_are_counted_exactly_at_the_edges(query, limit, expected):
    store = ox.Store()
    store.extend(quads(5))
    for media_type in (results.JSON, results.TSV):
        outcome = results.write_solutions(io.BytesIO(), media_type, evaluate(store, query), limit)
        assert outcome == expected


@pytest.mark.parametrize("chunk", [1, 2, 7, 4096])
def test_the_line_cap_cuts_at_the_same_place_whatever_the_chunks(chunk):
    text = b"?s\n" + b"".join(b"<http://example.org/s%d>\n" % i for i in range(50))

    def serialize(sink, _fmt):
        for start in range(0, len(text), chunk):
            sink.write(text[start : start + chunk])

    out = io.BytesIO()
    sink = results._LineCap(out, 1 + 20)
    results._serialize_until_cut(serialize, sink, None)
    assert sink.cut and sink.lines == 21
    assert out.getvalue() == b"".join(text.splitlines(keepends=True)[:21])
    out = io.BytesIO()
    sink = results._LineCap(out, 1 + 50)  # exactly everything: not cut
    results._serialize_until_cut(serialize, sink, None)
    assert not sink.cut and out.getvalue() == text


@pytest.mark.parametrize(
    "media_type",
    ["application/n-triples", "application/n-quads", "text/turtle", "application/trig"],
)
def test_triples_are_counted_at_the_cap(media_type):
    store = ox.Store()
    store.extend(quads(30))
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    fmt = ox.RdfFormat.from_media_type(media_type)
    out = io.BytesIO()
    assert results.write_triples(out, media_type, evaluate(store, query), 10) == (
        results.Outcome(10, True)
    )
    out = io.BytesIO()
    outcome = results.write_triples(out, media_type, evaluate(store, query), 30)
    assert not outcome.truncated
    assert out.getvalue() == evaluate(store, query).serialize(format=fmt)


def test_a_large_turtle_answer_is_sent_as_n_triples_which_is_turtle(monkeypatch):
    """Above TURTLE_REGROUP bytes, Turtle is pyoxigraph's N-Triples text, counted natively."""
    monkeypatch.setattr(results, "TURTLE_REGROUP", 0)
    store = ox.Store()
    store.extend(quads(30))
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    expected = evaluate(store, query).serialize(format=ox.RdfFormat.N_TRIPLES)
    out = io.BytesIO()
    assert results.write_triples(out, "text/turtle", evaluate(store, query), 30) == (
        results.Outcome(30, False)
    )
    assert out.getvalue() == expected
    as_turtle = set(ox.parse(out.getvalue(), format=ox.RdfFormat.TURTLE))
    assert as_turtle == set(ox.parse(expected, format=ox.RdfFormat.N_TRIPLES))
    assert results.write_triples(io.BytesIO(), "text/turtle", evaluate(store, query), 10) == (
        results.Outcome(10, True)
    )


# ===================================================================== remote backend
@pytest.fixture(scope="module")
def slow_server(tmp_path_factory):
    """An `oxigraph serve` of its own: the runaway query burns its CPU, not the shared one's.

    Its own `--timeout-s` bounds that CPU (santegraph cannot stop a remote evaluation); the
    process is stopped at the end of the module anyway.
    """
    port, location = free_port(), tmp_path_factory.mktemp("slow-oxigraph")
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
            "5",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + "/query", process=process)
        store = RemoteStore(base + "/query", base + "/update", base + "/store", timeout=30)
        store.update("DROP SILENT ALL")
        store.replace_graphs({GRAPH: quads()})
        yield store
        store.close()
    finally:
        process.kill()
        process.wait()


@pytest.fixture
def remote_app(slow_server):
    return create_app(make_settings(backend="remote", remote_query_url="x"), store=slow_server)


def test_remote_runaway_is_stopped_at_the_limit_while_others_are_answered(remote_app):
    (runaway, runaway_time), (simple, simple_time), _ = race_runaway(remote_app, SIMPLE)
    assert runaway.status_code == 503
    assert runaway.get_data(as_text=True).strip() == "query exceeded the time limit of 1 s"
    assert 1 <= runaway_time < 3
    assert values(simple, "o") == ["7"]
    assert simple_time < 1


@pytest.mark.parametrize("media_type", list(SOLUTION_FORMATS))
def test_remote_answer_over_the_cap_is_refused(remote_app, media_type):
    response, _ = get(remote_app, TWENTY_FIVE, accept=media_type)
    assert response.status_code == 403
    assert response.get_data(as_text=True).strip() == OVER_THE_CAP
    at_the_cap, _ = get(remote_app, TWENTY_FIVE.replace("< 25", "< 10"), accept=media_type)
    assert parsed_rows(at_the_cap) == [f"{EX}s{i}" for i in range(10)]


def test_remote_ask_and_construct(remote_app):
    ask, _ = get(remote_app, f"ASK {{ <{EX}s2999> ?p ?o }}", accept="text/csv")
    assert ask.status_code == 200
    assert json.loads(get(remote_app, f"ASK {{ <{EX}s1> ?p ?o }}")[0].data)["boolean"] is True
    query = f"CONSTRUCT {{ ?s <{EX}rank> ?r }} WHERE {{ ?s <{EX}rank> ?r FILTER(?r < 3) }}"
    response, _ = get(remote_app, query, accept="text/turtle")
    assert len(list(ox.parse(response.data, format=ox.RdfFormat.TURTLE))) == 3


def test_a_worker_that_died_while_idle_is_replaced(app):
    get(app, SIMPLE)
    for pid in runner_of(app).worker_pids:
        os.kill(pid, 9)
    time.sleep(0.1)
    response, _ = get(app, SIMPLE)
    assert values(response, "o") == ["7"]
