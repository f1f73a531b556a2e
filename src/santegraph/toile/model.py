"""Data of one toile, independent of how it was queried and how it is drawn."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Sector:
    """A sector of the toile (sanitaire, médico-social, social, ...), from data/vocabulaires."""

    iri: str
    label: str
    color: str  # "#RRGGBB", sg:couleur of the secteur concept


@dataclass(frozen=True)
class ToileActor:
    iri: str  # the actor's IRI (its resource page is derived from it)
    label: str
    acronym: str = ""
    kinds: tuple[str, ...] = ()  # labels of its most specific classes (e.g. "CPTS")
    kind_iris: tuple[str, ...] = ()
    sector: Sector | None = None  # None: shown in an "autres" sector
    roles: tuple[str, ...] = ()  # labels of roles in the path (repérage, orientation...)
    what: str = ""  # what it does for this public (service description), may be empty
    territories: tuple[str, ...] = ()  # labels of territories served / located in
    phone: str = ""
    email: str = ""
    url: str = ""
    sources: tuple[str, ...] = ()  # file names of the source documents, directories' titles
    updated: str = ""  # latest update date of its directory records (YYYY-MM-DD), if any


@dataclass(frozen=True)
class ToileLink:
    """An orientation step of the person's path: ``source`` orients towards ``target``."""

    source: str  # actor IRI
    target: str  # actor IRI


@dataclass(frozen=True)
class Gap:
    """A kind of dispositif expected for this public/need but not recorded here."""

    kind_iri: str
    kind_label: str


@dataclass
class Toile:
    public_iri: str
    public_label: str
    need_label: str = ""
    place_label: str = ""
    role_label: str = ""
    actors: list[ToileActor] = field(default_factory=list)
    links: list[ToileLink] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    sectors: list[Sector] = field(default_factory=list)  # every sector, in display order
