"""Graph -> :class:`~santegraph.toile.model.Toile`: who is around one public, here.

Every fact comes from named queries of ``queries/`` run with bound values:

* ``toile-acteurs``: the actors. **Publics**: the chosen public, every narrower public
  (an actor for "adolescents" is on the toile of "jeunes de moins de 25 ans") and every
  broader one (an actor for "personnes en situation de handicap" serves a young person
  with a disability); stated on the actor (``sg:public``), on one of its services
  (``dct:audience``) or on its dispositif kind. The filters are queries of their own,
  whose actors are intersected here with those (joined in one query, or bound into
  ``toile-acteurs``, Virtuoso 7 lost actors: 6 filtered toiles of the content's
  ``professionnels-sante`` were wrong there): ``toile-besoin``, the chosen need or a
  narrower one (choosing "prévention" keeps "dépistage"); ``toile-role``, exactly that
  role; ``toile-lieu``, the actor serves a territory that contains the place, or is
  located inside it.
* ``acteurs-fiches``: the cards (name, acronym, most specific classes, sector, roles,
  territories, descriptions, contact, source file names);
* ``secteurs``: the sectors and their colours; ``orientations-du-parcours``: the
  recorded referrals (``sg:Orientation``: who, to whom, for which public and need, which
  source) between two actors of the toile, its arrows (a plain ``sg:orienteVers`` says
  neither for whom nor from which source, and draws none);
* ``types-dispositif-attendus`` and ``types-presents-dans-lieu``: the gaps, dispositif
  kinds the graph expects for this public or need (``sg:public`` / ``sg:besoin`` stated on
  the kind itself) with no instance serving or located in the place.
"""

from __future__ import annotations

import dataclasses
import operator
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypedDict

import pyoxigraph as ox

from ..queries import BindingValue, QueryCatalogue
from ..store.base import GraphStore, Row
from ..vocab import SG
from .model import AgurToile, Gap, Sector, Toile, ToileActor, ToileLink


def _value(row: Row, key: str) -> str:
    term = row.get(key)
    return term.value if term is not None else ""


def _values(row: Row, keys: tuple[str, ...]) -> tuple[str, ...]:
    out = []
    for key in keys:  # a plain loop: the fastest form for the few columns of a row
        term = row.get(key)
        out.append(term.value if term is not None else "")
    return tuple(out)


_FICHE = ("acteur", "champ", "valeur", "libelle")  # the columns of acteurs-fiches
_FICHE_ORDER = operator.itemgetter(0, 1, 2)  # label last: ties keep the store's order


def _nodes(iris: Iterable[str]) -> list[ox.NamedNode]:
    return [ox.NamedNode(i) for i in iris]


@dataclass
class Hierarchy:
    """A SKOS hierarchy held in memory: concept -> broader concepts.

    Treat it as read-only once built: the pages keep one per store generation and
    ``ancestors`` and ``descendants`` remember their answers.
    """

    broader: dict[str, set[str]]
    labels: dict[str, str]
    _ancestors: dict[str, frozenset[str]] = dataclasses.field(default_factory=dict, repr=False)
    _descendants: dict[str, frozenset[str]] = dataclasses.field(default_factory=dict, repr=False)

    def ancestors(self, concept: str) -> set[str]:
        known = self._ancestors.get(concept)
        if known is None:
            seen: set[str] = set()
            todo = [concept]
            while todo:
                for parent in self.broader.get(todo.pop(), ()):
                    if parent not in seen:
                        seen.add(parent)
                        todo.append(parent)
            known = self._ancestors[concept] = frozenset(seen)
        return set(known)

    def descendants(self, concept: str) -> set[str]:
        known = self._descendants.get(concept)
        if known is None:
            found = {c for c in self.broader if concept in self.ancestors(c)}
            known = self._descendants[concept] = frozenset(found)
        return set(known)

    def narrower_or_self(self, concept: str) -> set[str]:
        return {concept} | self.descendants(concept)

    def around(self, concept: str) -> set[str]:
        """The concept, its narrower and its broader concepts."""
        return self.narrower_or_self(concept) | self.ancestors(concept)


