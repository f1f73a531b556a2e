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
    """An entry of the toile: an organisation (drawn), or a dispositif or programme (listed
    apart, ``is_actor`` False), as a directory card shows it."""

    iri: str  # the actor's IRI (its pages are derived from it)
    label: str
    acronym: str = ""
    kinds: tuple[str, ...] = ()  # labels of its most specific classes (e.g. "CPTS")
    kind_iris: tuple[str, ...] = ()
    sector: Sector | None = None  # None: shown in an "autres" sector
    roles: tuple[str, ...] = ()  # labels of roles in the path (repérage, orientation...)
    what: str = ""  # what it does for this public (its services' names), may be empty
    territories: tuple[str, ...] = ()  # labels of territories served / located in
    phone: str = ""
    email: str = ""
    url: str = ""
    sources: tuple[str, ...] = ()  # titles of the source documents and directory datasets
    is_actor: bool = True  # an organisation (sg:Acteur); else a dispositif or programme
    address: str = ""
    updated: str = ""  # « mis à jour le 14 mars 2025 · source : … », "" never dated


@dataclass(frozen=True)
class ToileLink:
    """An orientation step of the person's path, as recorded (``sg:Orientation``):
    ``source`` orients towards ``target`` for this public (and need), says ``origin``."""

    source: str  # actor IRI
    target: str  # actor IRI
    public: str = ""  # label of the public the orientation is recorded for
    need: str = ""  # label of its need, "" any
    origin: str = ""  # the source of the fact (document, convention, page)


@dataclass(frozen=True)
class WidenStep:
    """A wider area than the chosen place, with how many entries the toile has there."""

    key: str  # the place's key ("epci/245900428"), the value of the "lieu" filter
    label: str
    kind_label: str  # "EPCI", "Département"...
    dans: str  # « dans le Nord »
    count: int


@dataclass(frozen=True)
class AgurToile:
    """A toile the Agur made for this public (``sg:Toile`` of the graph), and what it covers."""

    iri: str
    label: str
    angle: str = ""
    publics: str = ""
    needs: str = ""
    territories: str = ""
    status: str = ""
    author: str = ""
    page: str = ""


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
    actors: list[ToileActor] = field(default_factory=list)  # organisations: drawn
    links: list[ToileLink] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    sectors: list[Sector] = field(default_factory=list)  # every sector, in display order
    programmes: list[ToileActor] = field(default_factory=list)  # dispositifs, programmes
    unplaced: list[ToileActor] = field(default_factory=list)  # a place chosen: territory unknown
    expected: list[Gap] = field(default_factory=list)  # kinds expected here, present or not
    widen: list[WidenStep] = field(default_factory=list)  # wider areas, narrowest first
    agur: list[AgurToile] = field(default_factory=list)
    place_dans: str = ""  # « à Dunkerque »
    edited: str = ""  # « 3 mars 2026 »: the date a printed toile shows
    sources: list[str] = field(default_factory=list)  # every source title of its entries

    @property
    def placed(self) -> list[ToileActor]:
        """The entries found for the place (or everywhere): organisations, then the rest."""
        return self.actors + self.programmes

    def filter_words(self) -> list[str]:
        """The filters besides the public, « besoin : … », « lieu : … », « rôle : … »: the
        same words on the page, the drawing and the PDF."""
        named = {"besoin": self.need_label, "lieu": self.place_label, "rôle": self.role_label}
        return [f"{name} : {label}" for name, label in named.items() if label]

    def count_text(self) -> str:
        """« 3 acteurs et 1 dispositif ou programme », the same words on every view."""
        return count_text(len(self.actors), len(self.programmes))


def count_text(actors: int, programmes: int) -> str:
    """How many entries a toile has, in words (the publics page says it the same way)."""
    text = f"{actors} acteur{'s' if actors > 1 else ''}"
    if programmes:
        text += f" et {programmes} dispositif{'s' if programmes > 1 else ''} ou programme"
        text += "s" if programmes > 1 else ""
    return text
