"""The "qui fait quoi" service: the data of the professional pages and their toiles.

Every fact comes from a named query of ``queries/`` run through the store with bound
values (never text spliced into SPARQL); names, acronyms and places are looked up in the
in-memory indexes of :mod:`santegraph.search`. What depends on the store alone (the
vocabularies of publics, needs and roles, the sectors, the filter options...) is computed
once per store generation (:class:`PerGeneration`).
"""

from __future__ import annotations

import datetime
import threading
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import pyoxigraph as ox

from ..queries import PUBLIC, catalogue
from ..search import CATEGORIES, IndexCache, Indexes, Place, PlaceIndex
from ..store.base import GraphStore
from ..toile.build import (
    Hierarchy,
    KindFacts,
    MemberFilters,
    Vocabulary,
    build_toile,
    find_members,
    kind_facts,
    load_organisations,
    load_sectors,
    load_vocabulary,
)
from ..toile.model import Sector, Toile, WidenStep, count_text
from ..vocab import NAMESPACE as SG_NAMESPACE
from . import coverage, fiches, listings
from .listings import v

if TYPE_CHECKING:
    from ..config import Settings

_T = TypeVar("_T")

MAX_HITS = 25  # search hits shown per category
SUGGESTIONS = 10  # places suggested for a partly typed "lieu", at most
WIDEN_ORDER = {"epci": 0, "departement": 1, "tas": 2, "region": 3}  # the ladder
SUGGESTION_KINDS = {
    "commune": "commune",
    "epci": "EPCI",
    "departement": "département",
    "region": "région",
    "tas": "TAS",
}
# Defi labels when no proposition answers the défi (one skos:prefLabel, bound IRI).
DEFI_LABEL = (
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
    "SELECT ?nom WHERE { VALUES ?defi { UNDEF } ?defi skos:prefLabel ?nom }"
)