def _hierarchy(
    rows: Iterable[Row], concept_key: str, label_key: str, broader_key: str
) -> Hierarchy:
    broader: dict[str, set[str]] = defaultdict(set)
    labels: dict[str, str] = {}
    for row in rows:
        concept = _value(row, concept_key)
        broader[concept]
        labels.setdefault(concept, _value(row, label_key))
        if row.get(broader_key) is not None:
            broader[concept].add(_value(row, broader_key))
    return Hierarchy(dict(broader), labels)


@dataclass
class Vocabulary:
    """Publics, needs and roles, for the filters and the expansions of the toile."""

    publics: Hierarchy
    besoins: Hierarchy
    roles: Hierarchy


def load_vocabulary(store: GraphStore, catalogue: QueryCatalogue) -> Vocabulary:
    publics = _hierarchy(
        store.select(catalogue["publics-hierarchie"].text), "public", "nom", "plusLarge"
    )
    rows = store.select(catalogue["vocabulaire-toile"].text)
    besoins = _hierarchy(
        [r for r in rows if _value(r, "classe") == str(SG.Besoin)], "concept", "nom", "plusLarge"
    )
    roles = _hierarchy(
        [r for r in rows if _value(r, "classe") == str(SG.RoleParcours)],
        "concept",
        "nom",
        "plusLarge",
    )
    return Vocabulary(publics, besoins, roles)


def _kind_label(iri: str, label: str, acronyms: Mapping[str, str]) -> str:
    if acronyms.get(iri):
        return acronyms[iri]
    if label:
        return label[:1].upper() + label[1:]
    return iri.rsplit("#", 1)[-1]


def load_sectors(store: GraphStore, catalogue: QueryCatalogue) -> list[Sector]:
    return [
        Sector(_value(r, "secteur"), _value(r, "nom"), _value(r, "couleur") or "#767676")
        for r in store.select(catalogue["secteurs"].text)
    ]


def load_organisations(store: GraphStore, catalogue: QueryCatalogue) -> frozenset[str]:
    """The entries that are organisations (``organisations``): drawn on a toile; the
    other entries serving a public are dispositifs or programmes, listed apart."""
    return frozenset(_value(r, "acteur") for r in store.select(catalogue["organisations"].text))


def actor_cards(
    store: GraphStore,
    catalogue: QueryCatalogue,
    actors: list[str],
    *,
    sectors: Mapping[str, Sector],
    acronyms: Mapping[str, str] | None = None,
    organisations: frozenset[str] | None = None,
    publics: set[str] | None = None,
    updated: Mapping[str, str] | None = None,
) -> list[ToileActor]:
    """The cards of these actors, sorted by name.

    ``publics``: the toile's public with its narrower and broader ones; a card says what
    the actor does through the names of its services for them (else of all its services,
    else its own description). ``updated``: « mis à jour le … » per actor."""
    if not actors:
        return []
    acronyms = acronyms or {}
    updated = updated or {}
    facts: dict[str, dict[str, list[tuple[str, str]]]] = {a: defaultdict(list) for a in actors}
    rows = store.select(catalogue["acteurs-fiches"].text, {"acteur": _nodes(actors)})
    # each term's text read once (pyoxigraph makes a new string at every .value)
    values = [_values(row, _FICHE) for row in rows]
    # the query leaves rows unsorted (sorting in the store costs more than the query at
    # France scale): the first name, the order of territories and services come from here
    values.sort(key=_FICHE_ORDER)
    for actor, champ, valeur, libelle in values:
        item = (valeur, libelle)
        field = facts[actor][champ]
        if item not in field:
            field.append(item)
    cards = []
    for iri, f in facts.items():
        kinds = sorted(f["type"])
        sector = next((sectors[v] for v, _ in f["secteur"] if v in sectors), None)
        territories = [lab or v for v, lab in f["localisation"] + f["territoire"]]
        cards.append(
            ToileActor(
                iri=iri,
                label=f["nom"][0][0] if f["nom"] else iri,
                acronym=f["sigle"][0][0] if f["sigle"] else "",
                kinds=tuple(_kind_label(k, lab, acronyms) for k, lab in kinds),
                kind_iris=tuple(k for k, _ in kinds),
                sector=sector,
                roles=tuple(sorted({lab or v for v, lab in f["role"]})),
                what=_what(f, publics),
                territories=tuple(dict.fromkeys(territories)),
                phone=f["telephone"][0][0] if f["telephone"] else "",
                email=f["email"][0][0] if f["email"] else "",
                url=f["url"][0][0] if f["url"] else "",
                sources=tuple(sorted({lab or v for v, lab in f["source"]})),
                is_actor=organisations is None or iri in organisations,
                address=f["adresse"][0][0] if f["adresse"] else "",
                updated=updated.get(iri, ""),
            )
        )
    cards.sort(key=lambda c: c.label.lower())
    return cards


