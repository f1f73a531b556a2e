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
* ``secteurs``: the sectors and their colours; ``orientations-entre-acteurs``:
  ``sg:orienteVers``
  between two actors of the toile;
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

import pyoxigraph as ox

from ..queries import BindingValue, QueryCatalogue
from ..store.base import GraphStore, Row
from ..vocab import SG
from .model import Gap, Sector, Toile, ToileActor, ToileLink


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


def actor_cards(
    store: GraphStore,
    catalogue: QueryCatalogue,
    actors: list[str],
    *,
    sectors: Mapping[str, Sector],
    acronyms: Mapping[str, str] | None = None,
) -> list[ToileActor]:
    """The cards of these actors, sorted by name."""
    if not actors:
        return []
    acronyms = acronyms or {}
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
        what = [v for v, _ in f["service"]] + [v for v, _ in f["description"]]
        cards.append(
            ToileActor(
                iri=iri,
                label=f["nom"][0][0] if f["nom"] else iri,
                acronym=f["sigle"][0][0] if f["sigle"] else "",
                kinds=tuple(_kind_label(k, lab, acronyms) for k, lab in kinds),
                kind_iris=tuple(k for k, _ in kinds),
                sector=sector,
                roles=tuple(sorted({lab or v for v, lab in f["role"]})),
                what=" ".join(what),
                territories=tuple(dict.fromkeys(territories)),
                phone=f["telephone"][0][0] if f["telephone"] else "",
                email=f["email"][0][0] if f["email"] else "",
                url=f["url"][0][0] if f["url"] else "",
                sources=tuple(sorted({v for v, _ in f["source"]})),
            )
        )
    cards.sort(key=lambda c: c.label.lower())
    return cards


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
) -> Toile:
    """The toile of ``public`` (IRI), optionally for a need, a role and a place.

    ``places`` are territory IRIs (several when a place has several IRIs, e.g. a name
    chosen among homonyms is one; an empty list or None means anywhere). ``labels`` and
    ``acronyms`` name kinds (from the search index); missing names fall back to the data.
    ``sectors`` (:func:`load_sectors`) and ``kinds`` (:func:`kind_facts`) are the same for
    every toile of a store: a caller that keeps them passes them, else they are queried.
    """
    labels = labels or {}
    acronyms = acronyms or {}
    publics = vocabulary.publics.around(public)
    besoins = vocabulary.besoins.narrower_or_self(besoin) if besoin else None
    bindings: dict[str, BindingValue] = {"public": _nodes(sorted(publics))}
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
            break
    rows = store.select(catalogue["toile-acteurs"].text, bindings) if kept != set() else []
    serving = {_value(r, "acteur") for r in rows}
    actor_iris = sorted(serving if kept is None else serving & kept)

    if sectors is None:
        sectors = load_sectors(store, catalogue)
    by_iri = {s.iri: s for s in sectors}
    actors = actor_cards(store, catalogue, actor_iris, sectors=by_iri, acronyms=acronyms)

    links = []
    if actor_iris:
        on_toile = set(actor_iris)
        query = catalogue["orientations-entre-acteurs"].text
        seen = set()
        rows = store.select(query, {"acteur": _nodes(actor_iris)})
        oriented = [_values(r, ("acteurNom", "cibleNom", "acteur", "cible")) for r in rows]
        oriented.sort(key=operator.itemgetter(0, 1))  # the query leaves them unsorted
        for _, _, source, target in oriented:
            pair = (source, target)
            if target in on_toile and pair not in seen:
                seen.add(pair)
                links.append(ToileLink(*pair))

    if kinds is None:
        kinds = kind_facts(store, catalogue)
    expected = expected_kinds(kinds, publics, besoins, role)
    gaps = []
    if expected:
        check: dict[str, BindingValue] = {"type": _nodes(expected)}
        if places:
            check["lieu"] = _nodes(places)
        present = {
            _value(r, "type")
            for r in store.select(catalogue["types-presents-dans-lieu"].text, check)
        }
        for kind in expected:
            if kind not in present:
                gaps.append(Gap(kind, _kind_label(kind, labels.get(kind, ""), acronyms)))

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
    )
