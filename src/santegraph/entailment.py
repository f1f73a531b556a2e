"""Entailment: what the ontology's axioms add to the data, materialised in one named graph.

SPARQL endpoints (pyoxigraph, ``oxigraph serve``, Virtuoso by default) answer on the triples
they hold, not on what the ontology entails: without help, ``?x a sg:Concertation`` finds
no territorial concertation (each is typed ``sg:ConcertationTerritoriale``). santegraph
therefore writes the consequences of the ontology into their own graph,
``graph/inferences``, so that plain patterns work on every backend (docs/modeling.md,
"Entailment"). The graph is derived: it is rebuilt whenever content changes (the loader and
the steward gate call :func:`inferences_after`), never validated against the shapes,
never written by a steward, and left out of exports unless asked for.

What is materialised, read from the ontology graphs (``graph/ontology/...``) only, so a
submission cannot change what the rest of the data entails:

* RDFS: ``rdfs:subClassOf`` (every type up the class hierarchy) and ``rdfs:subPropertyOf``
  (every triple up the property hierarchy), ``owl:equivalentClass`` and
  ``owl:equivalentProperty`` read as two sub-relations;
* OWL 2 RL: ``owl:inverseOf`` (prp-inv), ``owl:TransitiveProperty`` (prp-trp) and
  ``owl:propertyChainAxiom`` (prp-spo2);
* SHACL-AF rules: every ``sh:SPARQLRule`` of the ontology graphs (``ontology/regles.ttl``)
  is run as its ``sh:construct`` query, ``$this`` left free (each rule is written so that
  this equals running it once per focus node).

Not materialised, on purpose: ``rdfs:domain`` and ``rdfs:range`` (they are constraints
that the shapes check; as type generators they would type the COG dataset a territory,
since ``sg:millesimeCOG`` has the domain ``sg:Territoire``), ``owl:sameAs`` (unused) and
anything about a blank node (a blank node written in another SPARQL update is a new node:
its inferences could not be attached to it; data that needs them mints an IRI).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import pyoxigraph as ox

from .iris import inferences_graph
from .store.base import GraphStore
from .vocab import SG

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
SH = "http://www.w3.org/ns/shacl#"
TYPE = ox.NamedNode(RDF + "type")
FIRST, REST, NIL = (ox.NamedNode(RDF + n) for n in ("first", "rest", "nil"))
SUBCLASS = ox.NamedNode(RDFS + "subClassOf")
SUBPROPERTY = ox.NamedNode(RDFS + "subPropertyOf")
EQUIVALENT_CLASS = ox.NamedNode(OWL + "equivalentClass")
EQUIVALENT_PROPERTY = ox.NamedNode(OWL + "equivalentProperty")
INVERSE = ox.NamedNode(OWL + "inverseOf")
TRANSITIVE = ox.NamedNode(OWL + "TransitiveProperty")
CHAIN = ox.NamedNode(OWL + "propertyChainAxiom")
SPARQL_RULE = ox.NamedNode(SH + "SPARQLRule")
INFERENCES_CLASS = ox.NamedNode(str(SG.GrapheInferences))
CONSTRUCT = ox.NamedNode(SH + "construct")
# The SHACL-AF rules run over the data with the class and property axioms at hand.
_MAX_ROUNDS = 10

Triple = ox.Triple
Node = ox.NamedNode | ox.BlankNode | ox.Triple  # what a triple's subject can be
Value = Node | ox.Literal  # what its object can be
_N = TypeVar("_N")


@dataclass(frozen=True)
class Dependencies:
    """How inferences about one node can depend on other nodes' triples (for a steward
    change, :func:`inferences_delta` recomputes the nodes that depend on what changed).

    * ``joins``: ``m p n`` lets m's inferences read n's triples (a transitive property, a
      link of a property chain, any property a SHACL-AF rule names, or a sub-property);
    * ``reversed_joins``: ``n p m`` does the same, its inverse being a join;
    * ``invertible``: ``x p m`` is a triple about m as well (its inverse has m as subject).
    """

    joins: frozenset[ox.NamedNode]
    reversed_joins: frozenset[ox.NamedNode]
    invertible: frozenset[ox.NamedNode]


def is_axiom_graph(graph: str, base_iri: str) -> bool:
    """Axioms are read from the ontology graphs only (content files under ontology/)."""
    return graph.startswith(base_iri + "graph/ontology/")


class Entailment:
    """The consequences of a fixed set of axioms for any set of data triples."""

    def __init__(self, axioms: Iterable[Triple]):
        axioms = list(axioms)
        self.axioms = axioms
        sub_class: dict[ox.NamedNode, set[ox.NamedNode]] = defaultdict(set)
        sub_property: dict[ox.NamedNode, set[ox.NamedNode]] = defaultdict(set)
        self.inverse: dict[ox.NamedNode, set[ox.NamedNode]] = defaultdict(set)
        self.transitive: set[ox.NamedNode] = set()
        self.chains: list[tuple[ox.NamedNode, list[ox.NamedNode]]] = []
        rest: dict[Value, Value] = {t.subject: t.object for t in axioms if t.predicate == REST}
        first: dict[Value, Value] = {t.subject: t.object for t in axioms if t.predicate == FIRST}
        for t in axioms:
            s, p, o = t.subject, t.predicate, t.object
            # a chain's property too: a blank node cannot be the predicate of what it entails
            if not isinstance(s, ox.NamedNode):
                continue
            if p == SUBCLASS and isinstance(o, ox.NamedNode):
                sub_class[s].add(o)
            elif p == EQUIVALENT_CLASS and isinstance(o, ox.NamedNode):
                sub_class[s].add(o)
                sub_class[o].add(s)
            elif p == SUBPROPERTY and isinstance(o, ox.NamedNode):
                sub_property[s].add(o)
            elif p == EQUIVALENT_PROPERTY and isinstance(o, ox.NamedNode):
                sub_property[s].add(o)
                sub_property[o].add(s)
            elif p == INVERSE and isinstance(o, ox.NamedNode):
                self.inverse[s].add(o)
                self.inverse[o].add(s)
            elif p == TYPE and o == TRANSITIVE:
                self.transitive.add(s)
            elif p == CHAIN:
                links: list[Value] = []
                node = o
                while node in first:
                    links.append(first[node])
                    node = rest.get(node, NIL)
                named = [x for x in links if isinstance(x, ox.NamedNode)]
                if len(links) >= 2 and len(named) == len(links):
                    self.chains.append((s, named))
        self.super_classes = _ancestors(sub_class)
        self.super_properties = _ancestors(sub_property)
        rule_nodes = {t.subject for t in axioms if t.predicate == TYPE and t.object == SPARQL_RULE}
        self.rules = sorted(
            t.object.value.replace("$this", "?this")
            for t in axioms
            if t.predicate == CONSTRUCT
            and t.subject in rule_nodes
            and isinstance(t.object, ox.Literal)
        )

    def dependencies(self) -> Dependencies:
        """Which triples can make one node's inferences read another node's triples."""
        rules = set().union(*(_rule_iris(rule) for rule in self.rules)) if self.rules else set()
        chained = {p for head, links in self.chains for p in (head, *links)}
        direct = self.transitive | chained | rules
        known = (
            direct
            | set(self.super_properties)
            | set(self.inverse)
            | set().union(*self.super_properties.values(), *self.inverse.values())
        )

        def up(p: ox.NamedNode) -> set[ox.NamedNode]:
            return {p, *self.super_properties.get(p, ())}

        joins = frozenset(p for p in known if up(p) & direct)
        invertible = frozenset(p for p in known if up(p) & set(self.inverse))
        reversed_joins = frozenset(
            p for p in invertible if any(self.inverse.get(q, set()) & joins for q in up(p))
        )
        return Dependencies(joins, reversed_joins, invertible)

    # ------------------------------------------------------------------ computing
    def infer(self, data: Iterable[Triple]) -> set[Triple]:
        """The triples the axioms add to ``data`` (none of ``data`` itself)."""
        stated = {t for t in data if _ground(t)}
        known = set(stated)
        frontier = set(stated)
        joined = self.transitive | {p for _, links in self.chains for p in links}
        rules = _Rules(self) if self.rules else None
        since_global = frontier  # triples added since the joins were last computed
        for _ in range(_MAX_ROUNDS):
            local = self._local(frontier, known)
            known |= local
            new: set[Triple] = set()
            # the joins again only when a triple they read has appeared since
            if any(t.predicate in joined for t in (*since_global, *local)):
                new = self._global(known) - known
                known |= new
                since_global = set()
            if rules is not None:
                found = rules.run(known) - known
                known |= found
                new |= found
            if not new:
                break
            since_global = new
            frontier = new
        return known - stated

    def _local(self, frontier: set[Triple], known: set[Triple]) -> set[Triple]:
        """Rules reading one triple (types, super-properties, inverses), to a fixpoint."""
        added: set[Triple] = set()
        todo = list(frontier)
        while todo:
            t = todo.pop()
            derived: list[Triple] = []
            if t.predicate == TYPE and isinstance(t.object, ox.NamedNode):
                derived += [
                    Triple(t.subject, TYPE, c) for c in self.super_classes.get(t.object, ())
                ]
            else:
                for p in self.super_properties.get(t.predicate, ()):
                    derived.append(Triple(t.subject, p, t.object))
                if isinstance(t.object, ox.NamedNode):
                    derived += [
                        Triple(t.object, q, t.subject) for q in self.inverse.get(t.predicate, ())
                    ]
            for d in derived:
                if d not in known and d not in added:
                    added.add(d)
                    todo.append(d)
        return added

    def _global(self, known: set[Triple]) -> set[Triple]:
        """Rules joining triples: transitivity and property chains."""
        by_property: dict[ox.NamedNode, dict[Node, set[Value]]] = defaultdict(
            lambda: defaultdict(set)
        )
        wanted = self.transitive | {p for _, links in self.chains for p in links}
        for t in known:
            if t.predicate in wanted:
                by_property[t.predicate][t.subject].add(t.object)
        new: set[Triple] = set()
        for p in self.transitive:
            edges = by_property.get(p, {})
            for start in list(edges):
                seen: set[Value] = set()
                stack = list(edges[start])
                while stack:
                    node = stack.pop()
                    if node in seen:
                        continue
                    seen.add(node)
                    if not isinstance(node, ox.Literal):  # a literal starts no edge
                        stack += edges.get(node, ())
                new |= {Triple(start, p, end) for end in seen if end != start}
        for p, links in self.chains:
            heads = {s: set(o) for s, o in by_property.get(links[0], {}).items()}
            for link in links[1:]:
                step = by_property.get(link, {})
                heads = {
                    s: {x for o in ends if not isinstance(o, ox.Literal) for x in step.get(o, ())}
                    for s, ends in heads.items()
                }
            new |= {Triple(s, p, o) for s, ends in heads.items() for o in ends}
        return {t for t in new if _ground(t)}


class _Rules:
    """The SHACL-AF rules over one store kept across the rounds of a closure: each round
    adds only the triples that are new since the last (the store built again each round
    cost more than the rules themselves)."""

    def __init__(self, entailment: Entailment):
        self.rules = entailment.rules
        self.store = ox.Store()
        self.store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in entailment.axioms)
        self.loaded: set[Triple] = set()

    def run(self, known: set[Triple]) -> set[Triple]:
        fresh = known - self.loaded
        self.store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in fresh)
        self.loaded |= fresh
        found: set[Triple] = set()
        for rule in self.rules:
            constructed = self.store.query(rule)
            assert isinstance(constructed, ox.QueryTriples), "sh:construct holds a CONSTRUCT"
            found |= {t for t in constructed if _ground(t)}
        return found


def inferences_after(
    store: GraphStore,
    base_iri: str,
    *,
    replace: Mapping[str, Sequence[ox.Quad | Triple]] | None = None,
    add: Mapping[str, Sequence[ox.Quad | Triple]] | None = None,
    drop: Iterable[str] = (),
    everything: Iterable[ox.Quad] | None = None,
) -> dict[str, list[Triple]]:
    """``{graph/inferences: triples}`` for the dataset as it will be once ``replace``d graphs
    hold their new content, ``add`` is added and ``drop``ped graphs are gone.

    ``everything`` gives the whole future dataset instead (a rebuild or an import, whose
    quads are all in hand): the store is then not read.
    """
    return {inferences_graph(base_iri): _infer(store, base_iri, replace, add, drop, everything)[0]}


def inferences_delta(
    store: GraphStore,
    base_iri: str,
    *,
    replace: Mapping[str, Sequence[ox.Quad | Triple]] | None = None,
    add: Mapping[str, Sequence[ox.Quad | Triple]] | None = None,
    drop: Iterable[str] = (),
) -> tuple[dict[str, list[Triple]], dict[str, list[Triple]]]:
    """What to add to and remove from ``graph/inferences`` (same arguments as
    :func:`inferences_after`): a steward change moves few inferences, and a small delta
    keeps the guarded update small (Virtuoso refuses large update templates)."""
    target = inferences_graph(base_iri)
    region = _region(store, base_iri, dict(replace or {}), dict(add or {}), list(drop))
    if region is not None:
        after, before = region
    else:
        after, before = _infer(store, base_iri, replace, add, drop, None)
    after_set, before_set = set(after), set(before)
    return (
        {target: [t for t in after if t not in before_set]},
        {target: [t for t in before if t not in after_set]},
    )


def as_quads(graphs: Mapping[str, Iterable[Triple]]) -> list[ox.Quad]:
    return [
        ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(g))
        for g, items in graphs.items()
        for t in items
    ]


def _infer(
    store: GraphStore,
    base_iri: str,
    replace: Mapping[str, Sequence[ox.Quad | Triple]] | None,
    add: Mapping[str, Sequence[ox.Quad | Triple]] | None,
    drop: Iterable[str],
    everything: Iterable[ox.Quad] | None,
) -> tuple[list[Triple], list[Triple]]:
    """(inferences after the change, inferences the store holds now)."""
    target = inferences_graph(base_iri)
    replace, add = dict(replace or {}), dict(add or {})
    before: list[Triple] = []
    if everything is not None:
        current = [q for q in everything if _graph(q) != target]
    else:
        left_out = {target, *replace, *drop}
        current = []
        for q in store.quads():
            graph = _graph(q)
            if graph == target:
                before.append(_triple(q))
            elif graph not in left_out:
                current.append(q)
    for graph, items in [*replace.items(), *add.items()]:
        current += [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(graph)) for t in items]
    axioms = [_triple(q) for q in current if is_axiom_graph(_graph(q), base_iri)]
    data = [_triple(q) for q in current]
    inferred = Entailment(axioms).infer(data)
    # the graph says what it is, so that queries can tell it from the stated graphs
    inferred.add(Triple(ox.NamedNode(target), TYPE, INFERENCES_CLASS))
    return sorted(inferred, key=str), before


def _region(
    store: GraphStore,
    base_iri: str,
    replace: Mapping[str, Sequence[ox.Quad | Triple]],
    add: Mapping[str, Sequence[ox.Quad | Triple]],
    drop: Iterable[str],
) -> tuple[list[Triple], list[Triple]] | None:
    """(inferences after, inferences now) of the nodes whose inferences a change can move,
    or None when the whole closure must be computed again (an axiom graph changes).

    Every inference has a subject whose own triples, and those of the nodes it depends on
    (``Dependencies``), derive it. So the nodes that depend on a changed triple's subject
    (and on its object, when the property has an inverse) are the only ones whose
    inferences can change; their closure, computed over the triples of what they depend
    on, equals what the whole closure says about them. A steward entry touches a few
    nodes: this reads a few hundred triples where the whole closure reads the store.
    """
    target = inferences_graph(base_iri)
    changed_graphs = {*replace, *add, *drop}
    if target in changed_graphs or any(is_axiom_graph(g, base_iri) for g in changed_graphs):
        return None
    graphs = [g for g in store.list_graphs() if is_axiom_graph(g, base_iri)]
    axioms = [_triple(q) for q in store.match_any(graphs=[ox.NamedNode(g) for g in graphs])]
    entailment = Entailment(axioms)
    deps = entailment.dependencies()
    gone = {*replace, *drop}
    old = (
        [_triple(q) for q in store.match_any(graphs=[ox.NamedNode(g) for g in gone])]
        if gone
        else []
    )
    new = [_triple(t) for items in [*replace.values(), *add.values()] for t in items]
    start: set[ox.NamedNode] = set()
    for t in [*old, *new]:
        if not _ground(t):  # the closure reads no triple with a blank node
            continue
        if isinstance(t.subject, ox.NamedNode):
            start.add(t.subject)
        if t.predicate in deps.invertible and isinstance(t.object, ox.NamedNode):
            start.add(t.object)
    start.discard(ox.NamedNode(target))
    # both worlds' edges: the store as it is (the inferences included) and the new triples
    affected = _reach(store, new, start, deps, backward=True)
    region = _reach(store, new, affected, deps, backward=False)
    kept = [
        _triple(q)
        for q in [
            *store.match_any(subjects=region),
            *store.match_any(predicates=deps.invertible, objects=region),
        ]
        if _graph(q) not in gone and _graph(q) != target
    ]
    fresh = [
        t
        for t in new
        if t.subject in region or (t.predicate in deps.invertible and t.object in region)
    ]
    after = {t for t in entailment.infer([*kept, *fresh, *axioms]) if t.subject in affected}
    before = [_triple(q) for q in store.match_any(subjects=affected, graphs=[ox.NamedNode(target)])]
    return sorted(after, key=str), before


def _reach(
    store: GraphStore,
    new: list[Triple],
    nodes: set[ox.NamedNode],
    deps: Dependencies,
    *,
    backward: bool,
) -> set[ox.NamedNode]:
    """``nodes`` and every node that depends on them (``backward``) or that they depend
    on, through the store's triples and ``new``."""
    found, frontier = set(nodes), set(nodes)
    while frontier:
        step: set[object] = set()
        # "m join n" and "n reversed_join m" both say that m depends on n; the frontier
        # is the side that depends (forward) or the side depended on (backward)
        for predicates, dependant_is_subject in ((deps.joins, True), (deps.reversed_joins, False)):
            at_subject = dependant_is_subject != backward
            pattern = {"subjects": frontier} if at_subject else {"objects": frontier}
            triples: list[Triple | ox.Quad] = [
                *store.match_any(predicates=predicates, **pattern),
                *(
                    t
                    for t in new
                    if t.predicate in predicates
                    and (t.subject if at_subject else t.object) in frontier
                ),
            ]
            step |= {t.object if at_subject else t.subject for t in triples}
        # the closure reads no triple with a blank node: nothing depends through one
        frontier = {node for node in step if isinstance(node, ox.NamedNode)} - found
        found |= frontier
    return found


