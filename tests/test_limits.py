"""Every untrusted input is bounded, each bound a setting named in the refusal (issue #13).

Bytes alone do not bound what a parser makes: a Turtle collection ``( 1 1 1 … )`` of
100 KB is 100,000 triples, a CSV cell ``a|b|c|…`` is one triple per value, and a 1 MB gzip
file inflated to 2.1 GB in ``santegraph load``. So the parsers count as they go and stop
at the first item past the limit: ``max_triples``, ``max_csv_rows``, ``max_csv_columns``,
``max_csv_cell_chars``, ``max_inflated_bytes``, ``max_inflation_ratio``. A refusal is a
``413`` (web) or exit code 2 (CLI) naming the setting, in French for stewards, and
nothing is written.
"""

from __future__ import annotations

import gzip
import io
import zlib

import pytest

from santegraph.bounds import CsvLimits, InflateLimits, bounded_csv_rows, inflate, open_gzip
from santegraph.config import load_settings
from santegraph.errors import InputError, LimitExceeded
from santegraph.loading import Loader
from santegraph.store import EmbeddedStore
from santegraph.web import create_app

from .conftest import BASE, MINI, sorted_quads
from .test_steward_web import SUBMISSION_GRAPH, basic, steward_settings

HEADER = "nom;type;localisation;telephone;referent"
ROW = "CPTS Fictive du Littoral {};CPTS;59183;01 99 00 00 00;Marie Fictive"


def collection(items: int) -> str:
    """A Turtle document of 2 * items + 1 triples in about 2 * items bytes."""
    return f"<{BASE}acteur/x> <http://example.org/p> (" + " 1" * items + " ) ."


def csv_rows(count: int) -> str:
    return HEADER + "\n" + "\n".join(ROW.format(i) for i in range(count)) + "\n"


@pytest.fixture
def store():
    store = EmbeddedStore(":memory:")
    yield store
    store.close()


def app_with(store, **overrides):
    settings = steward_settings(**overrides)
    Loader(store, settings, progress=False).ensure_content()
    return create_app(settings, store=store)


def check(client, text: str, fmt: str):
    return client.post("/steward/validate", data={"texte": text, "format": fmt, "sortie": "json"})


# ------------------------------------------------------------------ triples
def test_a_turtle_collection_is_counted_as_it_expands(store):
    client = app_with(store, max_triples=50).test_client()
    refused = check(client, collection(100), "turtle")
    assert refused.status_code == 413
    message = refused.get_json()["message"]
    assert "plus de 50 triplets" in message and "max_triples" in message
    assert check(client, collection(20), "turtle").status_code == 200


def test_the_default_triple_limit_stops_a_100_kb_collection(store):
    """100 KB of Turtle, 100,001 triples: validated whole before (minutes of pySHACL)."""
    client = app_with(store).test_client()
    response = check(client, collection(50_000), "turtle")
    assert response.status_code == 413
    assert "plus de 100000 triplets" in response.get_json()["message"]


def test_the_french_page_names_the_limit(store):
    client = app_with(store, max_triples=10).test_client()
    response = client.post("/steward/validate", data={"texte": collection(10), "format": "turtle"})
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "limite dépassée" in page and "réglage max_triples" in page


def test_multi_valued_csv_cells_count_towards_the_triple_limit(store):
    client = app_with(store, max_triples=30).test_client()
    many = "|".join(["59183"] * 40)
    text = "nom;type;territoires_desservis;referent\nCPTS Fictive;CPTS;" + many + ";R\n"
    response = check(client, text, "csv")
    assert response.status_code == 413
    assert "max_triples" in response.get_json()["message"]


def test_a_store_body_beyond_the_limit_is_a_413_and_nothing_is_written(store):
    web = app_with(store, max_triples=50).test_client()
    before = sorted_quads(store)
    response = web.put(
        f"/store?graph={SUBMISSION_GRAPH}",
        data=collection(100),
        content_type="text/turtle",
        headers=basic(),
    )
    assert response.status_code == 413
    body = response.get_json()
    assert body["setting"] == "max_triples" and body["limit"] == 50
    assert sorted_quads(store) == before


def test_an_update_inserting_beyond_the_limit_is_a_413_and_nothing_is_written(store):
    web = app_with(store, max_triples=5).test_client()
    before = sorted_quads(store)
    triples = " ".join(f"<{BASE}acteur/x> <http://example.org/p> {i} ." for i in range(6))
    response = web.post(
        "/update",
        data=f"INSERT DATA {{ GRAPH <{SUBMISSION_GRAPH}> {{ {triples} }} }}",
        content_type="application/sparql-update",
        headers=basic(),
    )
    assert response.status_code == 413
    assert response.get_json()["setting"] == "max_triples"
    assert sorted_quads(store) == before


