"""Shared fixtures: stores on both backends, the tiny test content, a real oxigraph server.

The `store` fixture is parametrised: every test that takes it runs against the embedded
pyoxigraph store and against a real `oxigraph serve` subprocess reached over HTTP
(started once per session on a free loopback port, emptied before each test).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from santegraph.config import load_settings
from santegraph.store import EmbeddedStore, RemoteStore

ROOT = Path(__file__).resolve().parents[1]
TEST_DATA = ROOT / "tests" / "data"
MINI = TEST_DATA / "mini"
SUBMISSIONS = TEST_DATA / "submissions"
BASE = "https://w3id.org/santegraph/id/"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, timeout: float = 20.0, process: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def oxigraph_binary() -> str:
    found = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(found).exists():
        pytest.fail(
            "the `oxigraph` command is missing: install the test extra (pip install -e '.[test]')"
        )
    return found


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory):
    """A real `oxigraph serve` with the union default graph, as santegraph requires."""
    port = free_port()
    location = tmp_path_factory.mktemp("oxigraph")
    log = (location / "server.log").open("wb")
    process = subprocess.Popen(
        [
            oxigraph_binary(),
            "serve",
            "--location",
            str(location / "db"),
            "--bind",
            f"127.0.0.1:{port}",
            "--union-default-graph",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + "/query", process=process)
        yield {"query": base + "/query", "update": base + "/update", "store": base + "/store"}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture
def remote_store(oxigraph_server):
    store = RemoteStore(
        oxigraph_server["query"], oxigraph_server["update"], oxigraph_server["store"], timeout=30
    )
    store.update("DROP SILENT ALL")
    yield store
    store.close()


@pytest.fixture
def embedded_store():
    store = EmbeddedStore(":memory:")
    yield store
    store.close()


@pytest.fixture(params=["embedded", "remote"])
def store(request):
    """The same behavioural tests on both backends."""
    return request.getfixturevalue(f"{request.param}_store")


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


def canonical_quads(store) -> list[str]:
    """Sorted N-Quads after RDF canonicalisation (RDFC-1.0): blank node labels do not matter."""
    import pyoxigraph as ox

    dataset = ox.Dataset(store.quads())
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(str(q) for q in dataset)