def _rule_iris(rule: str) -> set[ox.NamedNode]:
    """Every IRI a rule's text names (written out, prefixed, or ``a``): what it may read."""
    prefixes = dict(re.findall(r"(?i)PREFIX\s+([\w-]*):\s*<([^>]*)>", rule))
    body = re.sub(r"(?i)PREFIX\s+[\w-]*:\s*<[^>]*>", " ", rule)
    iris = set(re.findall(r"<([^<>\s]+)>", body))
    iris |= {
        prefixes[p] + local
        for p, local in re.findall(r"(?<![\w<?$])([\w-]*):([\w-]+)", body)
        if p in prefixes
    }
    if re.search(r"(?<![\w?$:])a(?![\w:])", body):
        iris.add(RDF + "type")
    return {ox.NamedNode(i) for i in iris}


def _graph(q: ox.Quad) -> str:
    return q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""


def _triple(q: ox.Quad | Triple) -> Triple:
    return Triple(q.subject, q.predicate, q.object)


def _ground(t: Triple) -> bool:
    return not isinstance(t.subject, ox.BlankNode) and not isinstance(t.object, ox.BlankNode)


def _ancestors(parents: Mapping[_N, set[_N]]) -> dict[_N, set[_N]]:
    """Strict ancestors of every node of a (possibly cyclic) parent relation."""
    result = {}
    for node in parents:
        seen: set[_N] = set()
        stack = list(parents[node])
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            stack += parents.get(current, ())
        seen.discard(node)
        result[node] = seen
    return result
