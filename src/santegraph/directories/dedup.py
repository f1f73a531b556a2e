"""The same organisation in two sources becomes one actor (or a note for a steward).

An imported organisation is compared with the actors the store already holds *outside the
dataset being imported* (another directory, the CNR documents, a steward's submission):

- same SIRET -> the same actor, certain;
- same name, same commune and same street address (names and addresses compared without
  case, accents, punctuation and usual abbreviations) -> the same actor, certain;
- same name and same commune only -> perhaps the same: the record keeps its own entry and
  a quality note (``type-probleme/doublon-possible``) names both for a steward to decide.

"The same actor" means the record describes the existing IRI: its graph adds its facts and
its own provenance (``prov:wasDerivedFrom`` its directory record) to that actor, which then
has both provenances. Its name becomes a ``skos:altLabel`` when the actor already has
another French name (one ``skos:prefLabel`` per actor). Whoever came first names the actor;
if that source later withdraws it, the next import of the other source gives the record its
own entry back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyoxigraph as ox

from ..queries import INTERNAL, catalogue
from . import rdf
from .model import INFO, Record

if TYPE_CHECKING:
    from ..store.base import GraphStore, Row, Term

BATCH = 500
Subject = ox.NamedNode | ox.BlankNode | ox.Triple  # a triple's subject


@dataclass
class Candidate:
    iri: str
    name: str  # French prefLabel
    name_key: str
    siret: str
    commune: str
    address_key: str


@dataclass
class Merge:
    record: str
    target: str
    why: str
    certain: bool


class Deduplicator:
    def __init__(self, store: GraphStore, base: str, own_graphs_prefix: str):
        self.store = store
        self.base = base
        self.own = own_graphs_prefix
        self.queries = catalogue(INTERNAL)

    def _candidates(self, query: str, name: str, values: Sequence[Term]) -> list[Row]:
        rows = []
        for start in range(0, len(values), BATCH):
            for row in self.store.select(
                self.queries[query].text, {name: values[start : start + BATCH]}
            ):
                if not _value(row, "g").startswith(self.own):
                    rows.append(row)
        return rows

    def run(self, records: Sequence[Record], dataset: str) -> list[Merge]:
        """Point the matching records at existing actors, add notes; return the merges."""
        organisations = [r for r in records if r.match is not None and r.valid]
        sirets = sorted({r.match.siret for r in organisations if r.match and r.match.siret})
        communes = sorted({r.match.commune for r in organisations if r.match and r.match.commune})
        by_siret: dict[str, list[Candidate]] = defaultdict(list)
        for row in self._candidates(
            "directory_candidates_siret", "siret", [ox.Literal(s) for s in sirets]
        ):
            by_siret[_value(row, "key")].append(_candidate(row, siret=_value(row, "key")))
        by_place: dict[tuple[str, str], list[Candidate]] = defaultdict(list)
        for row in self._candidates(
            "directory_candidates_commune", "commune", [rdf.node(c) for c in communes]
        ):
            candidate = _candidate(row, commune=_value(row, "key"))
            by_place[(candidate.commune, candidate.name_key)].append(candidate)
        noted = self._noted_pairs()
        merges: list[Merge] = []
        renamed: dict[Subject, ox.NamedNode] = {}
        for record in organisations:
            keys = record.match
            if keys is None:  # not an organisation (filtered out above)
                continue
            own = record.subject.value
            found = [c for c in by_siret.get(keys.siret, ()) if c.iri != own] if keys.siret else []
            why = "même SIRET"
            if not found:
                same_place = [
                    c for c in by_place.get((keys.commune, keys.name), ()) if c.iri != own
                ]
                found = [c for c in same_place if keys.address and c.address_key == keys.address]
                why = "même nom, même commune et même adresse"
                if not found and same_place:
                    other = sorted(same_place, key=lambda c: c.iri)[0]
                    if frozenset((own, other.iri)) not in noted:  # once, by either source
                        self._note(record, other, dataset)
                    merges.append(Merge(record.key, other.iri, "même nom et même commune", False))
                    continue
            if not found:
                continue
            target = sorted(found, key=lambda c: c.iri)[0]
            renamed[record.subject] = rdf.node(target.iri)
            _rename_label(record, target)
            record.problem(
                INFO,
                f"même structure que « {target.name} » ({target.iri}) ({why}) : fusionnée, "
                "les deux provenances sont gardées",
                topic="doublon",
            )
            merges.append(Merge(record.key, target.iri, why, True))
        if renamed:
            for record in records:
                if record.subject in renamed:
                    record.subject = renamed[record.subject]
                record.triples = [_rename(t, renamed) for t in record.triples]
        return merges

    def _noted_pairs(self) -> set[frozenset[str]]:
        """The pairs of entries another graph already notes as possible duplicates."""
        query = self.queries["directory_duplicate_notes"].text
        kind = rdf.node(f"{self.base}type-probleme/doublon-possible")
        return {
            frozenset((_value(row, "a"), _value(row, "b")))
            for row in self.store.select(query, {"type": kind})
            if not _value(row, "g").startswith(self.own)
        }

    def _note(self, record: Record, other: Candidate, dataset: str) -> None:
        note = rdf.node(
            f"{self.base}note/annuaire/{rdf.segment(dataset)}/{record.kind}/"
            f"{rdf.segment(record.ident)}"
        )
        add = record.triples.append
        add(ox.Triple(note, rdf.TYPE, rdf.sg("NoteQualite")))
        add(ox.Triple(note, rdf.sg("concerne"), record.subject))
        add(ox.Triple(note, rdf.sg("concerne"), rdf.node(other.iri)))
        add(
            ox.Triple(
                note, rdf.sg("typeProbleme"), rdf.node(f"{self.base}type-probleme/doublon-possible")
            )
        )
        add(
            ox.Triple(
                note,
                rdf.COMMENT,
                rdf.fr(
                    f"« {record.label} » ({record.kind} {record.ident} du jeu {dataset}) et "
                    f"« {other.name} » "
                    f"({other.iri}) ont le même nom dans la même commune, mais pas la même "
                    "adresse ni le même SIRET : même structure ou non ? À trancher par un référent."
                ),
            )
        )
        add(ox.Triple(note, rdf.DERIVED_FROM, record.fiche))
        record.problem(
            INFO,
            f"doublon possible de « {other.name} » ({other.iri}) : note de qualité pour "
            "un référent",
            topic="doublon",
        )


def _candidate(row: Row, *, siret: str = "", commune: str = "") -> Candidate:
    def value(name: str) -> str:
        term = row.get(name)
        return term.value if term is not None else ""

    return Candidate(
        iri=value("acteur"),
        name=value("nom"),
        name_key=rdf.name_key(value("nom")),
        siret=siret or value("siret"),
        commune=commune or value("commune"),
        address_key=rdf.address_key(value("adresse").split(",")[0]),
    )


def _rename_label(record: Record, target: Candidate) -> None:
    """One French prefLabel per actor: ours becomes an altLabel when the names differ."""
    if not target.name:
        return
    renamed = []
    for t in record.triples:
        if t.subject == record.subject and t.predicate == rdf.LABEL:
            if isinstance(t.object, ox.Literal) and t.object.value == target.name:
                continue  # the same name: the other source states it
            t = ox.Triple(t.subject, rdf.ALT_LABEL, t.object)
        renamed.append(t)
    record.triples = renamed


def _rename(triple: ox.Triple, renamed: dict[Subject, ox.NamedNode]) -> ox.Triple:
    s, o = renamed.get(triple.subject, triple.subject), triple.object
    if isinstance(o, ox.NamedNode):
        o = renamed.get(o, o)
    if s is triple.subject and o is triple.object:
        return triple
    return ox.Triple(s, triple.predicate, o)


def _value(row: Row, name: str) -> str:
    term = row.get(name)
    return "" if term is None else term.value
