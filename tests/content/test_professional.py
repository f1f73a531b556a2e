"""The service behind the professional pages (santegraph/professional/), without HTTP."""

from __future__ import annotations

from types import SimpleNamespace

from santegraph.config import load_settings
from santegraph.professional import PerGeneration, ProfessionalService
from santegraph.queries import PUBLIC, query_folder

from ..conftest import MINI
from .conftest import BASE, ROOT


def service_over(store) -> ProfessionalService:
    settings = load_settings({"content_dir": str(ROOT), "base_iri": BASE}, environ={})
    return ProfessionalService(store, settings)


def test_a_toile_request_is_resolved_as_the_page_resolves_it(loaded_content):
    service = service_over(loaded_content[0])
    assert service.toile_request("nope") is None  # the page is a 404

    ambiguous = service.toile_request("jeunes-moins-25", besoin="inconnu", lieu="Bailleul")
    assert ambiguous.besoin is None
    assert ambiguous.problems == ["Ce besoin n'est pas connu : il n'est pas appliqué."]
    assert ambiguous.place is None and len(ambiguous.choices) == 2
    assert not ambiguous.ready  # the page offers the two places, a download is a 400

    asked = service.toile_request("personnes-handicap", role="accompagnement", lieu="Dunkerque")
    assert asked.role == BASE + "role/accompagnement" and asked.problems == []
    assert asked.place.label == "Dunkerque" and asked.ready
    toile = service.toile(asked)
    assert toile.public_iri == BASE + "public/personnes-handicap"
    assert toile.place_label == "Dunkerque"
    assert toile.actors, "someone accompanies people with a disability around Dunkerque"


def test_the_named_queries_are_the_public_catalogue_whatever_the_content(tmp_path, loaded_content):
    """queries/ comes with the program (tests/test_query_locations.py): a content folder
    holding a queries/ of its own, or none, does not change the pages' queries."""
    (tmp_path / "queries").mkdir()
    (tmp_path / "queries" / "chiffres.rq").write_text("SELECT * WHERE { ?s ?p ?o }\n")
    for content in (tmp_path, MINI):
        settings = load_settings({"content_dir": str(content), "base_iri": BASE}, environ={})
        service = ProfessionalService(loaded_content[0], settings)
        assert service.catalogue.directory == query_folder(PUBLIC)


def test_values_are_computed_once_per_store_generation():
    kept, computed = PerGeneration(), []

    def compute():
        computed.append(1)
        return len(computed)

    store = SimpleNamespace(generation=1)
    assert kept.get(store, "x", compute) == kept.get(store, "x", compute) == 1
    store.generation = 2  # a write
    assert kept.get(store, "x", compute) == 2
    remote = SimpleNamespace()  # other clients may write: nothing is kept
    assert kept.get(remote, "x", compute) == 3
    assert kept.get(remote, "x", compute) == 4
