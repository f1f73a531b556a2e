"""Re-import is synchronisation: what a new dump adds, changes and removes, record by record.

A dataset lives in the steward graphs ``graph/soumission/annuaire--<dataset>--<shard>`` (one
per département of the entries' communes, ``hors-cog`` for the unplaced ones, ``jeu`` for
the dataset's description). An import states the *complete* new content of the dataset:

- records of the dump not in the store are **added**; records whose triples differ are
  **changed**; records of the store missing from the dump are **removed** — withdrawn from
  their graph through the steward workflow, so their previous content stays in the journal;
- a record whose triples are the same is **unchanged** and keeps its provenance (the
  import that produced its current version), so importing the same file twice writes
  nothing at all;
- a field (one property of one entry) a steward corrected in an import graph since the last
  import is kept: if the dump says the same as before the correction, the correction simply
  stays; if the dump changed that field too, it is a **conflict**: the steward's value stays
  and the import reports both. What the last import wrote is read back from the journal
  (the content a later steward event replaced), so nothing extra is stored for this.

A triple belongs to the record of its entry's directory record (``prov:wasDerivedFrom`` a
``sg:FicheAnnuaire`` in the same graph); ``<acteur> sg:offre <service>`` belongs to the
service's record, so adding a service does not "change" its structure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote

import pyoxigraph as ox

from . import rdf
from .model import Record

ADDED, CHANGED, REMOVED, UNCHANGED, KEPT = "ajouté", "modifié", "retiré", "inchangé", "conservé"
DATASET_SHARD = "jeu"

Node = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple  # a triple's subject or object
Field = tuple[ox.NamedNode | ox.BlankNode | ox.Triple, ox.NamedNode]  # (subject, property)


@dataclass
class RecordChange:
    key: str
    status: str
    label: str
    graph: str
    added: list[ox.Triple] = field(default_factory=list)
    removed: list[ox.Triple] = field(default_factory=list)


@dataclass
class FieldConflict:
    key: str
    label: str
    subject: str
    property: str
    local: list[str]  # the value(s) a steward wrote, kept
    source: list[str]  # what the new dump says, not applied


@dataclass
class SyncPlan:
    contents: dict[str, list[ox.Triple]]  # the graphs that change -> their new content
    changes: list[RecordChange]
    conflicts: list[FieldConflict]
    graphs_before: dict[str, int]  # graph -> triples, before
    # graph -> its content as the dump alone makes it, where local corrections were kept
    source_views: dict[str, list[ox.Triple]] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return sum(c.status == status for c in self.changes)

    @property
    def empty(self) -> bool:
        return not self.contents


def record_key(fiche: str, base: str) -> str:
    """``fiche/<dataset>/<kind>/<id>`` -> ``<kind>:<id>`` (the key the readers give)."""
    parts = fiche[len(base) :].split("/")
    return f"{parts[2]}:{unquote(parts[3])}" if len(parts) >= 4 else fiche


def group_by_record(triples: Iterable[ox.Triple], base: str) -> dict[str, list[ox.Triple]]:
    """The triples of one import graph, by record key (``autre:<subject>`` for triples a
    steward added about an entry that has no directory record)."""
    triples = list(triples)
    fiche_type = rdf.sg("FicheAnnuaire")
    fiches = {t.subject for t in triples if t.predicate == rdf.TYPE and t.object == fiche_type}
    owner: dict[Node, Node] = {f: f for f in fiches}
    for t in triples:
        if t.predicate == rdf.DERIVED_FROM and t.object in fiches:
            owner.setdefault(t.subject, t.object)
    groups: dict[str, list[ox.Triple]] = defaultdict(list)
    offre = rdf.sg("offre")
    for t in triples:
        anchor = t.object if t.predicate == offre else t.subject
        fiche = owner.get(anchor)
        key = record_key(_text(fiche), base) if fiche is not None else f"autre:{_text(anchor)}"
        groups[key].append(t)
    return groups


def _text(term: object) -> str:
    return term.value if hasattr(term, "value") else str(term)


def _without_run(triples: Iterable[ox.Triple]) -> set[ox.Triple]:
    return {t for t in triples if t.predicate != rdf.GENERATED_BY}


def _label(triples: Iterable[ox.Triple]) -> str:
    labels = sorted(_text(t.object) for t in triples if t.predicate == rdf.LABEL)
    alt = sorted(_text(t.object) for t in triples if t.predicate == rdf.ALT_LABEL)
    return (labels or alt or [""])[0]


def merge_fields(
    current: set[ox.Triple], base: set[ox.Triple], new: set[ox.Triple]
) -> tuple[set[ox.Triple], list[tuple[Field, set[ox.Triple], set[ox.Triple]]]]:
    """Three-way merge by field (subject, property): (merged triples, conflicting fields)."""

    def by_field(triples: set[ox.Triple]) -> dict[Field, set[ox.Triple]]:
        fields: dict[Field, set[ox.Triple]] = defaultdict(set)
        for t in triples:
            fields[(t.subject, t.predicate)].add(t)
        return fields

    cur, old, fresh = by_field(current), by_field(base), by_field(new)
    merged: set[ox.Triple] = set()
    conflicts: list[tuple[Field, set[ox.Triple], set[ox.Triple]]] = []
    for key in set(cur) | set(old) | set(fresh):
        c, b, n = cur.get(key, set()), old.get(key, set()), fresh.get(key, set())
        if c == b or n == c:
            merged |= n
        elif n == b:
            merged |= c  # a steward's correction, the source unchanged: kept
        else:
            merged |= c
            conflicts.append((key, c, n))
    return merged, conflicts


def plan(
    records: Sequence[Record],
    dataset_triples: Sequence[ox.Triple],
    current_graphs: dict[str, list[ox.Triple]],
    bases: dict[str, list[ox.Triple]],
    *,
    base: str,
    graph_of: Callable[[str], str],  # shard -> graph IRI
    run: ox.NamedNode,
) -> SyncPlan:
    """What the import changes: the new content of every graph it touches, by record."""
    description = graph_of(DATASET_SHARD)  # rewritten whole by every import
    current: dict[str, tuple[str, list[ox.Triple]]] = {}
    for graph, triples in current_graphs.items():
        if graph != description:
            for key, group in group_by_record(triples, base).items():
                current[key] = (graph, group)
    based: dict[str, set[ox.Triple]] = {}
    for graph, triples in bases.items():
        if graph != description:
            for key, group in group_by_record(triples, base).items():
                based[key] = _without_run(group)

    contents: dict[str, list[ox.Triple]] = defaultdict(list)
    as_source: dict[str, list[ox.Triple]] = defaultdict(list)  # the dump alone
    corrected: set[str] = set()  # graphs where a steward's correction was kept
    contents[description] += dataset_triples
    changes: list[RecordChange] = []
    conflicts: list[FieldConflict] = []
    seen: set[str] = set()
    for record in records:
        seen.add(record.key)
        graph = graph_of(record.shard)
        new = set(record.triples)
        as_source[graph] += sorted(new, key=str)
        old_graph, old = current.get(record.key, (graph, []))
        before = _without_run(old)
        if record.key in based and based[record.key] != before:  # a steward edited it
            source = new
            new, clashes = merge_fields(before, based[record.key], new)
            if new != source:
                corrected.add(graph)
            for (subject, prop), local, source in clashes:
                conflicts.append(
                    FieldConflict(
                        record.key,
                        record.label,
                        _text(subject),
                        prop.value,
                        sorted(_text(t.object) for t in local),
                        sorted(_text(t.object) for t in source),
                    )
                )
        if new == before and old:
            contents[old_graph] += old  # unchanged: its provenance too
            changes.append(RecordChange(record.key, UNCHANGED, record.label, old_graph))
            continue
        new.add(ox.Triple(record.fiche, rdf.GENERATED_BY, run))
        contents[graph] += sorted(new, key=str)
        status = CHANGED if old else ADDED
        changes.append(
            RecordChange(
                record.key,
                status,
                record.label,
                graph,
                added=sorted(_without_run(new) - before, key=str),
                removed=sorted(before - _without_run(new), key=str),
            )
        )
    for key, (graph, old) in sorted(current.items()):
        if key in seen:
            continue
        label = _label(old)
        before = _without_run(old)
        if key in based and based[key] != before:  # corrected locally, gone at the source
            contents[graph] += old
            corrected.add(graph)
            changes.append(RecordChange(key, KEPT, label, graph))
            conflicts.append(
                FieldConflict(
                    key, label, "", "", ["corrigé par un référent"], ["retiré à la source"]
                )
            )
            continue
        if key.startswith("autre:"):  # a steward's own addition to an import graph: kept
            contents[graph] += old
            continue
        changes.append(RecordChange(key, REMOVED, label, graph, removed=sorted(before, key=str)))

    changed = {}
    for graph in set(contents) | set(current_graphs):
        new_content = list(dict.fromkeys(contents.get(graph, [])))
        if set(new_content) != set(current_graphs.get(graph, [])):
            changed[graph] = new_content
    return SyncPlan(
        changed,
        changes,
        conflicts,
        {g: len(t) for g, t in current_graphs.items()},
        {g: as_source[g] for g in corrected if g in changed},
    )
