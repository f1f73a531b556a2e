"""Public /sparql queries: stopped at the time limit, refused over the result cap, isolated.

Through the real Flask app, on the embedded backend (worker processes over a snapshot)
and on a real `oxigraph serve` (deadline on the HTTP exchange). See the sandbox package and
docs/decisions/0003-query-isolation.md.

No clock here: what must happen while a query is in flight is arranged with a query that
stays in flight until the test lets it go (a SERVICE call to a ``HeldEndpoint``), so the
order of events, not the machine's load, decides. Only the time limit itself is a clock,
and it is not measured: a query that cannot end (RUNAWAY) is stopped by it, or not.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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
    """A request from a fresh client (one per thread)."""
    return app.test_client().get(
        "/sparql", query_string={"query": query, **params}, headers={"Accept": accept}
    )


def values(response, var):
    return [b[var]["value"] for b in json.loads(response.data)["results"]["bindings"]]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_until_sent(runner, count: int) -> None:
    """Until ``count`` queries are in the workers' hands (a thread may start late on a
    loaded machine). The bound only keeps a broken runner from hanging the suite."""
    bound = time.monotonic() + 60
    while sum(len(w.tasks) for w in runner._workers) < count:
        assert time.monotonic() < bound, f"{count} queries never reached a worker"
        time.sleep(0.01)


class HeldEndpoint:
    """A SPARQL endpoint on loopback for SERVICE calls: its first ``held`` requests wait
    until ``release()``, the others are answered at once (one row, ``?o = "held"``).

    A query calling it (``query``) is in flight, inside the worker or the remote server,
    exactly as long as the test wants: the test waits for ``arrived`` requests instead of
    sleeping, and nothing depends on how fast the machine is.
    """

    ROW = {"o": {"type": "literal", "value": "held"}}
    ANSWER = json.dumps({"head": {"vars": ["o"]}, "results": {"bindings": [ROW]}}).encode()

    def __init__(self, held: int = 1):
        self.held = held
        self.requests = 0
        self._arrivals = threading.Semaphore(0)
        self._released = threading.Event()
        self._lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with endpoint._lock:
                    endpoint.requests += 1
                    hold = endpoint.requests <= endpoint.held
                endpoint._arrivals.release()
                if hold:
                    endpoint._released.wait()
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.send_header("Content-Length", str(len(endpoint.ANSWER)))
                self.end_headers()
                self.wfile.write(endpoint.ANSWER)

            do_GET = do_POST

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # a held request whose caller was killed: its socket is gone

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_port}/sparql"
        self.service = f"SERVICE <{self.url}> {{ ?s ?p ?o }}"
        self.query = f"SELECT ?o WHERE {{ {self.service} }}"

    def arrived(self, count: int = 1) -> None:
        """Until ``count`` more requests have come in (bounded only against a hang)."""
        for _ in range(count):
            assert self._arrivals.acquire(timeout=60), "the SERVICE call never came"

    def release(self) -> None:
        self._released.set()

    def close(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def held():
    endpoint = HeldEndpoint()
    yield endpoint
    endpoint.close()


def in_thread(function, *args) -> tuple[threading.Thread, dict]:
    """Run ``function(*args)`` in a thread; its result lands in the returned dict."""
    outcome: dict = {}

    def target():
        try:
            outcome["result"] = function(*args)
        except Exception as exc:  # handed to the test, which asserts on it
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)  # a failed test leaves no hang
    thread.start()
    return thread, outcome


def answered(app, query):
    """``get`` that fails instead of hanging if the query waits behind another one."""
    thread, outcome = in_thread(get, app, query)
    thread.join(60)
    assert "result" in outcome, "not answered: it waited for the other query"
    return outcome["result"]


@pytest.fixture
def unlimited_app(big_store, held):
    """An app with no time limit, allowed to call the held endpoint: a held query ends only
    when released."""
    settings = make_settings(query_timeout=0, sparql_service_allowlist=held.url)
    app = create_app(settings, store=big_store)
    yield app
    runner_of(app).close()


# ===================================================================== time limit
def test_a_runaway_query_is_stopped_at_the_limit_and_its_worker_killed(app):
    warm = get(app, SIMPLE)  # first query: snapshot made, first worker started
    assert values(warm, "o") == ["7"]
    runner = runner_of(app)
    thread, outcome = in_thread(get, app, RUNAWAY)
    wait_until_sent(runner, 1)  # the runaway is in a worker's hands
    busy = set(runner.worker_pids)
    thread.join(60)

    runaway = outcome["result"]
    assert runaway.status_code == 503
    assert runaway.mimetype == "text/plain"
    assert runaway.get_data(as_text=True).strip() == "query exceeded the time limit of 1 s"
    # the runaway's worker was killed (its CPU freed) and the pool still answers
    killed = busy - set(runner.worker_pids)
    assert len(killed) == 1
    assert not alive(killed.pop())
    assert values(get(app, SIMPLE), "o") == ["7"]


def test_other_queries_are_answered_while_one_is_running(unlimited_app, held):
    thread, outcome = in_thread(get, unlimited_app, held.query)
    held.arrived()  # the first query is evaluating, in a worker
    assert values(answered(unlimited_app, SIMPLE), "o") == ["7"]
    assert thread.is_alive() and not outcome  # answered while the first one still runs
    held.release()
    thread.join(60)
    assert values(outcome["result"], "o") == ["held"]


def test_a_query_sharing_the_killed_worker_is_run_again_within_its_limit(big_store, held):
    """Two queries in threads of one worker; the runaway's deadline kills the worker while
    the other one is evaluating: that one is run again on the replacement and answers.

    The other query is sent first and held (so it is surely evaluating when the worker is
    killed); a query's limit is the runner's when it is sent, so it gets a long one and the
    runaway, sent next, a short one: the runaway's deadline comes first.
    """
    runner = EmbeddedRunner(big_store, timeout=60, limit=10, workers=1, threads=2)
    try:
        assert b'"7"' in runner.run(SIMPLE).read()  # snapshot made, worker booted
        (pid,) = runner.worker_pids
        innocent, answer = in_thread(runner.run, held.query)
        held.arrived()  # evaluating, in the one worker
        runner.timeout = 1
        runaway, stopped = in_thread(runner.run, RUNAWAY)
        runaway.join(60)
        assert isinstance(stopped["error"], sandbox.QueryTimeout)
        assert str(stopped["error"]) == "query exceeded the time limit of 1 s"
        assert not alive(pid)
        held.arrived()  # the other query, run again on the replacement, calls again
        innocent.join(60)
        body = json.loads(answer["result"].read())
    finally:
        held.release()
        runner.close()
    assert runner.reruns == 1  # it was evaluating when its worker was killed
    assert held.requests == 2
    assert body["results"]["bindings"] == [{"o": {"type": "literal", "value": "held"}}]


def test_queries_on_a_worker_that_dies_fail_and_the_pool_recovers(big_store):
    """Killed from outside (OOM...): not run again, since one of them may be the cause."""
    held = HeldEndpoint(held=2)
    runner = EmbeddedRunner(big_store, timeout=60, limit=10, workers=1, threads=2)
    try:
        runner.run(SIMPLE).read()
        (pid,) = runner.worker_pids
        queries = [in_thread(runner.run, held.query) for _ in range(2)]
        held.arrived(2)  # both evaluating, in the one worker
        os.kill(pid, 9)
        for thread, _ in queries:
            thread.join(60)
        errors = [outcome["error"] for _, outcome in queries]
        assert all(isinstance(error, StoreError) for error in errors)
        assert [str(e) for e in errors] == ["the query worker stopped unexpectedly (-9)"] * 2
        assert runner.reruns == 0
        assert b'"7"' in runner.run(SIMPLE).read()  # on a new worker
        assert pid not in runner.worker_pids
    finally:
        held.close()
        runner.close()


def test_all_workers_busy_is_a_503_within_the_limit(big_store):
    runner = EmbeddedRunner(big_store, timeout=0.5, limit=10, workers=1, threads=1)
    try:
        taken = runner._acquire(None)  # the only slot, held as a runaway would
        with pytest.raises(QueryBusy, match="all 1 query workers stayed busy for 0.5 s"):
            runner.run(SIMPLE)
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
    response = get(shared_app, "SELECT ?s WHERE { ?s ?p }")
    assert response.status_code == 400
    assert "syntax error" in response.get_data(as_text=True).lower()
    pids = runner_of(shared_app).worker_pids
    assert values(get(shared_app, SIMPLE), "o") == ["7"]
    assert runner_of(shared_app).worker_pids == pids


# ===================================================================== snapshots
def test_the_next_query_sees_a_write(app, big_store):
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert values(get(app, count), "n") == ["3000"]
    first = runner_of(app)._current.folder
    big_store.replace_graphs({GRAPH: quads(40)})
    assert values(get(app, count), "n") == ["40"]
    assert not first.exists()  # no worker holds the old snapshot any more: deleted
    big_store.add_to_graphs({EX + "other": quads(2)})
    assert values(get(app, count), "n") == ["42"]


def test_an_old_snapshot_lives_until_the_last_query_reading_it_ends(big_store, held):
    """One worker: a write while a query reads the old snapshot; a query after the write,
    in the same worker, sees it; the old snapshot goes when the held query has answered."""
    runner = EmbeddedRunner(big_store, timeout=60, limit=10, workers=1, threads=2)
    reading = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?x <{EX}rank> ?r . {held.service} }}"
    try:
        runner.run(SIMPLE).read()
        old = runner._current.folder
        thread, slow = in_thread(lambda: runner.run(reading).read())
        held.arrived()  # evaluating, so reading the old snapshot
        big_store.replace_graphs({GRAPH: quads(40)})
        count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        assert b'"40"' in runner.run(count).read()
        assert old.exists()  # still read by the held query
        held.release()
        thread.join(60)
        assert b'"3000"' in slow["result"]  # 3000 ranks x 1 row: the old snapshot's answer
        assert not old.exists()  # closed by the worker (before its answer), then deleted
        assert len(runner.worker_pids) == 1
    finally:
        held.release()
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
        assert values(get(app, SIMPLE), "o") == ["7"]
        assert runner_of(app)._current.folder.parent == tmp_path / "store-snapshots"
        store.replace_graphs({GRAPH: quads(5)})
        assert values(get(app, SIMPLE), "o") == []
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
    response = get(shared_app, TWENTY_FIVE, accept=media_type)
    assert response.status_code == 403
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True).strip() == OVER_THE_CAP
    # the first page the message suggests is answered
    page = get(shared_app, TWENTY_FIVE + " LIMIT 10 OFFSET 10", accept=media_type)
    assert page.status_code == 200
    assert parsed_rows(page) == [f"{EX}s{i}" for i in range(10, 20)]


@pytest.mark.parametrize("media_type", list(SOLUTION_FORMATS))
def test_an_answer_at_the_cap_is_complete(shared_app, media_type):
    response = get(shared_app, TWENTY_FIVE.replace("< 25", "< 10"), accept=media_type)
    assert response.status_code == 200
    assert parsed_rows(response) == [f"{EX}s{i}" for i in range(10)]
    assert int(response.headers["Content-Length"]) == len(response.data)
    assert not any(h.lower().startswith("x-santegraph") for h in response.headers.keys())


@pytest.mark.parametrize("media_type", ["application/n-triples", "text/turtle", "application/trig"])
def test_a_graph_over_the_cap_is_refused(shared_app, media_type):
    query = f"CONSTRUCT {{ ?s <{EX}rank> ?r }} WHERE {{ ?s <{EX}rank> ?r FILTER(?r < 25) }}"
    response = get(shared_app, query, accept=media_type)
    assert response.status_code == 403
    assert "more than 10 triples" in response.get_data(as_text=True)
    under = get(shared_app, query.replace("< 25", "< 10"), accept=media_type)
    assert under.status_code == 200
    assert len(list(ox.parse(under.data, format=ox.RdfFormat.from_media_type(media_type)))) == 10


def test_ask_is_never_capped(shared_app):
    response = get(shared_app, f"ASK {{ <{EX}s2999> ?p ?o }}")
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


def test_remote_runaway_is_stopped_at_the_limit(remote_app):
    runaway = get(remote_app, RUNAWAY)
    assert runaway.status_code == 503
    assert runaway.get_data(as_text=True).strip() == "query exceeded the time limit of 1 s"
    assert values(get(remote_app, SIMPLE), "o") == ["7"]


def test_remote_queries_are_answered_while_one_is_running(remote_store, held):
    """Through a real oxigraph serve, which calls the held endpoint for the first query."""
    remote_store.replace_graphs({GRAPH: quads(30)})
    settings = make_settings(
        backend="remote", remote_query_url="x", query_timeout=0, sparql_service_allowlist=held.url
    )
    app = create_app(settings, store=remote_store)
    thread, outcome = in_thread(get, app, held.query)
    held.arrived()  # the first query is in the server's hands
    assert values(answered(app, SIMPLE), "o") == ["7"]
    assert thread.is_alive() and not outcome  # answered while the first one still runs
    held.release()
    thread.join(60)
    assert values(outcome["result"], "o") == ["held"]


@pytest.mark.parametrize("media_type", list(SOLUTION_FORMATS))
def test_remote_answer_over_the_cap_is_refused(remote_app, media_type):
    response = get(remote_app, TWENTY_FIVE, accept=media_type)
    assert response.status_code == 403
    assert response.get_data(as_text=True).strip() == OVER_THE_CAP
    at_the_cap = get(remote_app, TWENTY_FIVE.replace("< 25", "< 10"), accept=media_type)
    assert parsed_rows(at_the_cap) == [f"{EX}s{i}" for i in range(10)]


def test_remote_ask_and_construct(remote_app):
    ask = get(remote_app, f"ASK {{ <{EX}s2999> ?p ?o }}", accept="text/csv")
    assert ask.status_code == 200
    assert json.loads(get(remote_app, f"ASK {{ <{EX}s1> ?p ?o }}").data)["boolean"] is True
    query = f"CONSTRUCT {{ ?s <{EX}rank> ?r }} WHERE {{ ?s <{EX}rank> ?r FILTER(?r < 3) }}"
    response = get(remote_app, query, accept="text/turtle")
    assert len(list(ox.parse(response.data, format=ox.RdfFormat.TURTLE))) == 3


def test_a_worker_that_died_while_idle_is_replaced(app):
    get(app, SIMPLE)
    for worker in list(runner_of(app)._workers):
        os.kill(worker.pid, 9)
        worker.process.wait(60)  # dead, not yet noticed by the pool
    response = get(app, SIMPLE)
    assert values(response, "o") == ["7"]
