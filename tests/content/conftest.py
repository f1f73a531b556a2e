"""Fixtures for the content tests: ontology/, shapes/ and data/ loaded in an in-memory store.

The loader puts each file in its named graph (docs/modeling.md) and validates everything
against the shapes; the default graph is the union of the named graphs, santegraph's
documented default-graph semantics.
"""

from pathlib import Path

import pyoxigraph as ox
import pytest

from santegraph.config import load_settings
from santegraph.loading import Loader
from santegraph.store import EmbeddedStore

from ..external import SourceText

ROOT = Path(__file__).resolve().parents[2]
BASE = "https://w3id.org/santegraph/id/"

PREFIXES = """
PREFIX sg: <https://w3id.org/santegraph/def#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX schema: <https://schema.org/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX cv: <http://data.europa.eu/m8g/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
"""


class ContentStore:
    def __init__(self, store: ox.Store):
        self.store = store

    def select(self, query: str) -> list[dict[str, str]]:
        """Run a SELECT (prefixes above pre-declared); values as plain strings."""
        results = self.store.query(BASE_DECL + PREFIXES + query, use_default_graph_as_union=True)
        names = [v.value for v in results.variables]
        return [
            {n: (row[n].value if row[n] is not None else None) for n in names} for row in results
        ]

    def ask(self, query: str) -> bool:
        return bool(self.store.query(BASE_DECL + PREFIXES + query, use_default_graph_as_union=True))


BASE_DECL = f"BASE <{BASE}>\n"


def fr_literal(text: str) -> str:
    """A French SPARQL literal, escaped (for passages quoted in the content tests)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"@fr'


def quote_checker(stem: str):
    """``quoted(passage)``: assert a passage a test relies on really is in the document
    (without the source texts, counted as a check not made: tests/external.py)."""
    source = SourceText(stem)

    def quoted(passage: str) -> None:
        assert source.says(passage), f"not in {stem}.txt: {passage!r}"

    return quoted


def source_text(stem: str) -> str:
    """The whole text of a source document; without the source texts the test is skipped
    (for tests about the text alone: tests/external.py)."""
    return SourceText(stem).text


@pytest.fixture(scope="session")
def loaded_content():
    """The project content loaded by santegraph's own loader (parse, SHACL gate, write).

    Loading it is itself the proof that data/ conforms to shapes/: a violation raises.
    """
    settings = load_settings({"content_dir": str(ROOT), "base_iri": BASE}, environ={})
    store = EmbeddedStore(":memory:")
    summary = Loader(store, settings, progress=False).load_content()
    return store, summary


@pytest.fixture(scope="session")
def content(loaded_content):
    store, _ = loaded_content
    return ContentStore(store.pyoxigraph_store)