# ------------------------------------------------------------------ CSV
@pytest.mark.parametrize(
    ("overrides", "text", "setting", "line"),
    [
        ({"max_csv_rows": 3}, csv_rows(4), "max_csv_rows", 5),
        ({"max_csv_columns": 4}, csv_rows(1), "max_csv_columns", 1),
        (
            {"max_csv_cell_chars": 100},
            HEADER + "\n" + ROW.format("x" * 100) + "\n",
            "max_csv_cell_chars",
            2,
        ),
    ],
)
def test_csv_rows_columns_and_cells_are_bounded(store, overrides, text, setting, line):
    client = app_with(store, **overrides).test_client()
    response = check(client, text, "csv")
    assert response.status_code == 413
    message = response.get_json()["message"]
    assert f"ligne {line}" in message and f"réglage {setting}" in message
    assert check(client, "nom;type;referent\nCPTS Fictive;CPTS;R\n", "csv").status_code == 200


def test_a_cell_over_the_csv_module_field_limit_is_a_413_not_a_500(store):
    """Python's csv module raises csv.Error past 131,072 characters: it was a 500."""
    client = app_with(store, max_csv_cell_chars=0).test_client()
    response = check(client, HEADER + "\n" + "x" * 200_000 + ";CPTS;59183;;R\n", "csv")
    assert response.status_code == 413
    assert "max_csv_cell_chars" in response.get_json()["message"]


def test_bounded_csv_rows_is_the_helper_other_readers_call():
    rows = [(1, ["a", "b"]), (2, ["1", "2"]), (3, ["3", "4"])]
    limits = CsvLimits(rows=2, columns=2, cell_chars=5)
    assert list(bounded_csv_rows(rows, limits, source="f.csv")) == rows
    with pytest.raises(LimitExceeded) as info:
        list(bounded_csv_rows(rows, CsvLimits(1, 2, 5), source="f.csv"))
    assert (info.value.setting, info.value.limit, info.value.line) == ("max_csv_rows", 1, 3)
    settings = load_settings({"max_csv_rows": 7}, environ={})
    assert CsvLimits.from_settings(settings).rows == 7


# ------------------------------------------------------------------ gzip
class EndlessGzip(io.RawIOBase):
    """A gzip stream of zeros that never ends: only a streaming inflater can stop on it."""

    def __init__(self):
        self.deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
        self.pending = b""
        self.served = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        while len(self.pending) < len(buffer):
            self.pending += self.deflate.compress(bytes(1 << 20))
        size = len(buffer)
        buffer[:size], self.pending = self.pending[:size], self.pending[size:]
        self.served += size
        return size


def test_gzip_is_inflated_as_a_stream_and_stopped_at_the_ratio():
    endless = EndlessGzip()
    with pytest.raises(LimitExceeded) as info:
        with open_gzip(endless, InflateLimits(0, 100), source="bombe.ttl.gz") as stream:
            while stream.read(1 << 16):
                pass
    assert info.value.setting == "max_inflation_ratio"
    assert endless.served < 1 << 20  # stopped after reading well under 1 MiB


def test_gzip_is_stopped_at_the_inflated_size():
    data = gzip.compress(b"# commentaire\n" * 10_000)
    with pytest.raises(LimitExceeded, match="max_inflated_bytes"):
        inflate(data, InflateLimits(1000, 0), source="f.ttl.gz")
    assert inflate(data, InflateLimits(1_000_000, 100), source="f.ttl.gz").startswith(b"# comm")
    with pytest.raises(InputError, match="not a valid gzip file"):
        inflate(b"not gzip", InflateLimits(0, 0), source="f.ttl.gz")


def gzip_bomb(size: int = 64 * 1024 * 1024) -> bytes:
    """Valid Turtle (comments only) that inflates about 1,000 times."""
    line = b"#" * 1023 + b"\n"
    return gzip.compress(line * (size // len(line)), 9)


@pytest.mark.parametrize(("command", "name"), [("validate", "bomb.ttl.gz"), ("import", "b.nq.gz")])
def test_the_cli_refuses_a_gzip_bomb_naming_the_setting(run, tmp_path, command, name):
    """1 MB of gzip inflated to 2.1 GB in `santegraph load`: now refused at 16 MiB."""
    path = tmp_path / name
    path.write_bytes(gzip_bomb())
    code, _out, err = run(command, str(path))
    assert code == 2
    assert str(path) in err and "max_inflation_ratio" in err


def test_the_cli_bounds_the_inflated_size_too(run, tmp_path, monkeypatch):
    path = tmp_path / "acteur.ttl.gz"
    path.write_bytes(gzip.compress(f"<{BASE}acteur/x> <http://example.org/p> 1 .\n".encode()))
    monkeypatch.setenv("SANTEGRAPH_MAX_INFLATED_BYTES", "10")
    code, _out, err = run("validate", str(path))
    assert code == 2 and "max_inflated_bytes" in err


def test_limits_are_settings_with_their_defaults():
    settings = load_settings({"content_dir": str(MINI)}, environ={})
    assert (settings.max_triples, settings.max_csv_rows) == (100_000, 10_000)
    assert (settings.max_inflated_bytes, settings.max_inflation_ratio) == (2 * 1024**3, 100)
