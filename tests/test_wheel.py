"""The wheel stands alone: built from this checkout, installed into a fresh virtual
environment in an empty temporary folder, ``santegraph serve`` serves the whole graph,
whose ontology, shapes, data and queries come inside the package (hatch_build.py).

Real HTTP to a real server process, nothing kept between runs: the wheel is built anew
and installed into a new environment each time (pip may fetch hatchling and the
dependencies from its index or its cache; santegraph itself only comes from the wheel).
It takes a minute or two, most of it installing the dependencies and the first load:
``-m "not wheel"`` leaves it out of a quick run; CI runs it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from .conftest import ROOT, free_port, stop_process, wait_for_http

pytestmark = pytest.mark.wheel


def run(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, check=True, **kwargs)


def outside_env() -> dict[str, str]:
    """The environment without anything pointing back at the checkout or its settings."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SANTEGRAPH_", "PYTHON", "VIRTUAL_ENV", "PYTEST_"))
    }


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv, outside the checkout, where the freshly built wheel is installed."""
    folder = tmp_path_factory.mktemp("wheel")
    dist = folder / "dist"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT))
    (wheel,) = dist.glob("santegraph-*.whl")
    venv = folder / "venv"
    run(sys.executable, "-m", "venv", str(venv))
    run(str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel), env=outside_env())
    return venv


def test_the_installed_package_reads_its_own_content(installed, tmp_path):
    code = (
        "import santegraph.config as c, santegraph.queries as q; "
        "print(c.shipped_root()); print(q.query_folder(q.PUBLIC)); print(c.running_from_checkout())"
    )
    lines = run(
        str(installed / "bin" / "python"), "-c", code, cwd=tmp_path, env=outside_env()
    ).stdout.splitlines()
    site = installed / "lib"
    assert Path(lines[0]).is_relative_to(site) and lines[0].endswith("santegraph/_content")
    assert lines[1] == lines[0] + "/queries"
    assert lines[2] == "False"


@pytest.fixture
def served(installed, tmp_path):
    """``santegraph serve`` from the venv, in an empty folder, on a free loopback port, with
    a store of its own; its base URL."""
    port = free_port()
    env = outside_env() | {"SANTEGRAPH_STORE_PATH": str(tmp_path / "store")}
    log = (tmp_path / "serve.log").open("wb")
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    process = subprocess.Popen(
        [str(installed / "bin" / "santegraph"), "serve", "--port", str(port)],
        cwd=empty,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_for_http(base + "/healthz", timeout=600, process=process)
        except RuntimeError as exc:
            log.flush()
            pytest.fail(f"{exc}:\n{(tmp_path / 'serve.log').read_text(errors='replace')}")
        yield base
    finally:
        stop_process(process, 30)
        log.close()
    assert list(empty.iterdir()) == []  # the store went where it was told, nothing else


def test_the_installed_wheel_serves_the_whole_graph(served):
    home = requests.get(served + "/", timeout=60)
    assert home.status_code == 200, home.text

    publics = requests.get(served + "/publics", timeout=60)
    assert publics.status_code == 200, publics.text
    toiles = set(re.findall(r'href="(/publics/[a-z0-9-]+)"', publics.text))
    assert "/publics/personnes-handicap" in toiles  # a public of data/vocabulaires

    toile = requests.get(served + "/publics/personnes-handicap", timeout=60)
    assert toile.status_code == 200, toile.text
    assert "<svg" in toile.text  # its actors drawn, found by the queries of queries/

    examples = requests.get(served + "/sparql/examples", timeout=60).json()
    assert len(examples) == len(list((ROOT / "queries").glob("*.rq")))

    ask = requests.post(
        served + "/sparql",
        data={"query": "ASK { ?a a <https://w3id.org/santegraph/def#CPTS> }"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    )
    assert ask.status_code == 200, ask.text
    assert ask.json()["boolean"] is True

    ontology = requests.get(served + "/ontology", timeout=60)  # internal queries (rq/)
    assert ontology.status_code == 200, ontology.text