def _what(facts: Mapping[str, list[tuple[str, str]]], publics: set[str] | None) -> str:
    """What an actor does, in a few words: the names of its services for this public
    (else of all its services), else its services' descriptions, else its own."""
    names = {service: name for service, name in facts["service"] if name}
    if names:
        if publics:
            mine = {service for public, service in facts["servicePublic"] if public in publics}
            chosen = [name for service, name in names.items() if service in mine]
            if chosen:
                return " ; ".join(chosen)
        return " ; ".join(names.values())
    texts = [v for v, _ in facts["serviceDescription"]] + [v for v, _ in facts["description"]]
    return " ".join(texts)


@dataclass
class KindFacts:
    publics: set[str]
    besoins: set[str]
    roles: set[str]


def kind_facts(store: GraphStore, catalogue: QueryCatalogue) -> dict[str, KindFacts]:
    """What the graph states on the dispositif kinds themselves (publics, needs, roles)."""
    facts: dict[str, KindFacts] = defaultdict(lambda: KindFacts(set(), set(), set()))
    for row in store.select(catalogue["types-dispositif-attendus"].text):
        field = _value(row, "champ")
        if field in ("public", "besoin", "role"):
            target = facts[_value(row, "type")]
            {"public": target.publics, "besoin": target.besoins, "role": target.roles}[field].add(
                _value(row, "valeur")
            )
    return dict(facts)


def expected_kinds(
    facts: Mapping[str, KindFacts],
    publics: set[str],
    besoins: set[str] | None,
    role: str | None,
) -> list[str]:
    """Kinds the graph expects for this public (and need, role).

    A kind is expected when it states a matching public and, if a need is chosen, a
    matching need or none; or when it states a matching need and no public. A role, when
    chosen, must be among the kind's roles if it states any.
    """
    found = []
    for kind, f in facts.items():
        public_match = bool(f.publics & publics)
        if besoins is None:
            ok = public_match
        else:
            need_match = bool(f.besoins & besoins)
            ok = (public_match and (need_match or not f.besoins)) or (need_match and not f.publics)
        if ok and role and f.roles and role not in f.roles:
            ok = False
        if ok:
            found.append(kind)
    return sorted(found)


class MemberFilters(TypedDict):
    """The filters of :func:`find_members` that a toile and its wider areas share."""

    publics: set[str]
    besoins: set[str] | None
    role: str | None


