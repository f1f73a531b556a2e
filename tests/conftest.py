"""Shared fixtures: stores on both backends, the tiny test content, a real oxigraph server.

The `store` fixture is parametrised: every test that takes it runs against the embedded
pyoxigraph store and against a real `oxigraph serve` subprocess reached over HTTP
(started once per session on a free loopback port, emptied before each test).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from santegraph.config import load_settings
from santegraph.store import EmbeddedStore, RemoteStore

from .external import NOT_MADE, check_configuration, summary_lines, take_not_made

# Property-based tests (tests/test_fuzz.py): a fixed, small budget by default, the same
# examples every run (derandomised, no example database), no timing (the limits bound each
# example); HYPOTHESIS_PROFILE=thorough for a longer, random campaign.
hypothesis_settings.register_profile(
    "ci",
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
hypothesis_settings.register_profile(
    "thorough",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parents[1]
TEST_DATA = ROOT / "tests" / "data"
MINI = TEST_DATA / "mini"
SUBMISSIONS = TEST_DATA / "submissions"
BASE = "https://w3id.org/santegraph/id/"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, timeout: float = 60.0, process: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode}")
        try:
            requests.get(url, timeout=5)
            return
        except (requests.ConnectionError, requests.Timeout):  # not listening, or slow
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def stop_process(process: subprocess.Popen, timeout: float) -> None:
    """Terminate ``process``; kill it if it has not exited within ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def oxigraph_binary() -> str:
    found = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(found).exists():
        pytest.fail(
            "the `oxigraph` command is missing: install the test extra (pip install -e '.[test]')"
        )
    return found


def _serve_oxigraph(location: Path, *options: str):
    """A real `oxigraph serve` on a free loopback port: yield its endpoints, then stop it."""
    port = free_port()
    log = (location / "server.log").open("wb")
    process = subprocess.Popen(
        [oxigraph_binary(), "serve", "--location", str(location / "db"), "--bind"]
        + [f"127.0.0.1:{port}", *options],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + "/query", process=process)
        yield {"query": base + "/query", "update": base + "/update", "store": base + "/store"}
    finally:
        stop_process(process, 10)
        log.close()


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory):
    """A real `oxigraph serve` with the union default graph, as santegraph requires."""
    yield from _serve_oxigraph(tmp_path_factory.mktemp("oxigraph"), "--union-default-graph")


@pytest.fixture(scope="session")
def plain_oxigraph_server(tmp_path_factory):
    """A real `oxigraph serve` as shipped (no option): the reference engine that the W3C
    suites run on beside santegraph, for the conformance record (docs/backends.md)."""
    yield from _serve_oxigraph(tmp_path_factory.mktemp("oxigraph-plain"))


class ReferenceEngine:
    """A plain `oxigraph serve` driven as the W3C suites' reference engine: its dataset set
    by the Graph Store Protocol, its endpoints asked over HTTP with the test client's call
    shape (``post(path, data=, headers=)``), so one suite body runs on santegraph and on it."""

    class Response:
        def __init__(self, response):
            self.status_code = response.status_code
            self.mimetype = response.headers.get("Content-Type", "").split(";")[0].strip()
            self._body = response.content

        def get_data(self, as_text: bool = False):
            return self._body.decode("utf-8", "replace") if as_text else self._body

    def __init__(self, endpoints: dict[str, str]):
        self.endpoints = endpoints
        self.session = requests.Session()

    def restore(self, quads) -> None:
        """The engine holds these quads (default graph included) and nothing else."""
        import pyoxigraph as ox

        self.session.post(self.endpoints["update"], data={"update": "DROP SILENT ALL"})
        body = ox.serialize(list(quads), format=ox.RdfFormat.N_QUADS) or b""
        if body:
            response = self.session.post(
                self.endpoints["store"], data=body, headers={"Content-Type": "application/n-quads"}
            )
            response.raise_for_status()

    def quads(self):
        """Every quad, the default graph's included."""
        import pyoxigraph as ox

        response = self.session.get(
            self.endpoints["store"], headers={"Accept": "application/n-quads"}
        )
        response.raise_for_status()
        return list(ox.parse(response.content, format=ox.RdfFormat.N_QUADS))

    def post(self, path: str, data, headers=None):
        url = self.endpoints["update" if path == "/update" else "query"]
        return self.Response(self.session.post(url, data=data, headers=headers or {}, timeout=60))

    def close(self) -> None:
        self.session.close()


