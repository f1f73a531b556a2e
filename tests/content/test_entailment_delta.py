"""A steward change on the project content moves graph/inferences exactly as a whole
recomputation would, with the ontology's real rules, chains and inverses (issue 17's
entailment, kept in step by each commit; tests/test_entailment.py has the small cases)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from santegraph.entailment import _infer, inferences_delta
from santegraph.iris import inferences_graph

from .conftest import BASE

FEUILLE_DE_ROUTE = BASE + "graph/sources/002_017d9451b3d5fdac"


def _triples(store, graph):
    return [q.triple for q in store.match(graph=ox.NamedNode(graph))]


def _every_other(store):
    """Half of the feuille de route's triples withdrawn: actions lose what they mobilise
    (a rule), territories their inclusion (transitive), quantities their subject (inverse)."""
    return {"replace": {FEUILLE_DE_ROUTE: _triples(store, FEUILLE_DE_ROUTE)[::2]}}


def _a_new_mobilisation(store):
    sg = "https://w3id.org/santegraph/def#"
    action = next(q.subject for q in store.match(predicate=ox.NamedNode(sg + "mobilise")))
    place = next(q.subject for q in store.match(predicate=ox.NamedNode(sg + "inclusDans")))
    return {
        "add": {
            BASE + "graph/steward/essai": [
                ox.Triple(action, ox.NamedNode(sg + "mobilise"), place),
                ox.Triple(place, ox.NamedNode(sg + "partenaire"), action),
            ]
        }
    }


@pytest.mark.parametrize("change", [_every_other, _a_new_mobilisation])
def test_a_delta_on_the_content_equals_a_recomputation(loaded_content, change):
    store, _ = loaded_content
    target = inferences_graph(BASE)
    arguments = change(store)
    added, removed = inferences_delta(store, BASE, **arguments)
    now = set(_triples(store, target))
    after, _ = _infer(store, BASE, arguments.get("replace"), arguments.get("add"), (), None)
    assert (now - set(removed[target])) | set(added[target]) == set(after)
    assert added[target] or removed[target]
