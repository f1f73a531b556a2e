"""Loads at scale: streamed in batches, validated aside, all or nothing, crash-safe.

The store is built as it will be in a staging store, validated there and swapped in
(docs/decisions/0008-bulk-loading.md). These tests use batches of a few quads so that
every load here spans many batches, as a France-scale one does.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from santegraph.config import load_settings
from santegraph.errors import InputError, StoreError, ValidationFailed
from santegraph.loading import Loader
from santegraph.store import EmbeddedStore

from .conftest import BASE, MINI, SUBMISSIONS, canonical_quads, sorted_quads

EXTRA = BASE + "graph/local/extra"
MSP = f"""<{BASE}acteur/msp-du-banc> a <https://w3id.org/santegraph/def#MSP> ;
  <http://www.w3.org/2004/02/skos/core#prefLabel> "MSP Fictive du Banc"@fr ;
  <https://schema.org/telephone> "01 99 00 12 34" ;
  <http://www.w3.org/ns/prov#wasAttributedTo> <{BASE}referent/banc> .
"""


def settings(**overrides):
    values = {"content_dir": str(MINI), "base_iri": BASE, "load_batch_quads": 7, **overrides}
    return load_settings(values, environ={})


def loader_for(store, **overrides) -> Loader:
    return Loader(store, settings(**overrides), progress=False)


def write_dump(store, path: Path, extra: str = MSP) -> Path:
    """The store's dataset plus ``extra`` (Turtle) in graph/local/extra, as N-Quads."""
    quads = list(store.quads())
    graph = ox.NamedNode(EXTRA)
    quads += [
        ox.Quad(q.subject, q.predicate, q.object, graph)
        for q in ox.parse(extra.encode(), format=ox.RdfFormat.TURTLE)
    ]
    path.write_bytes(ox.serialize(quads, format=ox.RdfFormat.N_QUADS))
    return path


def test_an_import_spans_many_batches_and_round_trips(store, tmp_path):
    loader = loader_for(store)
    loader.ensure_content()
    dump = write_dump(store, tmp_path / "dump.nq")
    expected = canonical_quads(store) + []
    summary = loader.import_dump(dump)
    assert EXTRA in summary.graphs
    assert summary.triples > 5 * 7  # many batches of 7
    after = canonical_quads(store)
    inferences = f"<{BASE}graph/inferences>"

    def stated(quads: list[str]) -> list[str]:
        return [q for q in quads if inferences not in q]

    assert len(stated(after)) == len(stated(expected)) + 4
    assert any("msp-du-banc" in q for q in stated(after))
    # graph/inferences is rebuilt by the import: the new MSP is an acteur there (ADR 0011)
    assert any("msp-du-banc" in q and "def#Acteur>" in q and inferences in q for q in after)


def test_a_violation_in_the_last_batch_leaves_the_store_exactly_as_it_was(store, tmp_path):
    loader = loader_for(store)
    loader.ensure_content()
    before = sorted_quads(store)
    nameless = MSP.replace('"MSP Fictive du Banc"@fr', '"MSP sans langue"')
    with pytest.raises(ValidationFailed) as failure:
        loader.import_dump(write_dump(store, tmp_path / "dump.nq", nameless))
    (result,) = [r for r in failure.value.report.results if r.severity == "Violation"]
    assert result.focus_node == BASE + "acteur/msp-du-banc"
    assert "libellé principal en français" in result.message or "skos:prefLabel" in result.message
    assert result.location == f"{tmp_path / 'dump.nq'}:{len(before) + 1}"
    assert sorted_quads(store) == before


def test_a_dump_with_a_default_graph_triple_is_refused_before_anything_changes(store, tmp_path):
    loader = loader_for(store)
    loader.ensure_content()
    before = sorted_quads(store)
    dump = tmp_path / "dump.nq"
    dump.write_bytes(
        b"".join(store.export("nquads")) + b'<http://example.org/a> <http://example.org/b> "1" .\n'
    )
    with pytest.raises(InputError, match="default graph"):
        loader.import_dump(dump)
    assert sorted_quads(store) == before


def test_a_load_in_context_checks_the_new_graph_against_the_store(store):
    loader = loader_for(store)
    loader.ensure_content()
    before = sorted_quads(store)
    with pytest.raises(ValidationFailed):
        loader.load_files([SUBMISSIONS / "unknown-commune.ttl"])
    assert sorted_quads(store) == before
    loader.load_files([SUBMISSIONS / "valid-msp.ttl"])
    assert store.ask(f"ASK {{ GRAPH <{BASE}graph/local/valid-msp> {{ ?s ?p ?o }} }}")


def test_the_dump_is_parsed_as_it_is_read(tmp_path):
    """A dump is never read whole: the first quad comes before most of the file is read."""
    from santegraph.bulk import stream_quads

    lines = [
        f'<http://example.org/s{i}> <http://example.org/p> "{i}" <{EXTRA}> .\n'
        for i in range(50_000)
    ]
    dump = tmp_path / "big.nq"
    dump.write_text("".join(lines), encoding="utf-8")
    quads = stream_quads(dump, ox.RdfFormat.N_QUADS)
    next(quads)
    handle = quads.gi_frame.f_locals["handle"]
    assert handle.tell() < dump.stat().st_size / 2
    quads.close()