def find_members(
    store: GraphStore,
    catalogue: QueryCatalogue,
    *,
    publics: set[str],
    besoins: set[str] | None = None,
    role: str | None = None,
    places: list[str] | None = None,
    without_territory: bool = False,
) -> list[str]:
    """The entries of a toile: serving one of ``publics`` (``toile-acteurs``) and kept by
    each filter, a query of its own (``toile-besoin`` for a need of ``besoins``,
    ``toile-role``, ``toile-lieu`` for one of ``places``; None: anywhere), intersected
    here (joined in one query, Virtuoso 7 lost actors); with ``without_territory``, only
    those whose territory is unknown."""
    filters: list[tuple[str, dict[str, BindingValue]]] = []
    if besoins is not None:
        filters.append(("toile-besoin", {"besoin": _nodes(sorted(besoins))}))
    if role:
        filters.append(("toile-role", {"role": ox.NamedNode(role)}))
    if places:
        filters.append(("toile-lieu", {"lieu": _nodes(places)}))
    kept: set[str] | None = None  # the actors every filter keeps (None: no filter)
    for name, filter_bindings in filters:
        found = {_value(r, "acteur") for r in store.select(catalogue[name].text, filter_bindings)}
        kept = found if kept is None else kept & found
        if not kept:
            return []
    bindings: dict[str, BindingValue] = {"public": _nodes(sorted(publics))}
    if without_territory:
        bindings["sansTerritoire"] = True
    serving = {_value(r, "acteur") for r in store.select(catalogue["toile-acteurs"].text, bindings)}
    return sorted(serving if kept is None else serving & kept)


def load_freshness(
    store: GraphStore, catalogue: QueryCatalogue, entries: list[str]
) -> dict[str, str]:
    """« mis à jour le … · source : … » of each entry that has a date."""
    if not entries:
        return {}
    from ..professional.fiches import freshness

    rows = store.select(catalogue["mises-a-jour-des-entrees"].text, {"entree": _nodes(entries)})
    return {iri: found.text for iri, found in freshness(rows).items()}


def load_agur(store: GraphStore, catalogue: QueryCatalogue, publics: set[str]) -> list[AgurToile]:
    """The Agur toiles (``toiles-agur``) covering one of ``publics`` or a narrower one."""
    rows = store.select(catalogue["toiles-agur"].text, {"public": _nodes(sorted(publics))})
    keys = ("toile", "nom", "angle", "publics", "besoins", "territoires", "statutNom")
    found = []
    for row in rows:
        iri, label, angle, publics_text, needs, places, status = _values(row, keys)
        found.append(
            AgurToile(
                iri,
                label,
                angle=angle,
                publics=publics_text,
                needs=needs,
                territories=places,
                status=status,
                author=_value(row, "auteurNom"),
                page=_value(row, "page"),
            )
        )
    return found


_PATH = ("orienteur", "destinataire", "besoin", "publicNom", "besoinNom", "sourceNom")


def path_links(
    store: GraphStore,
    catalogue: QueryCatalogue,
    actors: list[str],
    *,
    publics: set[str],
    besoins: set[str] | None = None,
) -> list[ToileLink]:
    """The arrows of a toile: the recorded referrals (``orientations-du-parcours``)
    between two of ``actors``, for one of ``publics`` and, when a need is chosen, for one
    of ``besoins`` or for no need in particular. Several referrals of one pair (for two
    publics, two sources) make one arrow that names them all; sorted by the names."""
    if not actors:
        return []
    drawn = set(actors)
    rows = store.select(
        catalogue["orientations-du-parcours"].text,
        {"orienteur": _nodes(actors), "public": _nodes(sorted(publics))},
    )
    found: dict[tuple[str, str], dict[str, set[str]]] = {}
    for row in rows:
        source, target, need, public_label, need_label, origin = _values(row, _PATH)
        if target not in drawn or source == target:
            continue
        if besoins is not None and need and need not in besoins:
            continue
        facts = found.setdefault((source, target), {"public": set(), "need": set(), "src": set()})
        facts["public"].add(public_label)
        if need_label:
            facts["need"].add(need_label)
        facts["src"].add(origin)
    return [
        ToileLink(
            source,
            target,
            public=", ".join(sorted(facts["public"])),
            need=", ".join(sorted(facts["need"])),
            origin=" ; ".join(sorted(facts["src"])),
        )
        for (source, target), facts in sorted(found.items())
    ]


