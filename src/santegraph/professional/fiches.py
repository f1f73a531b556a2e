"""An actor as a directory entry (the "fiche"): query rows -> what the page shows.

The layout professionals know from annuaires: name and kind, what it does (for this public
first), where (address, territories served), how to reach it (phone, e-mail, site,
opening hours), on which conditions, when it was last updated and by which source. No
store and no request here: :class:`~santegraph.professional.service.ProfessionalService`
runs the queries (``fiche-acteur``, ``mises-a-jour-des-entrees``) and hands the rows over.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .listings import v

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
# When two dates tie, the more direct word about the entry wins.
ORIGIN_RANK = {"vérification": 0, "annuaire": 1, "référent": 2, "document": 3}


def date_fr(iso: str) -> str:
    """``2025-03-01`` -> « 1er mars 2025 » (any other text is returned as it is)."""
    try:
        year, month, day = (int(p) for p in iso[:10].split("-"))
        name = MONTHS[month - 1]
    except (ValueError, IndexError):
        return iso
    return f"{'1er' if day == 1 else day} {name} {year}"


@dataclass(frozen=True)
class Freshness:
    """When an entry was last updated (or checked), and by which source."""

    date: str  # ISO date
    source: str
    origin: str  # annuaire, vérification, référent, document

    @property
    def text(self) -> str:
        """« mis à jour le 14 mars 2025 · source : … »"""
        verb = "vérifié le" if self.origin == "vérification" else "mis à jour le"
        text = f"{verb} {date_fr(self.date)}"
        return f"{text} · source : {self.source}" if self.source else text


def freshness(rows: Iterable[dict[str, Any]]) -> dict[str, Freshness]:
    """The latest date of each entry of ``mises-a-jour-des-entrees`` rows."""
    best: dict[str, Freshness] = {}
    for row in rows:
        entry, date = v(row, "entree"), v(row, "date")[:10]
        if not entry or not date:
            continue
        found = Freshness(date, v(row, "source"), v(row, "origine"))
        current = best.get(entry)
        if current is None or (date, -ORIGIN_RANK.get(found.origin, 9)) > (
            current.date,
            -ORIGIN_RANK.get(current.origin, 9),
        ):
            best[entry] = found
    return best


Link = tuple[str, str]  # (IRI, label)
_Fact = tuple[list[str], str] | tuple[list[Link], Link]  # (a field, a value to add to it)
_V = TypeVar("_V")


@dataclass
class ServiceEntry:
    """A service of the actor, with what a professional checks before referring someone."""

    iri: str
    name: str = ""
    descriptions: list[str] = field(default_factory=list)
    publics: list[Link] = field(default_factory=list)
    besoins: list[Link] = field(default_factory=list)
    roles: list[Link] = field(default_factory=list)
    modes: list[Link] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    ages: str = ""
    hours: list[str] = field(default_factory=list)
    zones: list[Link] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    for_public: bool = False  # serves the public the reader came from

    @property
    def access(self) -> bool:
        """Whether the entry says anything of the conditions of access."""
        return bool(self.modes or self.conditions or self.ages or self.hours)


@dataclass
class Fiche:
    iri: str
    label: str
    acronym: str = ""
    other_names: list[str] = field(default_factory=list)
    kinds: list[Link] = field(default_factory=list)  # most specific classes
    is_actor: bool = True  # an organisation (sg:Acteur), else a dispositif or programme
    sectors: list[Link] = field(default_factory=list)
    descriptions: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    territories: list[Link] = field(default_factory=list)  # served
    located: list[Link] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    hours: list[str] = field(default_factory=list)
    roles: list[Link] = field(default_factory=list)
    publics: list[Link] = field(default_factory=list)
    besoins: list[Link] = field(default_factory=list)
    services: list[ServiceEntry] = field(default_factory=list)
    runs: list[Link] = field(default_factory=list)  # dispositifs it runs (sg:porte)
    run_by: list[Link] = field(default_factory=list)
    member_of: list[Link] = field(default_factory=list)
    sources: list[Link] = field(default_factory=list)  # documents and directory datasets
    source_pages: list[str] = field(default_factory=list)  # the record at the producer's
    updated: Freshness | None = None

    @property
    def has_contact(self) -> bool:
        return bool(self.phones or self.emails or self.urls or self.addresses)


def _add(items: list[_V], item: _V) -> None:
    if item and item not in items:
        items.append(item)


def fiche(
    iri: str,
    rows: Iterable[dict[str, Any]],
    *,
    actors: frozenset[str] | set[str],
    around_public: set[str] | None = None,
    updated: Freshness | None = None,
) -> Fiche | None:
    """The fiche of ``iri`` from its ``fiche-acteur`` rows (None: no row, no such entry).

    ``actors``: the IRIs that are organisations (the rest are dispositifs or programmes);
    ``around_public``: the public the reader came from with its broader and narrower
    publics; the services for it come first, marked ``for_public``."""
    card: Fiche | None = None
    services: dict[str, ServiceEntry] = {}
    ages: dict[str, dict[str, str]] = defaultdict(dict)
    for row in sorted(rows, key=lambda r: (v(r, "champ"), v(r, "valeur"), v(r, "libelle"))):
        champ, value, label, owner = (v(row, k) for k in ("champ", "valeur", "libelle", "objet"))
        if card is None:
            card = Fiche(iri, iri, is_actor=iri in actors)
        link = (value, label or value)
        if owner:
            service = services.setdefault(owner, ServiceEntry(owner))
            _service_fact(service, champ, value, link, ages[owner])
            continue
        if champ == "nom":
            if card.label == iri:
                card.label = value
            else:
                _add(card.other_names, value)
        elif champ == "sigle" and not card.acronym:
            card.acronym = value
        else:
            fields: dict[str, _Fact] = {
                "autreNom": (card.other_names, value),
                "type": (card.kinds, link),
                "secteur": (card.sectors, link),
                "description": (card.descriptions, value),
                "adresse": (card.addresses, value),
                "territoire": (card.territories, link),
                "localisation": (card.located, link),
                "telephone": (card.phones, value),
                "email": (card.emails, value),
                "url": (card.urls, value),
                "horaires": (card.hours, value),
                "role": (card.roles, link),
                "public": (card.publics, link),
                "besoin": (card.besoins, link),
                "porte": (card.runs, link),
                "portePar": (card.run_by, link),
                "membreDe": (card.member_of, link),
                "source": (card.sources, link),
                "pageSource": (card.source_pages, value),
            }
            target = fields.get(champ)
            if target is not None:
                _add(*target)
    if card is None:
        return None
    for owner, known in ages.items():
        services[owner].ages = _ages(known.get("min", ""), known.get("max", ""))
    for service in services.values():
        service.name = service.name or service.iri.rsplit("/", 1)[-1]
        service.for_public = bool(around_public and {i for i, _ in service.publics} & around_public)
    card.services = sorted(services.values(), key=lambda s: (not s.for_public, s.name.lower()))
    card.updated = updated
    return card


def _service_fact(
    service: ServiceEntry, champ: str, value: str, link: Link, ages: dict[str, str]
) -> None:
    if champ == "service":
        service.name = service.name or value
    elif champ == "service-ageMinimum":
        ages["min"] = value
    elif champ == "service-ageMaximum":
        ages["max"] = value
    else:
        fields: dict[str, _Fact] = {
            "service-description": (service.descriptions, value),
            "service-public": (service.publics, link),
            "service-besoin": (service.besoins, link),
            "service-role": (service.roles, link),
            "service-mode": (service.modes, link),
            "service-conditions": (service.conditions, value),
            "service-horaires": (service.hours, value),
            "service-zone": (service.zones, link),
            "service-telephone": (service.phones, value),
            "service-email": (service.emails, value),
            "service-adresse": (service.addresses, value),
        }
        target = fields.get(champ)
        if target is not None:
            _add(*target)


def _ages(low: str, high: str) -> str:
    if low and high:
        return f"de {low} à {high} ans"
    if low:
        return f"à partir de {low} ans"
    if high:
        return f"jusqu'à {high} ans"
    return ""


def tel(phone: str) -> str:
    """A phone number as a ``tel:`` target (digits and a leading +; French numbers as
    written in the data, « 03 53 73 00 00 »)."""
    return "".join(c for c in phone if c.isdigit() or c == "+")