@pytest.fixture
def remote_store(oxigraph_server):
    store = RemoteStore(
        oxigraph_server["query"],
        oxigraph_server["update"],
        oxigraph_server["store"],
        timeout=30,
        engine="oxigraph",
    )
    store.update("DROP SILENT ALL")
    yield store
    store.close()


@pytest.fixture
def embedded_store():
    store = EmbeddedStore(":memory:")
    yield store
    store.close()


VIRTUOSO_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
VIRTUOSO_SYSTEM_GRAPHS = (
    "http://www.openlinksw.com/schemas/virtrdf#",
    "http://www.w3.org/ns/ldp#",
    "http://localhost:8890/",
)


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory):
    """Debian's Virtuoso 7 on loopback, an independent engine for the remote suite."""
    binary = shutil.which("virtuoso-t")
    if not binary or not VIRTUOSO_INI.exists():
        pytest.skip(
            "Debian's virtuoso-opensource-7 is not installed here "
            "(apt-get install virtuoso-opensource-7); the Virtuoso runs are skipped"
        )
    folder = tmp_path_factory.mktemp("virtuoso")
    sql_port, http_port = free_port(), free_port()
    ini = VIRTUOSO_INI.read_text(encoding="utf-8")
    ini = ini.replace("/var/lib/virtuoso-opensource-7/db/", f"{folder}/")
    ini = re.sub(r"(?m)^ServerPort(\s*)=\s*1111", rf"ServerPort\g<1>= {sql_port}", ini)
    ini = re.sub(r"(?m)^ServerPort(\s*)=\s*8890", rf"ServerPort\g<1>= {http_port}", ini)
    # Virtuoso silently truncates results at ResultSetMaxRows (docs/backends.md).
    ini = re.sub(r"(?m)^ResultSetMaxRows\s*=.*$", "ResultSetMaxRows = 1000000", ini)
    # Its cost estimate refuses queries up front, and grows with what the database has
    # seen: the catalogue's place query was refused ("estimated 43217 s") after other
    # tests' data had come and gone (docs/backends.md).
    ini = re.sub(r"(?m)^MaxQueryCostEstimationTime\s*=.*$", "MaxQueryCostEstimationTime = 0", ini)
    (folder / "virtuoso.ini").write_text(ini, encoding="utf-8")
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        [binary, "+foreground", "+configfile", str(folder / "virtuoso.ini")],
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{http_port}"
    try:
        wait_for_http(base + "/sparql", timeout=60, process=process)
        yield {
            "query": base + "/sparql",
            "update": base + "/sparql-auth",
            "store": base + "/sparql-graph-crud-auth",
        }
    finally:
        stop_process(process, 20)
        log.close()


@pytest.fixture
def virtuoso_store(virtuoso_server):
    store = RemoteStore(
        virtuoso_server["query"],
        virtuoso_server["update"],
        virtuoso_server["store"],
        user="dba",
        password="dba",
        auth="digest",
        # a bound, not a speed claim: dropping the content with its inferences took over
        # 30 s on a loaded machine (three test suites on two cores)
        timeout=120,
        hidden_graphs=VIRTUOSO_SYSTEM_GRAPHS,
        engine="virtuoso",
    )
    for graph in store.list_graphs():
        store.drop_graph(graph)
    yield store
    store.close()


@pytest.fixture(params=["embedded", "remote", pytest.param("virtuoso", marks=pytest.mark.virtuoso)])
def store(request):
    """The same behavioural tests on every backend: embedded, oxigraph serve, Virtuoso."""
    return request.getfixturevalue(f"{request.param}_store")


@pytest.fixture
def settings():
    """Settings over the tiny test content tree (tests/data/mini)."""
    return load_settings({"content_dir": str(MINI), "base_iri": BASE}, environ={})


@pytest.fixture
def client(store, settings):
    """The real app over ``store`` (every backend) with the tiny content loaded."""
    from santegraph.loading import Loader
    from santegraph.web import create_app

    Loader(store, settings, progress=False).ensure_content()
    return create_app(settings, store=store).test_client()


