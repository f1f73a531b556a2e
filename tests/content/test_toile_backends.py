"""The toiles of the whole content are the same on every backend.

On the tiny dataset of tests/test_toile_build.py Virtuoso 7 answered like Oxigraph; on the
whole content it did not: with a need, a role or a place, filtered toiles of
``professionnels-sante`` lost actors (in the Nord: 1 of 3; for the need
"attractivité des métiers": 2 of 5), silently. Each filter is now a query of its own
(``toile-besoin``, ``toile-role``, ``toile-lieu``) intersected with the public's actors
(``toile/build.py``). Here the content is copied graph by graph into the backend and every
toile of a grid of public, need, role and place is compared with the embedded store's.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from santegraph.queries import PUBLIC, catalogue
from santegraph.store import EmbeddedStore
from santegraph.toile.build import build_toile, load_vocabulary

from .conftest import BASE

SG = "https://w3id.org/santegraph/def#"
PUBLICS = ("public/professionnels-sante", "public/jeunes-moins-25", "public/personnes-handicap")


def copy_content(reference: EmbeddedStore, store) -> None:
    """Every graph of the content, one request each (the Graph Store's PUT where there is
    one: one update holding the whole content is over Virtuoso's limits)."""
    for graph in reference.list_graphs():
        name = ox.NamedNode(graph)
        triples = [ox.Triple(q.subject, q.predicate, q.object) for q in reference.match(graph=name)]
        store.replace_graphs({graph: triples})


def grid(reference: EmbeddedStore) -> list[dict]:
    """No filter, each need, each role, and each territory an actor is tied to (with the
    territories containing those): one filter at a time."""
    places = {
        row["t"].value
        for row in reference.select(
            f"SELECT DISTINCT ?t WHERE {{ {{ ?a <{SG}localisation> ?t }} "
            f"UNION {{ ?a <{SG}territoireDesservi> ?t }} "
            f"UNION {{ ?a <{SG}localisation>/<{SG}inclusDans>+ ?t }} }}"
        )
    }

    def concepts(kind: str) -> list[str]:
        rows = reference.select(f"SELECT ?c WHERE {{ ?c a <{SG}{kind}> }}")
        return sorted(row["c"].value for row in rows)

    return (
        [{}]
        + [{"besoin": b} for b in concepts("Besoin")]
        + [{"role": r} for r in concepts("RoleParcours")]
        + [{"places": [p]} for p in sorted(places)]
    )


def test_every_toile_of_the_content_is_the_same_on_every_backend(loaded_content, store):
    reference = loaded_content[0]
    if isinstance(store, EmbeddedStore):
        pytest.skip("the embedded store is the reference")
    copy_content(reference, store)
    assert store.count_triples() == reference.count_triples()
    queries = catalogue(PUBLIC)
    expected_vocabulary = load_vocabulary(reference, queries)
    vocabulary = load_vocabulary(store, queries)
    cases = grid(reference)
    assert len(cases) > 50
    wrong = []
    for public in PUBLICS:
        for filters in cases:
            args = {"public": BASE + public, **filters}
            expected = build_toile(reference, queries, vocabulary=expected_vocabulary, **args)
            got = build_toile(store, queries, vocabulary=vocabulary, **args)
            if [a.iri for a in got.actors] != [a.iri for a in expected.actors]:
                wrong.append((public, filters, len(got.actors), len(expected.actors)))
    assert wrong == []


def test_propositions_and_actions_of_the_content_are_the_same_on_every_backend(
    loaded_content, store
):
    """The pages' propositions and actions, unfiltered and filtered by every origin, by
    every défi, and by the places elements are tied to (with one territory containing
    each and one inside it). With every filter in one query, Virtuoso 7 refused them all
    (its memory pool exhausted); each filter is now a query of its own or a field."""
    from santegraph.config import load_settings
    from santegraph.professional.service import ProfessionalService

    reference = loaded_content[0]
    if isinstance(store, EmbeddedStore):
        pytest.skip("the embedded store is the reference")
    copy_content(reference, store)
    settings = load_settings({"base_iri": BASE}, environ={})
    expected, got = ProfessionalService(reference, settings), ProfessionalService(store, settings)
    everything = expected.select_elements()
    assert len(everything) > 100
    cases: list[tuple[str, dict]] = [("", {}), ("proposition", {}), ("action", {})]
    cases += [
        ("", {"origine": [o]}) for o in sorted({o for e in everything for o, _ in e["origine"]})
    ]
    cases += [
        ("", {"repond": [r]}) for r in sorted({r for e in everything for r, _ in e["repond"]})
    ]
    places = reference.select(
        f"PREFIX sg: <{SG}> PREFIX dct: <http://purl.org/dc/terms/> "
        "SELECT DISTINCT ?t (SAMPLE(?up) AS ?u) (SAMPLE(?down) AS ?d) WHERE { "
        "?e sg:territoireConcerne|sg:issueDe/(sg:territoireAnimation|sg:commune)"
        "|dct:isPartOf/sg:territoireConcerne ?t "
        "OPTIONAL { ?t sg:inclusDans ?up } OPTIONAL { ?down sg:inclusDans ?t } } GROUP BY ?t"
    )
    lieux = {row[k].value for row in places for k in ("t", "u", "d") if row.get(k) is not None}
    cases += [("", {"lieu": [p]}) for p in sorted(lieux)]
    assert len(cases) > 40
    wrong = [
        (nature, facets)
        for nature, facets in cases
        if [e["iri"] for e in got.select_elements(nature, **dict(facets))]
        != [e["iri"] for e in expected.select_elements(nature, **dict(facets))]
    ]
    assert wrong == []
