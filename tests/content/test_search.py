"""Search and place resolution: in-memory indexes built from one query each, on the real
content, accent- and case-insensitive, refreshed when the store changes."""

import pyoxigraph as ox
import pytest

from santegraph import search
from santegraph.queries import PUBLIC, catalogue
from santegraph.search import IndexCache, build_indexes, normalize

from .conftest import BASE


@pytest.fixture(scope="module")
def indexes(loaded_content):
    store, _ = loaded_content
    return build_indexes(store, catalogue(PUBLIC), BASE)


def labels(hits, category):
    return [h.entry.label for h in hits if h.entry.category == category]


def test_normalize():
    assert normalize("  Métropole-Flandres ") == "metropole flandres"
    assert normalize("CŒUR d'Opale") == "coeur d opale"


def test_exact_acronym_then_name_prefix_then_words(indexes):
    hits = indexes.search.search("cpts")
    assert hits[0].entry.iri == "https://w3id.org/santegraph/def#CPTS"  # exact acronym
    actors = labels(hits, "acteur")
    # start of the preferred name: the two CPTS whose name starts with "CPTS"
    assert set(actors[:2]) == {"CPTS de Denain", "CPTS Sud Métropole Lilloise"}
    assert "Centre de soins non programmés de la CPTS Sud Métropole Lilloise" in actors


def test_accents_case_and_abbreviated_words(indexes):
    assert any(
        "Métropole" in label for label in labels(indexes.search.search("METROPOLE"), "acteur")
    )
    kinds = labels(indexes.search.search("maison des ados"), "dispositif")
    assert kinds[0] == "Maison des adolescents"
    publics = labels(indexes.search.search("precarite"), "public")
    assert "Personnes en situation de précarité" in publics


def test_partial_hits_only_when_nothing_better(indexes):
    hits = indexes.search.search("maison des ados")
    assert all(h.tier < search.PARTIAL for h in hits if h.entry.category == "dispositif")


def test_places_by_name_code_and_key(indexes):
    places = indexes.places
    assert [p.key for p in places.resolve("dunkerque")] == ["commune/59183"]
    assert [p.key for p in places.resolve("59350")] == ["commune/59350"]
    assert [p.key for p in places.resolve("Lille 59350")] == ["commune/59350"]
    assert [p.key for p in places.resolve("tas/hainaut")] == ["tas/hainaut"]
    assert [p.key for p in places.resolve("metropole flandres")] == ["tas/metropole-flandres"]
    assert {p.kind for p in places.resolve("Nord")} == {"departement"}
    assert len(places.resolve("Bailleul")) == 2  # homonyms: a choice
    assert places.resolve("Atlantide") == []
    # the archived 2022 vintage is not offered
    assert not any("/cog-" in p.iri for p in places.places)


def test_cache_rebuilds_when_the_store_changes(monkeypatch):
    from santegraph.store import EmbeddedStore

    store = EmbeddedStore(":memory:")
    monkeypatch.setattr(search, "CHECK_INTERVAL", 0)
    cache = IndexCache(lambda: catalogue(PUBLIC), BASE)
    assert cache.get(store).search.search("zorglub") == []
    turtle = (
        b"@prefix sg: <https://w3id.org/santegraph/def#> . "
        b"@prefix skos: <http://www.w3.org/2004/02/skos/core#> . "
        b'<public/zorglub> a sg:Public ; skos:prefLabel "Zorglub"@fr .'
    )
    triples = list(ox.parse(turtle, format=ox.RdfFormat.TURTLE, base_iri=BASE))
    store.replace_graphs({BASE + "graph/local/z": triples})
    assert labels(cache.get(store).search.search("zorglub"), "public") == ["Zorglub"]
    store.close()