@pytest.fixture
def mini_settings(tmp_path):
    """Settings pointing at the tiny test content tree, with an on-disk store in tmp."""
    return load_settings(
        {"content_dir": str(MINI), "store_path": str(tmp_path / "store"), "base_iri": BASE},
        environ={},
    )


def sorted_quads(store) -> list[str]:
    """The whole dataset as sorted N-Quads lines: equal lists mean equal stores."""
    return sorted(str(q) for q in store.quads())


def canonical(quads) -> list[str]:
    """Sorted N-Quads after RDF canonicalisation (RDFC-1.0): blank node labels do not matter,
    so two lists are equal iff the datasets are isomorphic."""
    import pyoxigraph as ox

    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(str(q) for q in dataset)


def canonical_quads(store) -> list[str]:
    return canonical(store.quads())


def pytest_addoption(parser):
    parser.addoption(
        "--update-screenshots",
        action="store_true",
        help="write the browser tests' screenshots to docs/screenshots/ (by default they go "
        "to a temporary folder, so a test run leaves the working tree as it was)",
    )


def pytest_configure(config):
    check_configuration()
    config.addinivalue_line(
        "markers",
        "virtuoso_difference(reason): a documented difference of Virtuoso (docs/backends.md); "
        "the test is expected to fail on Virtuoso only (strict: a fix there is noticed)",
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A test's report carries the source-text checks it could not make (tests/external.py)."""
    report = yield
    if call.when == "setup":
        take_not_made()  # nothing left over from a previous test
    elif call.when == "call":
        not_made = take_not_made()
        if not_made:
            report.user_properties.append((NOT_MADE, not_made))
    return report


def pytest_terminal_summary(terminalreporter):
    """Say which external inputs were used, and what their absence left unchecked."""
    reports = [r for reports in terminalreporter.stats.values() for r in reports]
    terminalreporter.write_sep("-", "external inputs (tests/external.py)")
    for line in summary_lines([r for r in reports if hasattr(r, "when")]):
        terminalreporter.write_line(line)


def pytest_collection_modifyitems(config, items):
    for item in items:
        marker = item.get_closest_marker("virtuoso_difference")
        callspec = getattr(item, "callspec", None)
        if marker and callspec and callspec.params.get("store") == "virtuoso":
            item.add_marker(pytest.mark.xfail(reason=marker.args[0], strict=True))


@contextlib.contextmanager
def live_server(app, threads: int = 4):
    """Serve ``app`` with waitress (as ``santegraph serve`` does) on a free loopback port in
    a daemon thread; yield its base URL; stop it cleanly.

    The thread runs waitress's loop one poll at a time until told to stop, then closes the
    server's sockets itself: a socket closed from another thread while the loop polls it
    makes the poll fail (EBADF), and stopping through waitress's trigger needs the trigger's
    pipe still open at the end.
    """
    import threading

    import waitress
    from waitress import wasyncore

    port = free_port()
    server = waitress.create_server(app, host="127.0.0.1", port=port, threads=threads)
    sockets = server._map  # the listening socket, the trigger, the open connections
    stop = threading.Event()

    def loop():
        try:
            while not stop.is_set() and sockets:
                wasyncore.loop(
                    timeout=0.05, use_poll=server.adj.asyncore_use_poll, map=sockets, count=1
                )
        finally:
            for dispatcher in list(sockets.values()):
                dispatcher.close()

    thread = threading.Thread(target=loop, daemon=True, name="waitress-test")
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + "/healthz")
        yield base
    finally:
        server.task_dispatcher.shutdown()  # the requests in progress end first
        stop.set()
        thread.join(timeout=10)
        assert not thread.is_alive(), "waitress's loop did not stop within 10 s"


@pytest.fixture
def run(tmp_path, capsys, monkeypatch):
    """The CLI in process (``main(argv)``) against a fresh on-disk store under tmp_path and
    the tiny content tree: ``run(*args) -> (exit code, stdout, stderr)``."""
    from santegraph.cli import main

    for name in ("SANTEGRAPH_CONFIG", "SANTEGRAPH_BACKEND", "SANTEGRAPH_STORE_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    common = ["--store-path", str(tmp_path / "store"), "--content-dir", str(MINI), "--no-progress"]

    def invoke(*args: str) -> tuple[int, str, str]:
        code = main([*common, *args])
        out, err = capsys.readouterr()
        return code, out, err

    return invoke
