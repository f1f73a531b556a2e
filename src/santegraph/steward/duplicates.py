"""Duplicates: a change that adds an entry the store already has.

A steward who sends an entry again instead of correcting their submission would give the
graph two descriptions of one organisation (two phone numbers, two addresses). So every
entry a change *adds* is looked up in the rest of the store: the same IRI in another
steward submission, the same French name in the same commune (``sg:localisation``; names
compared without case, accents or punctuation), the same SIRET or FINESS number. The
workflow shows them in the preview and offers to correct the existing submission instead;
writing anyway needs an acknowledgement (``workflow.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from ..iris import slugify
from ..queries import QueryCatalogue
from ..store.base import GraphStore, Row, bound, text
from ..vocab import SG

PREF_LABEL = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
LOCATION = ox.NamedNode(str(SG.localisation))
IDENTIFIERS = {str(SG.siret): "même SIRET", str(SG.finess): "même FINESS"}


@dataclass(frozen=True)
class Duplicate:
    entry: str  # the entry the change adds
    existing: str  # the entry the store already has (the same IRI for "même IRI")
    graph: str  # the graph describing the existing entry
    reason: str  # in French: même IRI, même nom et même commune, même SIRET, même FINESS
    name: str = ""  # the existing entry's French name
    in_submission: bool = False  # the graph is a steward submission (else a content file's)


def find_duplicates(
    store: GraphStore,
    queries: QueryCatalogue,
    added: dict[str, list[ox.Triple]],
    *,
    ignored_graphs: Iterable[str],
    submission_prefix: str,
) -> list[Duplicate]:
    """Duplicates of the added entries (IRI -> the triples describing it after the change),
    outside ``ignored_graphs`` (the graphs being changed, the journal)."""
    if not added:
        return []
    ignored = set(ignored_graphs)
    found: set[Duplicate] = set()
    entries = [ox.NamedNode(iri) for iri in sorted(added)]
    for row in store.select(queries["entries_in_graphs"].text, {"node": entries}):
        graph = bound(row, "g").value
        if graph.startswith(submission_prefix) and graph not in ignored:
            found.add(
                Duplicate(
                    bound(row, "node").value, bound(row, "node").value, graph, "même IRI", "", True
                )
            )

    names: dict[tuple[str, str], set[str]] = {}  # (commune, slug of a name) -> new entries
    values: dict[ox.Literal, set[str]] = {}  # SIRET / FINESS -> new entries
    for iri, triples in added.items():
        labels = {
            slugify(t.object.value)
            for t in triples
            if isinstance(t.object, ox.Literal) and _french_label(t)
        }
        for t in triples:
            if t.predicate == LOCATION and isinstance(t.object, ox.NamedNode):
                for slug in labels:
                    names.setdefault((t.object.value, slug), set()).add(iri)
            if t.predicate.value in IDENTIFIERS and isinstance(t.object, ox.Literal):
                values.setdefault(ox.Literal(t.object.value), set()).add(iri)
    communes = sorted({ox.NamedNode(c) for c, _ in names}, key=lambda n: n.value)
    for row in _select(store, queries["entries_in_communes"].text, "commune", communes):
        key = (bound(row, "commune").value, slugify(bound(row, "name").value))
        for iri in names.get(key, ()):
            _add(found, iri, row, "même nom et même commune", ignored, submission_prefix)
    for row in _select(
        store, queries["entries_with_identifiers"].text, "value", sorted(values, key=str)
    ):
        for iri in values.get(ox.Literal(bound(row, "value").value), ()):
            _add(
                found,
                iri,
                row,
                IDENTIFIERS[bound(row, "property").value],
                ignored,
                submission_prefix,
            )
    return sorted(found, key=lambda d: (d.entry, d.graph, d.existing, d.reason))


def _french_label(triple: ox.Triple) -> bool:
    obj = triple.object
    return triple.predicate == PREF_LABEL and isinstance(obj, ox.Literal) and obj.language == "fr"


def _select(
    store: GraphStore, query: str, name: str, terms: Sequence[ox.NamedNode | ox.Literal]
) -> list[Row]:
    return store.select(query, {name: list(terms)}) if terms else []


def _add(
    found: set[Duplicate], iri: str, row: Row, reason: str, ignored: set[str], prefix: str
) -> None:
    existing, graph = bound(row, "entry").value, bound(row, "g").value
    if existing != iri and graph not in ignored:
        name = text(row, "name")
        found.add(Duplicate(iri, existing, graph, reason, name, graph.startswith(prefix)))
