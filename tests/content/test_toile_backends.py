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

from santegraph.queries import PUBLIC
from santegraph.queries import catalogue as named_queries
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
    catalogue = named_queries(PUBLIC)
    expected_vocabulary = load_vocabulary(reference, catalogue)
    vocabulary = load_vocabulary(store, catalogue)
    cases = grid(reference)
    assert len(cases) > 50
    wrong = []
    for public in PUBLICS:
        for filters in cases:
            args = {"public": BASE + public, **filters}
            expected = build_toile(reference, catalogue, vocabulary=expected_vocabulary, **args)
            got = build_toile(store, catalogue, vocabulary=vocabulary, **args)
            if [a.iri for a in got.actors] != [a.iri for a in expected.actors]:
                wrong.append((public, filters, len(got.actors), len(expected.actors)))
    assert wrong == []
