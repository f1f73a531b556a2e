"""Accent- and case-insensitive search over names, acronyms and variants, in memory.

Two indexes are built from a few queries of ``queries/`` (``ressources-recherchables``,
``noms-recherchables``, ``territoires-noms``, ``acteurs-d-un-lieu``) and kept while the
store's triple count stays the same (checked at most every ``CHECK_INTERVAL`` seconds):
a request never runs a SPARQL regex.

* :class:`SearchIndex` ranks actors, dispositif kinds, publics and territories for the
  search page: exact name or acronym > start of the preferred name > start of a variant or
  acronym > every word found (as word starts) > some words found.
* :class:`PlaceIndex` resolves the text of a "lieu" field (name or official code of a
  commune, EPCI, département, région or TAS) to territory IRIs of the current COG vintage;
  archived vintages (``territoire/cog-<year>/...``) are left out.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from .queries import QueryCatalogue
from .store.base import GraphStore, bound, text
from .vocab import SG

CHECK_INTERVAL = 5.0  # seconds between two checks of the store's triple count

CATEGORIES = {
    "acteur": "Acteurs",
    "dispositif": "Types de dispositif",
    "public": "Publics",
    "territoire": "Territoires",
}
# The path segment of territory IRIs (territoire/<kind>/<code>) per class.
TERRITORY_KINDS = {
    str(SG.Commune): ("commune", "Commune"),
    str(SG.EPCI): ("epci", "EPCI"),
    str(SG.Departement): ("departement", "Département"),
    str(SG.Region): ("region", "Région"),
    str(SG.TerritoireAnimationSante): ("tas", "Territoire d'animation en santé"),
}
KIND_ORDER = {"tas": 0, "region": 1, "departement": 2, "epci": 3, "commune": 4}
# Words that say nothing alone ("maison des ados": "des" must not match "Desvres").
STOP_WORDS = frozenset("a au aux d de des du en et l la le les pour sur un une".split())
PARTIAL = 5  # the tier of hits that match only some words of the query


def normalize(text: str) -> str:
    """Lower case, accents and punctuation removed, single spaces: "Métropole-Flandres"
    and "metropole flandres" are equal."""
    text = text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


@dataclass
class Entry:
    iri: str
    category: str
    label: str = ""
    names: list[tuple[str, str]] = field(default_factory=list)  # (sort, normalised name)
    acronym: str = ""
    detail: str = ""  # shown under the label (territory kind, département...)
    context: str = ""  # normalised extra words (e.g. the territories an actor serves)

    def add(self, sort: str, name: str) -> None:
        norm = normalize(name)
        if norm and (sort, norm) not in self.names:
            self.names.append((sort, norm))
        if sort == "nom" and not self.label:
            self.label = name
        if sort == "sigle" and not self.acronym:
            self.acronym = name


@dataclass(frozen=True)
class Hit:
    entry: Entry
    tier: int  # 0 best
    matched: int  # words of the query found


def _stem(word: str) -> str:
    """A plural mark dropped, so that abbreviations match: "ados" -> "ado" (adolescents)."""
    return word[:-1] if len(word) > 3 and word[-1] in "sx" else word


def _words_match(query_words: list[str], words: list[str]) -> int:
    return sum(1 for q in query_words if any(w.startswith(_stem(q)) for w in words))


def rank(entry: Entry, query: str, query_words: list[str]) -> Hit | None:
    best: tuple[int, int] | None = None
    all_words: list[str] = []
    for sort, name in entry.names:
        words = name.split()
        all_words += words
        if name == query:
            tier = 0
        elif name.startswith(query):
            tier = 1 if sort == "nom" else 2
        elif _words_match(query_words, words) == len(query_words):
            tier = 3
        else:
            continue
        if best is None or tier < best[0]:
            best = (tier, len(query_words))
    if best is None:
        words = all_words + entry.context.split()
        found = _words_match(query_words, words)
        if found == len(query_words):
            best = (4, found)
        elif found and any(len(q) >= 3 for q in query_words if _words_match([q], words)):
            best = (PARTIAL, found)
        elif len(query) >= 3 and any(query in name for _, name in entry.names):
            best = (PARTIAL, 0)
    if best is None:
        return None
    return Hit(entry, best[0], best[1])


class SearchIndex:
    def __init__(self, entries: Iterable[Entry]):
        self.entries = list(entries)
        self.by_iri = {e.iri: e for e in self.entries}

    def search(self, text: str, *, categories: Iterable[str] | None = None) -> list[Hit]:
        query = normalize(text)
        if not query:
            return []
        words = [w for w in query.split() if w not in STOP_WORDS] or query.split()
        wanted = set(categories) if categories else None
        hits = []
        for entry in self.entries:
            if wanted is not None and entry.category not in wanted:
                continue
            hit = rank(entry, query, words)
            if hit is not None:
                hits.append(hit)
        # hits matching only some words are kept for a category with nothing better
        complete = {h.entry.category for h in hits if h.tier < PARTIAL}
        hits = [h for h in hits if h.tier < PARTIAL or h.entry.category not in complete]
        hits.sort(key=lambda h: (h.tier, -h.matched, len(h.entry.label), h.entry.label))
        return hits

    def label(self, iri: str, default: str = "") -> str:
        entry = self.by_iri.get(iri)
        return entry.label if entry and entry.label else default

    def acronym(self, iri: str) -> str:
        entry = self.by_iri.get(iri)
        return entry.acronym if entry else ""


# How French says "in" a territory, by the COG's type de nom en clair (sg:codeArticle):
# names of départements, régions and TAS come without their article ("Nord": « dans le
# Nord »); a commune's name holds it ("Le Quesnoy": « au Quesnoy »).
_IN_AREA = {"2": "dans le ", "3": "dans la ", "4": "dans les ", "5": "dans l'"}
_IN_COMMUNE = (("Le ", "au "), ("Les ", "aux "))
# EPCI have no code in the COG: their names start with a feminine noun ("CU de Dunkerque":
# une communauté urbaine, "Métropole Européenne de Lille").
_FEMININE_EPCI = ("CA ", "CC ", "CU ", "Communauté", "Métropole", "Agglomération")


@dataclass(frozen=True)
class Place:
    iri: str
    key: str  # "<kind>/<code>", the path after territoire/
    kind: str  # commune, epci, departement, region, tas
    kind_label: str
    label: str
    code: str
    departement: str = ""
    article: str = ""  # sg:codeArticle, the COG's type de nom en clair ("" unknown)
    parents: tuple[str, ...] = ()  # IRIs of the territories it is directly inside

    @property
    def description(self) -> str:
        text = self.kind_label
        if self.code:
            text += f" {self.code}"
        if self.departement:
            text += f", {self.departement}"
        return text

    @property
    def dans(self) -> str:
        """« à Dunkerque », « au Quesnoy », « dans le Nord », « dans le Hainaut », « dans
        les Hauts-de-France », « dans la CU de Dunkerque »: where, in a French sentence."""
        name = self.label
        if self.kind == "commune":
            for article, contracted in _IN_COMMUNE:
                if name.startswith(article):
                    return contracted + name[len(article) :]
            return "à " + name
        if self.kind == "epci" and name.startswith(_FEMININE_EPCI):
            return "dans la " + name
        if self.article in _IN_AREA:
            return _IN_AREA[self.article] + name
        if self.article in ("0", "1"):
            return "à " + name
        return f"dans le territoire {self.kind_label.lower()} « {name} »"


class PlaceIndex:
    def __init__(self, places: Iterable[Place]):
        self.places = sorted(places, key=lambda p: (KIND_ORDER.get(p.kind, 9), p.label, p.code))
        self.by_key = {p.key: p for p in self.places}
        self.by_iri = {p.iri: p for p in self.places}
        self._by_name: dict[str, list[Place]] = {}
        self._by_code: dict[str, list[Place]] = {}
        self._complete: list[tuple[Place, str, str, int]] | None = None  # built on first use
        for place in self.places:
            self._by_name.setdefault(normalize(place.label), []).append(place)
            if place.code:
                self._by_code.setdefault(place.code.lower(), []).append(place)

    def resolve(self, text: str) -> list[Place]:
        """Territories named or coded exactly so ("Lille", "59350", "tas/hainaut", "nord");
        several when the name is ambiguous, none when unknown."""
        text = text.strip()
        if not text:
            return []
        if text in self.by_key:
            return [self.by_key[text]]
        if text.lower() in self._by_code:
            return list(self._by_code[text.lower()])
        query = normalize(text)
        # "Lille 59350" / "59350 Lille": a code among the words decides
        for word in query.split():
            for place in self._by_code.get(word, []):
                rest = normalize(query.replace(word, " "))
                if not rest or normalize(place.label).startswith(rest):
                    return [place]
        return list(self._by_name.get(query, []))

    def suggest(self, text: str, limit: int = 20) -> list[Place]:
        query = normalize(text)
        if not query:
            return []
        starts = [p for p in self.places if normalize(p.label).startswith(query)]
        return starts[:limit]

    def complete(self, text: str, limit: int = 10) -> list[Place]:
        """Places for a partly typed "lieu" (the suggestions shown as one types): exact
        name or code > name or code starting so > a word of the name starting so > the
        text anywhere in the name; bigger territories first within a rank."""
        query = normalize(text)
        if len(query) < 2:
            return []
        if self._complete is None:
            self._complete = [
                (p, normalize(p.label), p.code.lower(), KIND_ORDER.get(p.kind, 9))
                for p in self.places
            ]
        ranked = []
        for place, name, code, order in self._complete:
            if name == query or code == query:
                tier = 0
            elif name.startswith(query) or (code and code.startswith(query)):
                tier = 1
            elif (" " + name).find(" " + query) >= 0:
                tier = 2
            elif query in name:
                tier = 3
            else:
                continue
            ranked.append((tier, order, len(name), name, code, place))
        ranked.sort(key=lambda r: r[:5])
        return [r[-1] for r in ranked[:limit]]

    def search(self, text: str, limit: int = 50) -> list[Place]:
        exact = self.resolve(text)
        seen = {p.iri for p in exact}
        query = normalize(text)
        more = [
            p
            for p in self.places
            if p.iri not in seen and query and query in normalize(p.label + " " + p.code)
        ]
        return (exact + more)[:limit]


@dataclass
class Indexes:
    search: SearchIndex
    places: PlaceIndex


def build_indexes(store: GraphStore, catalogue: QueryCatalogue, base: str) -> Indexes:
    entries: dict[str, Entry] = {}
    for row in store.select(catalogue["ressources-recherchables"].text):
        if isinstance(row["ressource"], ox.NamedNode):
            iri = bound(row, "ressource").value
            entries.setdefault(iri, Entry(iri, bound(row, "categorie").value))
    if entries:
        nodes = [ox.NamedNode(i) for i in sorted(entries)]
        for row in store.select(catalogue["noms-recherchables"].text, {"ressource": nodes}):
            name = row["nom"]
            if isinstance(name, ox.Literal) and name.language in (None, "fr"):
                entries[bound(row, "ressource").value].add(bound(row, "sorte").value, name.value)
    for entry in entries.values():
        if not entry.label and entry.names:
            # a kind with only a lower-case rdfs:label: the label as stored
            entry.label = entry.acronym or entry.names[0][1]
        if entry.category == "dispositif":
            # kinds carry lower-case rdfs:labels ("conseil local de santé mentale")
            entry.label = entry.label[:1].upper() + entry.label[1:]
    for row in store.select(catalogue["acteurs-d-un-lieu"].text):
        actor = entries.get(bound(row, "acteur").value)
        if actor is not None and row.get("territoireNom") is not None:
            actor.context += " " + normalize(bound(row, "territoireNom").value)
    places = {}
    prefix = base + "territoire/"
    for row in store.select(catalogue["territoires-noms"].text):
        iri = bound(row, "territoire").value
        if not iri.startswith(prefix) or iri[len(prefix) :].startswith("cog-"):
            continue
        kind, kind_label = TERRITORY_KINDS.get(bound(row, "classe").value, ("", ""))
        if not kind or iri in places:
            continue
        code = text(row, "code")
        dept = text(row, "departementNom")
        article = text(row, "article")
        places[iri] = Place(
            iri, iri[len(prefix) :], kind, kind_label, bound(row, "nom").value, code, dept, article
        )
    parents: dict[str, list[str]] = {}
    for row in store.select(catalogue["territoires-inclusions"].text):
        inner, outer = bound(row, "territoire").value, bound(row, "parent").value
        if inner in places and outer in places and outer not in parents.get(inner, ()):
            parents.setdefault(inner, []).append(outer)
    for iri, ups in parents.items():
        places[iri] = dataclasses.replace(places[iri], parents=tuple(sorted(ups)))
    for place in places.values():
        entry = Entry(place.iri, "territoire", detail=place.description)
        entry.add("nom", place.label)
        if place.code:
            entry.add("code", place.code)
        entries[place.iri] = entry
    return Indexes(SearchIndex(entries.values()), PlaceIndex(places.values()))


class IndexCache:
    """The indexes of one store, rebuilt when its triple count changes."""

    def __init__(self, catalogue: Callable[[], QueryCatalogue] | QueryCatalogue, base: str):
        self._catalogue = catalogue
        self.base = base
        self._lock = threading.Lock()
        self._indexes: Indexes | None = None
        self._count: int | None = None
        self._checked = 0.0

    def get(self, store: GraphStore) -> Indexes:
        with self._lock:
            now = time.monotonic()
            if self._indexes is None or now - self._checked >= CHECK_INTERVAL:
                count = store.count_triples()
                self._checked = now
                if self._indexes is None or count != self._count:
                    catalogue = self._catalogue() if callable(self._catalogue) else self._catalogue
                    self._indexes = build_indexes(store, catalogue, self.base)
                    self._count = count
            return self._indexes