def build_toile(
    store: GraphStore,
    catalogue: QueryCatalogue,
    *,
    public: str,
    vocabulary: Vocabulary,
    besoin: str | None = None,
    role: str | None = None,
    places: list[str] | None = None,
    place_label: str = "",
    labels: Mapping[str, str] | None = None,
    acronyms: Mapping[str, str] | None = None,
    sectors: list[Sector] | None = None,
    kinds: Mapping[str, KindFacts] | None = None,
    organisations: frozenset[str] | None = None,
) -> Toile:
    """The toile of ``public`` (IRI), optionally for a need, a role and a place.

    ``places`` are territory IRIs (several when a place has several IRIs, e.g. a name
    chosen among homonyms is one; an empty list or None means anywhere). ``labels`` and
    ``acronyms`` name kinds (from the search index); missing names fall back to the data.
    ``sectors`` (:func:`load_sectors`), ``kinds`` (:func:`kind_facts`) and
    ``organisations`` (:func:`load_organisations`) are the same for every toile of a
    store: a caller that keeps them passes them, else they are queried.

    With a place, the entries whose territory is unknown are not dropped: they are
    ``unplaced``, listed apart. Organisations are ``actors`` (drawn); the other entries,
    instances of dispositif kinds or programmes only, are ``programmes``.
    """
    labels = labels or {}
    acronyms = acronyms or {}
    publics = vocabulary.publics.around(public)
    besoins = vocabulary.besoins.narrower_or_self(besoin) if besoin else None
    filters: MemberFilters = {"publics": publics, "besoins": besoins, "role": role}
    members = find_members(store, catalogue, places=places, **filters)
    unplaced = find_members(store, catalogue, without_territory=True, **filters) if places else []

    if sectors is None:
        sectors = load_sectors(store, catalogue)
    if organisations is None:
        organisations = load_organisations(store, catalogue)
    by_iri = {s.iri: s for s in sectors}
    everyone = members + unplaced
    cards = actor_cards(
        store,
        catalogue,
        everyone,
        sectors=by_iri,
        acronyms=acronyms,
        organisations=organisations,
        publics=publics,
        updated=load_freshness(store, catalogue, everyone),
    )
    on_place = set(members)
    placed = [c for c in cards if c.iri in on_place]
    actors = [c for c in placed if c.is_actor]

    links = path_links(store, catalogue, [a.iri for a in actors], publics=publics, besoins=besoins)
    names = {a.iri: a.label.lower() for a in actors}
    links.sort(key=lambda link: (names[link.source], names[link.target]))

    if kinds is None:
        kinds = kind_facts(store, catalogue)
    expected = []
    gaps = []
    wanted = expected_kinds(kinds, publics, besoins, role)
    if wanted:
        check: dict[str, BindingValue] = {"type": _nodes(wanted)}
        if places:
            check["lieu"] = _nodes(places)
        present = {
            _value(r, "type")
            for r in store.select(catalogue["types-presents-dans-lieu"].text, check)
        }
        for kind in wanted:
            gap = Gap(kind, _kind_label(kind, labels.get(kind, ""), acronyms))
            expected.append(gap)
            if kind not in present:
                gaps.append(gap)

    return Toile(
        public_iri=public,
        public_label=vocabulary.publics.labels.get(public, public),
        need_label=vocabulary.besoins.labels.get(besoin, "") if besoin else "",
        place_label=place_label,
        role_label=vocabulary.roles.labels.get(role, "") if role else "",
        actors=actors,
        links=links,
        gaps=gaps,
        sectors=list(sectors),
        programmes=[c for c in placed if not c.is_actor],
        unplaced=[c for c in cards if c.iri not in on_place],
        expected=expected,
        agur=sorted(
            load_agur(store, catalogue, publics),
            key=lambda t: (vocabulary.publics.labels.get(public, "") not in t.publics, t.label),
        ),
        sources=sorted({source for card in cards for source in card.sources}),
    )