def test_a_restart_on_a_loaded_store_validates_nothing(tmp_path, monkeypatch):
    store = EmbeddedStore(str(tmp_path / "store"))
    loader = loader_for(store)
    assert loader.ensure_content() is not None
    store.close()
    store = EmbeddedStore(str(tmp_path / "store"))
    loader = loader_for(store)
    monkeypatch.setattr(type(loader), "bulk", property(lambda self: pytest.fail("validated")))
    assert loader.ensure_content() is None
    store.close()


# ---------------------------------------------------------------------- on disk


def test_a_store_folder_made_before_versions_is_swapped_in_one_step(tmp_path):
    plain = tmp_path / "store"
    ox.Store(str(plain))  # as santegraph made stores before: the path is the folder
    store = EmbeddedStore(str(plain))
    loader_for(store).ensure_content()
    assert plain.is_symlink()
    expected = sorted_quads(store)
    store.close()
    reopened = EmbeddedStore(str(plain))
    assert sorted_quads(reopened) == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store", os.readlink(plain)]
    reopened.close()


CHILD = """
import os, sys, time
from pathlib import Path
from santegraph.config import load_settings
from santegraph.loading import Loader, _Staging
from santegraph.store.embedded import EmbeddedStore

point, location, dump, marker, mini, base = sys.argv[1:7]

def pause():
    Path(marker).write_text(point)
    time.sleep(3600)

if point == "while-staging":  # a third of the new version written
    flush, calls = _Staging.flush, []
    def paused_flush(self):
        calls.append(1)
        if len(calls) == 5:
            pause()
        flush(self)
    _Staging.flush = paused_flush
elif point == "before-swap":  # validated, written, about to replace the link
    replace = os.replace
    def paused_replace(a, b):
        if str(b) == location:
            pause()
        replace(a, b)
    os.replace = paused_replace
elif point == "after-swap":  # the link replaced, the old version not yet deleted
    EmbeddedStore._reopen = lambda self, path: pause()

settings = load_settings(
    {"content_dir": mini, "base_iri": base, "load_batch_quads": 7}, environ={}
)
Loader(EmbeddedStore(location), settings, progress=False).import_dump(Path(dump))
"""


@pytest.mark.parametrize(
    "point,survives",
    [("while-staging", "before"), ("before-swap", "before"), ("after-swap", "after")],
)
def test_a_load_killed_at_any_point_leaves_the_store_as_before_or_after(tmp_path, point, survives):
    location = tmp_path / "store"
    store = EmbeddedStore(str(location))
    loader_for(store).ensure_content()
    dump = write_dump(store, tmp_path / "dump.nq")
    before = canonical_quads(store)
    store.close()
    expected_after = EmbeddedStore(":memory:")
    loader_for(expected_after).import_dump(dump)
    after = canonical_quads(expected_after)
    assert after != before

    marker = tmp_path / "marker"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, point, str(location), str(dump), str(marker), str(MINI), BASE]
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():  # the event: the child reached the point and stopped
            assert child.poll() is None, "the child ended before reaching the point"
            assert time.monotonic() < deadline, "the child never reached the point"
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()

    reopened = EmbeddedStore(str(location))
    assert canonical_quads(reopened) == (before if survives == "before" else after)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith("store.")]
    assert leftovers == [os.readlink(location)]  # the current version only
    reopened.close()


# ---------------------------------------------------------------------- remote stores


@pytest.fixture(params=["remote", pytest.param("virtuoso", marks=pytest.mark.virtuoso)])
def remote(request):
    return request.getfixturevalue(f"{request.param}_store")


def test_a_load_over_the_update_limit_is_written_one_graph_per_request(remote):
    requests_sent = []
    update = remote.update
    remote.update = lambda text: (requests_sent.append(len(text)), update(text))[1]
    loader = loader_for(remote, remote_update_max_bytes=20_000)
    loader.ensure_content()
    reference = EmbeddedStore(":memory:")
    loader_for(reference).ensure_content()
    assert canonical_quads(remote) == canonical_quads(reference)
    assert all(size <= 20_000 for size in requests_sent)


def test_a_failed_graph_puts_back_the_graphs_already_written(remote, monkeypatch):
    loader = loader_for(remote)
    loader.ensure_content()
    before = canonical_quads(remote)
    written = []
    write_graph = type(remote)._write_graph

    def failing(self, graph, text, max_bytes):
        written.append(graph)
        if len(written) == 3:
            raise StoreError("the endpoint went away (test)")
        write_graph(self, graph, text, max_bytes)

    monkeypatch.setattr(type(remote), "_write_graph", failing)
    loader = loader_for(remote, remote_update_max_bytes=2_000)
    with pytest.raises(StoreError, match="went away"):
        loader.load_content(replace_all=True)
    monkeypatch.undo()
    assert canonical_quads(remote) == before


def test_a_graph_too_large_for_one_update_without_a_graph_store_is_refused(remote):
    loader = loader_for(remote)
    loader.ensure_content()
    before = sorted_quads(remote)
    remote.store_url = ""
    loader = loader_for(remote, remote_update_max_bytes=2_000)
    with pytest.raises(InputError, match="remote_update_max_bytes"):
        loader.load_content(replace_all=True)
    assert sorted_quads(remote) == before
