"""Fixtures for the directory imports: the project content in a fresh in-memory store.

The real ontology, shapes, vocabularies and COG are needed (the tables map to them, the
places come from them). They are parsed once per session and copied into a new store for
every test (a bulk copy, no validation: the content tests prove it conforms); the shapes
are parsed once and shared by every test's loader.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from santegraph.config import load_settings
from santegraph.directories.importer import DirectoryImporter
from santegraph.directories.sources import SourceFile
from santegraph.loading import Loader, content_files
from santegraph.steward.credentials import Steward
from santegraph.steward.workflow import Stewardship
from santegraph.store import EmbeddedStore

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "data" / "annuaires"
BASE = "https://w3id.org/santegraph/id/"
MARIE = Steward("Marie Martin")


@pytest.fixture(scope="session")
def content_settings():
    return load_settings({"content_dir": str(ROOT), "base_iri": BASE}, environ={})


@pytest.fixture(scope="session")
def content(content_settings):
    """The project content as quads, and a loader whose shapes are parsed."""
    loader = Loader(EmbeddedStore(":memory:"), content_settings, progress=False)
    quads = [q for p in loader.read_files(content_files(ROOT)) for q in p.quads]
    loader.validator  # noqa: B018 - parsed once, shared
    loader.entry_classes  # noqa: B018
    return quads, loader


@pytest.fixture
def store(content):
    quads, _ = content
    store = EmbeddedStore(":memory:")
    store.pyoxigraph_store.bulk_extend(quads)
    yield store
    store.close()


@pytest.fixture
def stewardship(store, content, content_settings):
    _, shared = content
    loader = Loader(store, content_settings, progress=False)
    loader.__dict__["validator"] = shared.validator
    loader.__dict__["entry_classes"] = shared.entry_classes
    return Stewardship(store, content_settings, loader)


@pytest.fixture
def importer(stewardship):
    return DirectoryImporter(stewardship)


def files(*names: str) -> list[SourceFile]:
    return [SourceFile.from_path(FIXTURES / name) for name in names]


def data(name: str, text: str | bytes) -> SourceFile:
    return SourceFile(name, data=text.encode() if isinstance(text, str) else text)


def run(importer, fmt: str, *sources, steward=MARIE, **options):
    """Prepare and, unless refused, commit; the preview."""
    sources = [s if isinstance(s, SourceFile) else files(s)[0] for s in sources]
    preview = importer.prepare(fmt, sources, steward, **options)
    if not preview.refused:
        importer.commit(preview)
    return preview


@pytest.fixture
def imported(importer):
    """FINESS, then data·inclusion, then the CSV template: the fixtures as a territory
    would import them."""
    run(importer, "finess", "etablissements.csv")
    run(importer, "data-inclusion", "structures.json", "services.json")
    run(importer, "csv", "acteurs.csv")
    return importer
