"""Reporting an error on an entry: the steward proposal it opens, pre-filled.

"Signaler une erreur" on an actor's fiche leads a steward to a submission form holding
the entry's current description in Turtle and a comment naming it: the steward corrects
what is wrong and the usual workflow checks and previews it (``workflow.py``). When one
steward submission holds the whole description, the form corrects that submission;
otherwise (an entry of the content files) it deposits a new one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pyoxigraph as ox

from ..store.base import bound
from .workflow import Stewardship

SKOS_PREF_LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"


@dataclass(frozen=True)
class Report:
    """What the report form starts from."""

    entry: str
    label: str
    graph: str  # the steward submission holding the description, "" if none alone does
    turtle: str  # the entry's current description
    comment: str

    @property
    def correction(self) -> bool:
        return bool(self.graph)


def report_for(stewardship: Stewardship, entry: str, prefixes: Mapping[str, str]) -> Report | None:
    """The pre-filled proposal for an error on ``entry`` (None: the graph does not
    describe it). ``prefixes`` make the Turtle readable (sg:, skos:...)."""
    try:
        node = ox.NamedNode(entry)
    except ValueError:
        return None
    rows = stewardship.store.select(stewardship.queries["entry_description"].text, {"entree": node})
    # what the store derives (graph/inferences) is never a steward's to write
    rows = [r for r in rows if not bound(r, "g").value.endswith("/graph/inferences")]
    if not rows:
        return None
    graphs = {bound(r, "g").value for r in rows}
    graph = next(iter(graphs)) if len(graphs) == 1 else ""
    if graph and not graph.startswith(stewardship.submission_prefix):
        graph = ""
    triples = sorted(
        {ox.Triple(node, ox.NamedNode(bound(r, "p").value), bound(r, "o")) for r in rows},
        key=lambda t: (t.predicate.value, str(t.object)),
    )
    base = stewardship.settings.base_iri
    data = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=dict(prefixes), base_iri=base)
    assert data is not None  # no output given: the bytes are returned
    turtle = data.decode("utf-8")
    label = next(
        (bound(r, "o").value for r in rows if bound(r, "p").value == SKOS_PREF_LABEL),
        entry.rsplit("/", 1)[-1],
    )
    return Report(
        entry,
        label,
        graph,
        turtle,
        f"Signalement d'une erreur sur la fiche « {label} » : ",
    )
