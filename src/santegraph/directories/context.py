"""What every reader needs to map a record: where IRIs live, the places, the tables."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from . import rdf
from .correspondances import Correspondances, Mapping
from .model import INFO, WARNING, Record
from .places import Places


@dataclass
class Context:
    base: str
    dataset: str  # the --source name: names the dataset, its graphs and records
    places: Places
    tables: Correspondances
    max_depth: int = 100
    actor_classes: frozenset[str] = field(default_factory=frozenset)  # sg:Acteur and below

    @property
    def dataset_node(self) -> ox.NamedNode:
        return rdf.dataset_iri(self.base, self.dataset)

    def new_record(
        self, kind: str, ident: str, label: str, file: str, where: str, entry: str
    ) -> Record:
        """A record whose entry is ``<entry>/<dataset>/<ident>`` (acteur, service)."""
        return Record(
            key=f"{kind}:{ident}",
            kind=kind,
            ident=ident,
            label=label,
            file=file,
            where=where,
            subject=rdf.entry_iri(self.base, entry, self.dataset, ident),
            fiche=rdf.fiche_iri(self.base, self.dataset, kind, ident),
        )

    def fiche(self, record: Record, modified: str = "", producer: str = "") -> None:
        """The directory record: identifier, dataset, update date, producer (the import
        that produced it is added by the sync, which knows whether it changed)."""
        f = record.fiche
        add = record.triples.append
        add(ox.Triple(f, rdf.TYPE, rdf.sg("FicheAnnuaire")))
        add(ox.Triple(f, rdf.IDENTIFIER, rdf.string(record.ident)))
        add(ox.Triple(f, rdf.IS_PART_OF, self.dataset_node))
        if modified:
            add(ox.Triple(f, rdf.MODIFIED, rdf.date(modified)))
        if producer:
            add(ox.Triple(f, rdf.sg("producteur"), rdf.string(producer)))
        add(ox.Triple(record.subject, rdf.DERIVED_FROM, f))

    def ensure_actor(self, record: Record) -> None:
        """An organisation is an ``sg:Acteur``: said outright when the types the tables gave
        are not actor kinds (``sg:DispositifInsertion`` is a kind of dispositif only)."""
        types = {
            t.object.value
            for t in record.triples
            if t.subject == record.subject
            and t.predicate == rdf.TYPE
            and isinstance(t.object, ox.NamedNode)
        }
        if not types & self.actor_classes:
            record.triples.append(ox.Triple(record.subject, rdf.TYPE, rdf.sg("Acteur")))

    def place(self, record: Record, code: str, postcode: str, name: str, field: str) -> str:
        """Put the record on its commune (sg:localisation); returns the commune IRI."""
        placed = self.places.resolve(code, postcode, name)
        if placed.message:
            record.problem(placed.severity, placed.message, field=field, value=code, topic="lieu")
        if placed.commune:
            record.triples.append(
                ox.Triple(record.subject, rdf.sg("localisation"), rdf.node(placed.commune))
            )
            record.shard = placed.departement or "hors-cog"
        return placed.commune

    def mapped(
        self,
        record: Record,
        mapping: Mapping | None,
        code: str,
        nomenclature: str,
        field: str,
        columns: dict[str, ox.NamedNode],
        subject: ox.NamedNode | None = None,
    ) -> None:
        """Apply one row of a table: ``columns`` names the property each column fills; the
        code itself is kept (``sg:codeExterne``), and a code mapped to nothing reported."""
        subject = subject or record.subject
        add = record.triples.append
        add(ox.Triple(subject, rdf.sg("codeExterne"), rdf.code(code, nomenclature)))
        if mapping is None:
            record.problem(
                WARNING,
                f"code « {code} » absent de la table de correspondance : gardé tel quel",
                field=field,
                value=code,
                topic="correspondance",
            )
            return
        found = False
        for column, predicate in columns.items():
            for target in mapping.get(column):
                add(ox.Triple(subject, predicate, rdf.node(target)))
                found = True
        if not found:
            record.problem(
                INFO,
                f"code « {code} » sans correspondance santegraph : gardé tel quel"
                + (f" ({mapping.comment})" if mapping.comment else ""),
                field=field,
                value=code,
                topic="correspondance",
            )