class PerGeneration:
    """Values derived from the store, computed once per store generation.

    The embedded store bumps ``generation`` after every write and is its data's only
    writer (one opener per directory), so what was derived at one generation holds until
    the next. A store without a generation (remote: other clients may write) gets its
    values computed on every call.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._store: object = None
        self._generation: int | None = None
        self._values: dict[Hashable, Any] = {}

    def get(self, store: object, name: Hashable, compute: Callable[[], _T]) -> _T:
        generation = getattr(store, "generation", None)
        if generation is None:
            return compute()
        with self._lock:
            if store is not self._store or generation != self._generation:
                self._store, self._generation, self._values = store, generation, {}
            if name in self._values:
                kept: _T = self._values[name]
                return kept
        # read before computing: a write during the computation bumps the generation
        # after it, so a value that may mix both states is never kept for the new one
        value = compute()
        with self._lock:
            if store is self._store and generation == self._generation:
                self._values[name] = value
        return value


@dataclass(frozen=True)
class ToileReference:
    """What every toile of a store shares: sectors, what kinds state (gaps), and which
    entries are organisations (drawn) rather than dispositifs or programmes."""

    sectors: tuple[Sector, ...]
    kinds: dict[str, KindFacts]
    organisations: frozenset[str]


@dataclass
class ToileRequest:
    """The filters of a toile (from its URL), resolved against the graph.

    An unknown need or role is not applied (``problems`` says so, in French); a place
    must name one territory: several give ``choices``, none gives no ``place``.
    """

    public: str
    public_label: str
    besoin: str | None = None
    role: str | None = None
    lieu: str = ""  # the text of the "lieu" filter
    place: Place | None = None
    choices: list[Place] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        """Whether the toile can be built: no place asked, or exactly one found."""
        return not self.lieu or self.place is not None


class ProfessionalService:
    """The data of the "qui fait quoi" pages and their toiles, for one store."""

    def __init__(self, store: GraphStore, settings: Settings):
        self.store, self.settings = store, settings
        self.base = settings.base_iri
        self.catalogue = catalogue(PUBLIC)  # queries/, whatever content_dir says
        self.generation = PerGeneration()
        self._indexes = IndexCache(self.catalogue, self.base)
        self._kind_names: tuple[Indexes, dict[str, str], dict[str, str]] | None = None
        self._areas: tuple[Indexes, dict[str, list[str]]] | None = None  # area -> communes
        self.today = datetime.date.today  # the date a printed toile shows (tests fix it)

    # ------------------------------------------------------------------ plumbing
    def select(self, name: str, bindings: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The rows of the named query ``name`` with these bound values."""
        return self.store.select(self.catalogue[name].text, bindings)

    def select_elements(self, nature: str = "", **facets: list[str]) -> list[dict[str, Any]]:
        """Propositions and actions (of one ``nature``, "proposition" or "action"), grouped
        (listings.elements), keeping those matching every facet given: ``origine`` and
        ``lieu`` by a query of their own (propositions-origine, propositions-lieu), the
        facets that are fields of the rows (``repond``, ``public``, ``porteur``,
        ``mobilise``) by those fields; each facet matches any of its IRIs. One query with
        every filter made Virtuoso 7 exhaust its memory (docs/backends.md). The unfiltered
        list is kept per store generation: a page asks for it and then for a filtered
        part of it (read only; every filter below makes a new list)."""
        items = self.per_generation(
            ("elements", nature),
            lambda: listings.elements(
                self.select("propositions-et-actions", {"nature": nature} if nature else None)
            ),
        )
        for facet, query, param in (
            ("origine", "propositions-origine", "origine"),
            ("lieu", "propositions-lieu", "lieu"),
        ):
            if facet in facets:
                found = self.select(query, {param: _nodes(facets.pop(facet))})
                kept = {v(row, "element") for row in found}
                items = [item for item in items if item["iri"] in kept]
        for name, iris in facets.items():
            wanted = set(iris)
            items = [item for item in items if any(i in wanted for i, _ in item[name])]
        return items

    def per_generation(self, name: Hashable, compute: Callable[[], _T]) -> _T:
        """``compute()``, kept until the store's next write (see :class:`PerGeneration`)."""
        return self.generation.get(self.store, name, compute)

    def indexes(self) -> Indexes:
        """The search and place indexes, rebuilt when the store's triple count changes."""
        return self._indexes.get(self.store)

    def rel(self, iri: str) -> str:
        """The path of an IRI under the base IRI ("" for any other IRI)."""
        return iri[len(self.base) :] if iri.startswith(self.base) else ""

    def slug_of(self, iri: str, prefix: str) -> str:
        path = self.rel(iri)
        return path[len(prefix) :] if path.startswith(prefix) else ""

    # ------------------------------------------------------------------ vocabularies
    def vocabulary(self) -> Vocabulary:
        """Publics, needs and roles (two queries), once per store generation."""
        return self.per_generation(
            "vocabulary", lambda: load_vocabulary(self.store, self.catalogue)
        )

    def filter_options(self) -> dict[str, list[dict[str, Any]]]:
        """The select options of the publics, needs and roles, once per store generation."""

        def compute() -> dict[str, list[dict[str, Any]]]:
            vocab = self.vocabulary()
            return {
                "publics": listings.options(vocab.publics, self._slugs("public/")),
                "besoins": listings.options(vocab.besoins, self._slugs("besoin/")),
                "roles": listings.options(vocab.roles, self._slugs("role/")),
            }

        return self.per_generation("filter-options", compute)

    def _slugs(self, prefix: str) -> Callable[[str], str]:
        return lambda iri: self.slug_of(iri, prefix)

    def concept(self, slug: str, prefix: str, hierarchy: Hierarchy) -> str | None:
        """The IRI of the concept ``<base><prefix><slug>`` if the hierarchy holds it."""
        if not slug:
            return None
        iri = self.base + prefix + slug
        if iri not in hierarchy.labels:
            return None
        return iri

    # ------------------------------------------------------------------ toiles
    def toile_reference(self) -> ToileReference:
        def compute() -> ToileReference:
            store, cat = self.store, self.catalogue
            return ToileReference(
                tuple(load_sectors(store, cat)),
                kind_facts(store, cat),
                load_organisations(store, cat),
            )

        return self.per_generation("toile-reference", compute)

    def kind_names(self) -> tuple[dict[str, str], dict[str, str]]:
        """(labels of dispositif kinds, acronyms) from the search index, once per index."""
        idx = self.indexes()
        cached = self._kind_names
        if cached is None or cached[0] is not idx:
            entries = idx.search.entries
            labels = {e.iri: e.label for e in entries if e.category == "dispositif"}
            acronyms = {e.iri: e.acronym for e in entries if e.acronym}
            cached = self._kind_names = (idx, labels, acronyms)
        return cached[1], cached[2]

    def toile_request(
        self, slug: str, *, besoin: str = "", lieu: str = "", role: str = ""
    ) -> ToileRequest | None:
        """The filters of the toile of the public ``slug`` resolved; None: no such public."""
        vocab = self.vocabulary()
        public = self.concept(slug, "public/", vocab.publics)
        if public is None:
            return None
        request = ToileRequest(
            public,
            vocab.publics.labels[public],
            besoin=self.concept(besoin, "besoin/", vocab.besoins),
            role=self.concept(role, "role/", vocab.roles),
            lieu=lieu,
        )
        if besoin and request.besoin is None:
            request.problems.append("Ce besoin n'est pas connu : il n'est pas appliqué.")
        if role and request.role is None:
            request.problems.append("Ce rôle n'est pas connu : il n'est pas appliqué.")
        if lieu:
            found = self.indexes().places.resolve(lieu)
            if len(found) == 1:
                request.place = found[0]
            else:
                request.choices = found
        return request

    def make_toile(
        self, public: str, *, besoin: str | None, role: str | None, place: Place | None = None
    ) -> Toile:
        """The toile of a public (IRI) for the resolved filters (``place``: a search Place),
        with the wider areas around the place and their counts."""
        ref = self.toile_reference()
        labels, acronyms = self.kind_names()
        toile = build_toile(
            self.store,
            self.catalogue,
            public=public,
            vocabulary=self.vocabulary(),
            besoin=besoin,
            role=role,
            places=[place.iri] if place else None,
            place_label=place.label if place else "",
            labels=labels,
            acronyms=acronyms,
            sectors=list(ref.sectors),
            kinds=ref.kinds,
            organisations=ref.organisations,
        )
        if place is not None:
            toile.place_dans = place.dans
            toile.widen = self.widen(place, public=public, besoin=besoin, role=role)
        toile.edited = fiches.date_fr(self.today().isoformat())  # what paper shows
        return toile

    def wider_places(self, place: Place) -> list[Place]:
        """The areas that contain ``place``, narrowest first: commune → EPCI → département
        → territoire d'animation en santé → région (those the graph places it in)."""
        by_iri = self.indexes().places.by_iri
        found: dict[str, Place] = {}
        todo = list(place.parents)
        while todo:
            iri = todo.pop()
            if iri in found or iri not in by_iri:
                continue
            found[iri] = by_iri[iri]
            todo += by_iri[iri].parents
        return sorted(found.values(), key=lambda p: (WIDEN_ORDER.get(p.kind, 9), p.label))

    def widen(
        self, place: Place, *, public: str, besoin: str | None, role: str | None
    ) -> list[WidenStep]:
        """Each wider area with the number of entries its toile lists (the same query as
        the toile itself: the count is what one click on the step shows)."""
        vocab = self.vocabulary()
        filters: MemberFilters = {
            "publics": vocab.publics.around(public),
            "besoins": vocab.besoins.narrower_or_self(besoin) if besoin else None,
            "role": role,
        }
        return [
            WidenStep(
                wider.key,
                wider.label,
                wider.kind_label,
                wider.dans,
                len(find_members(self.store, self.catalogue, places=[wider.iri], **filters)),
            )
            for wider in self.wider_places(place)
        ]

    def toile(self, request: ToileRequest) -> Toile:
        """The toile of a resolved request (``request.ready``)."""
        return self.make_toile(
            request.public, besoin=request.besoin, role=request.role, place=request.place
        )

    # ------------------------------------------------------------------ home, publics
    def figures(self) -> dict[str, int]:
        return {v(r, "quoi"): int(v(r, "nombre")) for r in self.select("chiffres")}

    def home_places(self) -> list[Place]:
        """The places the home page offers: TAS, départements, EPCI."""
        return [p for p in self.indexes().places.places if p.kind in ("tas", "departement", "epci")]

    def publics(self) -> list[dict[str, Any]]:
        """Every public (tree order) with the counts its toile shows (no filter: the
        public, its narrower and broader publics, organisations apart from dispositifs
        and programmes), its needs and broader publics."""
        vocab = self.vocabulary()
        organisations = self.toile_reference().organisations
        served: dict[str, set[str]] = defaultdict(set)
        for row in self.select("toile-acteurs"):
            served[v(row, "public")].add(v(row, "acteur"))
        needs: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
        for row in self.select("besoins-par-public"):
            needs[v(row, "public")].append(
                (v(row, "besoin"), v(row, "besoinNom"), int(v(row, "ressources")))
            )
        items = []
        for option in self.filter_options()["publics"]:
            concept = option["iri"]
            members: set[str] = set()
            for p in vocab.publics.around(concept):
                members |= served.get(p, set())
            actors = len(members & organisations)
            items.append(
                option
                | {
                    "actors": actors,
                    "programmes": len(members) - actors,
                    "count_text": count_text(actors, len(members) - actors),
                    "needs": needs.get(concept, [])[:8],
                    "broader": sorted(
                        vocab.publics.labels.get(b, b) for b in vocab.publics.broader[concept]
                    ),
                }
            )
        return items

    # ------------------------------------------------------------------ places
    def place_suggestions(self, text: str) -> list[dict[str, Any]]:
        """Places for a partly typed "lieu" field: at most ``SUGGESTIONS``, from the
        in-memory place index (no query per keystroke)."""
        places = self.indexes().places
        return [
            {
                "label": p.label,
                "kind": SUGGESTION_KINDS.get(p.kind, p.kind),
                "code": p.code,
                "departement": p.departement,
                "key": p.key,
                "value": _form_value(places, p),
            }
            for p in places.complete(text, limit=SUGGESTIONS)
        ]

    def _referrals(self, bindings: dict[str, Any], other: str) -> list[dict[str, Any]]:
        """The recorded referrals from or to an entry: the other actor, for whom, which
        source (``orientations-du-parcours``), sorted by the other's name."""
        found: dict[str, dict[str, Any]] = {}
        for row in self.select("orientations-du-parcours", bindings):
            item = found.setdefault(
                v(row, "orientation"),
                {
                    "iri": v(row, other),
                    "label": v(row, other + "Nom") or v(row, other),
                    "publics": [],
                    "need": v(row, "besoinNom"),
                    "source": v(row, "sourceNom"),
                },
            )
            if v(row, "publicNom") not in item["publics"]:
                item["publics"].append(v(row, "publicNom"))
        return sorted(found.values(), key=lambda r: (r["label"].lower(), r["source"]))

    def territory(self, kind: str, code: str) -> dict[str, Any] | None:
        """A territory's page: the place, its actors, propositions and actions."""
        place = self.indexes().places.by_key.get(f"{kind}/{code}")
        if place is None:
            return None
        actors: dict[str, dict[str, Any]] = {}
        for row in self.select("acteurs-d-un-lieu", {"lieu": ox.NamedNode(place.iri)}):
            item = actors.setdefault(
                v(row, "acteur"), {"iri": v(row, "acteur"), "nom": v(row, "nom"), "how": []}
            )
            how = (v(row, "relation"), v(row, "territoireNom") or v(row, "territoire"))
            if how not in item["how"]:
                item["how"].append(how)
        elements = self.select_elements(lieu=[place.iri])
        return {
            "place": place,
            "actors": sorted(actors.values(), key=lambda a: a["nom"].lower()),
            "coverage": self.coverage(place),
            "partial": place.kind == "tas",  # the TAS's perimeters are partial (tas.ttl)
            **listings.split(elements),
        }

    def territory_coverage(self, kind: str, code: str) -> dict[str, Any] | None:
        """The zones blanches of a territory, kind by kind, with their picture."""
        place = self.indexes().places.by_key.get(f"{kind}/{code}")
        if place is None:
            return None
        items = self.coverage(place)
        title = f"Population couverte {place.dans}, par type de dispositif attendu partout"
        return {
            "place": place,
            "coverage": items,
            "partial": place.kind == "tas",
            "picture": coverage.coverage_svg(items, title=title) if items else "",
        }

    # ------------------------------------------------------------------ coverage
    def coverage_reference(self) -> dict[str, Any]:
        """Once per store generation: the kinds expected everywhere (IRI -> acronym, and
        their page names), the communes each instance covers, the commune populations."""

        def compute() -> dict[str, Any]:
            kinds = {}
            for row in self.select("types-attendus-partout"):
                label = v(row, "sigle") or v(row, "nom") or v(row, "type").rsplit("#", 1)[-1]
                kinds[v(row, "type")] = label
            prefix = self.base + "territoire/commune/"
            return {
                "labels": kinds,
                "coverings": coverage.coverings(
                    self.select("couverture-des-communes"),
                    self.select("instances-attendues-sans-territoire"),
                    kinds,
                ),
                "population": {
                    v(r, "commune"): int(v(r, "population") or 0)
                    for r in self.select("communes-population")
                    if v(r, "commune").startswith(prefix)
                },
            }

        return self.per_generation("coverage", compute)

    def communes_of(self, place: Place) -> list[str]:
        """The communes inside ``place`` (itself for a commune), from the place index."""
        idx = self.indexes()
        cached = self._areas
        if cached is None or cached[0] is not idx:
            areas: dict[str, list[str]] = defaultdict(list)
            by_iri = idx.places.by_iri
            for commune in idx.places.places:
                if commune.kind != "commune":
                    continue
                areas[commune.iri].append(commune.iri)
                seen: set[str] = set()
                todo = list(commune.parents)
                while todo:
                    iri = todo.pop()
                    if iri in seen or iri not in by_iri:
                        continue
                    seen.add(iri)
                    areas[iri].append(commune.iri)
                    todo += by_iri[iri].parents
            cached = self._areas = (idx, dict(areas))
        return cached[1].get(place.iri, [])

    def coverage(self, place: Place) -> list[coverage.KindCoverage]:
        """How each kind expected everywhere covers ``place``: instances, communes and
        population covered, zones blanches by EPCI (by commune inside an EPCI)."""
        ref = self.coverage_reference()
        by_iri = self.indexes().places.by_iri
        communes = {c: ref["population"].get(c, 0) for c in self.communes_of(place)}
        group_of: dict[str, tuple[str, str]] = {}
        for commune in communes:
            group = commune
            if place.kind not in ("epci", "commune"):
                group = next(
                    (
                        p
                        for p in by_iri[commune].parents
                        if by_iri.get(p) and by_iri[p].kind == "epci"
                    ),
                    commune,
                )
            group_of[commune] = (group, by_iri[group].label if group in by_iri else group)
        return coverage.area_coverage(
            communes,
            ref["coverings"],
            labels=ref["labels"],
            names=self.kind_page_names(),
            group_of=group_of,
        )

    # ------------------------------------------------------------------ dispositifs
    def kinds(self) -> dict[str, dict[str, Any]]:
        """The dispositif kinds with their parents, by IRI (once per store generation)."""
        return self.per_generation(
            "kinds", lambda: listings.kinds(self.select("types-dispositif"), SG_NAMESPACE)
        )

    def kind_page_names(self) -> dict[str, str]:
        """IRI -> name of every dispositif kind, the kinds that have a page (/dispositifs/
        <name>); an actor class (sg:Association) has none."""
        return {iri: kind["name"] for iri, kind in self.kinds().items()}

    # ------------------------------------------------------------------ fiches
    def fiche(self, path: str, public: str = "") -> dict[str, Any] | None:
        """The directory entry of the actor ``<base>acteur/<path>`` (None: no such
        entry); ``public``, the slug of the public the reader came from, puts its
        services first."""
        try:
            node = ox.NamedNode(self.base + "acteur/" + path)
        except ValueError:
            return None
        vocab = self.vocabulary()
        concept = self.concept(public, "public/", vocab.publics)
        updated = fiches.freshness(self.select("mises-a-jour-des-entrees", {"entree": node}))
        card = fiches.fiche(
            node.value,
            self.select("fiche-acteur", {"acteur": node}),
            actors=self.toile_reference().organisations,
            around_public=vocab.publics.around(concept) if concept else None,
            updated=updated.get(node.value),
        )
        if card is None:
            return None
        return {
            "fiche": card,
            "path_out": self._referrals({"orienteur": node}, "destinataire"),
            "path_in": self._referrals({"destinataire": node}, "orienteur"),
            "public": concept,
            "public_label": vocab.publics.labels.get(concept, "") if concept else "",
            "public_slug": public if concept else "",
            "kind_pages": self.kind_page_names(),
        }

    def kind_tree(self) -> list[dict[str, Any]]:
        kinds = self.kinds()
        parents = {iri: [p for p in item["parents"] if p in kinds] for iri, item in kinds.items()}
        return [
            kinds[iri] | {"depth": depth}
            for iri, depth in listings.tree_order(parents, lambda c: kinds[c]["label"])
        ]

    def kind(self, name: str) -> dict[str, Any] | None:
        """The page of the dispositif kind ``sg:<name>``: its parents and children, facts,
        and the propositions and actions mobilising it."""
        kinds = self.kinds()
        kind = next((k for k in kinds.values() if k["name"] == name), None)
        if kind is None:
            return None
        facts: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for row in self.select("types-dispositif-fiches", {"type": ox.NamedNode(kind["iri"])}):
            pair = (v(row, "valeur"), v(row, "libelle") or v(row, "valeur"))
            if pair not in facts[v(row, "champ")]:
                facts[v(row, "champ")].append(pair)
        # a kind is mobilised as itself, through a subkind or through one of its instances
        subkinds = {
            k["iri"] for k in kinds.values() if listings.is_under(k["iri"], kind["iri"], kinds)
        }
        mobilised = sorted(subkinds | {i for i, _ in facts["instance"]})
        elements = self.select_elements(mobilise=mobilised)
        return {
            "kind": kind,
            "parents": [kinds[p] for p in kind["parents"] if p in kinds],
            "children": sorted(
                (k for k in kinds.values() if kind["iri"] in k["parents"]),
                key=lambda k: k["label"],
            ),
            "facts": facts,
            **listings.split(elements),
        }

    # ------------------------------------------------------------------ défis, propositions
    def _number(self, iri: str, prefix: str) -> int:
        try:
            return int(self.slug_of(iri, prefix))
        except ValueError:
            return 0

    def defis(self) -> dict[str, list[dict[str, Any]]]:
        """The regional défis and national themes answered, in their order."""
        answers = listings.answers(self.select_elements())
        defis = sorted(
            (
                a | {"n": self._number(i, "defi/")}
                for i, a in answers.items()
                if self.slug_of(i, "defi/")
            ),
            key=lambda a: a["n"],
        )
        themes = sorted(
            (
                a | {"n": self._number(i, "theme-national/")}
                for i, a in answers.items()
                if self.slug_of(i, "theme-national/")
            ),
            key=lambda a: a["n"],
        )
        return {"defis": defis, "themes": themes}

    def defi(self, number: str) -> dict[str, Any] | None:
        """The défi ``number``: its label, propositions and actions; None if unknown."""
        iri = self.base + "defi/" + number
        elements = self.select_elements(repond=[iri])
        label = next((lab for e in elements for i, lab in e["repond"] if i == iri), "")
        if not label:
            rows = self.store.select(DEFI_LABEL, {"defi": ox.NamedNode(iri)})
            if not rows:
                return None
            label = v(rows[0], "nom")
        return {"number": number, "iri": iri, "label": label, **listings.split(elements)}

    def propositions(self, chosen: dict[str, str]) -> dict[str, Any]:
        """The propositions, filtered by ``chosen`` concertation, défi and public (paths
        under the base; an unknown value is dropped from ``chosen``), with the choices."""
        everything = self.select_elements("proposition")
        origins = sorted({o for e in everything for o in e["origine"]}, key=lambda o: o[1])
        answers = sorted(
            listings.answers(everything).values(),
            key=lambda a: (a["iri"].split("/")[-2], self._number(a["iri"], "defi/")),
        )
        publics = sorted({p for e in everything for p in e["public"]}, key=lambda p: p[1])
        chosen = dict(chosen)
        filters: dict[str, list[str]] = {}
        keys = {
            "concertation": ("origine", {self.rel(i) for i, _ in origins}),
            "defi": ("repond", {self.rel(a["iri"]) for a in answers}),
            "public": ("public", {self.rel(i) for i, _ in publics}),
        }
        for key, (facet, allowed) in keys.items():
            if chosen[key] and chosen[key] in allowed:
                filters[facet] = [self.base + chosen[key]]
            else:
                chosen[key] = ""
        items = self.select_elements("proposition", **filters) if filters else everything
        return {
            "items": items,
            "total": len(everything),
            "origins": origins,
            "answers": answers,
            "publics": publics,
            "chosen": chosen,
        }

    def actions(self, porteur: str) -> dict[str, Any]:
        """The actions, of the carrier ``porteur`` when given (a path under the base, or
        a name looked up in the search index)."""
        everything = self.select_elements("action")
        porteurs = sorted({p for e in everything for p in e["porteur"]}, key=lambda p: p[1])
        matched: list[tuple[str, str]] = []
        if porteur:
            known = dict(porteurs)
            if porteur.startswith("acteur/") and self.base + porteur in known:
                matched = [(self.base + porteur, known[self.base + porteur])]
            else:
                hits = self.indexes().search.search(porteur, categories=["acteur"])
                matched = [(h.entry.iri, h.entry.label) for h in hits if h.tier <= 3]
            iris = [i for i, _ in matched]
            items = self.select_elements("action", porteur=iris) if iris else []
        else:
            items = everything
        return {
            "items": items,
            "total": len(everything),
            "porteurs": porteurs,
            "matched": matched,
        }

    # ------------------------------------------------------------------ search
    def search(self, q: str) -> list[dict[str, Any]]:
        """Hits grouped by category, in the categories' order, at most ``MAX_HITS`` each."""
        groups = []
        hits = self.indexes().search.search(q)
        by_category: dict[str, list[Any]] = defaultdict(list)
        for hit in hits:
            by_category[hit.entry.category].append(hit)
        for category, title in CATEGORIES.items():
            if by_category.get(category):
                groups.append(
                    {
                        "category": category,
                        "title": title,
                        "hits": by_category[category][:MAX_HITS],
                        "total": len(by_category[category]),
                    }
                )
        return groups


def _nodes(iris: Iterable[str]) -> list[ox.NamedNode]:
    return [ox.NamedNode(i) for i in iris]


def _form_value(places: PlaceIndex, place: Place) -> str:
    """The text of the "lieu" field that leads to this place alone: its name when no other
    place bears it, else name and code ("Lille 59350"), else its key ("tas/oise")."""
    if places.resolve(place.label) == [place]:
        return place.label
    if place.code and places.resolve(f"{place.label} {place.code}") == [place]:
        return f"{place.label} {place.code}"
    return place.key
