"""What every source format produces: records mapped to RDF, and problems said in French.

A :class:`Record` is one entry of a source file (a data·inclusion structure or service, a
FINESS establishment, a row of a steward CSV template) once mapped: the entry's IRI, every
triple the import states about it and about its directory record (``sg:FicheAnnuaire``),
where it came from (file, row), what identifies it across sources (:class:`MatchKeys`) and
the problems met on the way. Nothing here knows a format: the readers fill records, the
rest of the package (places, dedup, sync, the import itself) only reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

# Severities, as SHACL names them: a Violation rejects the record, the others are reported.
VIOLATION, WARNING, INFO = "Violation", "Warning", "Info"


@dataclass
class Problem:
    """One thing to tell the steward about one record (or one file)."""

    severity: str
    message: str  # in French, says what to do
    file: str = ""
    where: str = ""  # "ligne 3", "enregistrement 3"
    field: str = ""  # the source's own field name (``code_insee``, ``categetab``…)
    value: str = ""
    record: str = ""  # the record's key, when the problem is about one record
    topic: str = ""  # for the summary: lecture, schéma, correspondance, lieu, doublon, shacl

    def text(self) -> str:
        where = ", ".join(p for p in (self.file, self.where) if p)
        field_part = f", champ {self.field}" if self.field else ""
        value = f" (valeur : {self.value})" if self.value else ""
        prefix = f"{where}{field_part} : " if where or field_part else ""
        return f"{prefix}{self.message}{value}"

    def as_dict(self) -> dict[str, str]:
        return dict(self.__dict__)


@dataclass
class MatchKeys:
    """What identifies an organisation across sources (deduplication, dedup.py)."""

    siret: str = ""
    name: str = ""  # normalised name
    commune: str = ""  # IRI of the COG commune
    address: str = ""  # normalised street address


@dataclass
class Record:
    key: str  # unique within a dataset: "structure:dora--42", "etablissement:999000011"
    kind: str  # structure | service | etablissement | acteur
    ident: str  # the record's identifier at the source
    label: str
    file: str
    where: str
    subject: ox.NamedNode  # the entry (actor or service) the record describes
    fiche: ox.NamedNode  # its directory record (provenance)
    triples: list[ox.Triple] = field(default_factory=list)
    shard: str = "hors-cog"  # département code of the entry's commune, names its graph
    parent: str = ""  # a service: the key of its structure
    match: MatchKeys | None = None  # organisations only
    fields: dict[ox.NamedNode, str] = field(default_factory=dict)  # property -> source field
    problems: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not any(p.severity == VIOLATION for p in self.problems)

    def problem(
        self, severity: str, message: str, *, field: str = "", value: str = "", topic: str = ""
    ) -> None:
        self.problems.append(
            Problem(
                severity, message, self.file, self.where, field, value, self.key, topic or "schéma"
            )
        )

    def describe(self) -> str:
        return f"{self.kind} {self.ident} « {self.label} »"
