"""SPARQL 1.1 Update behind the validation gate.

An update is never run on the store directly: rdflib evaluates it over an *overlay* that
reads the store (union default graph, named graphs) and records every insertion and
deletion instead of applying it. The result is the complete new content of each graph the
update touches, which goes through :class:`~santegraph.stewardship.Stewardship` like any
other steward change: only steward graphs, validated in context, written in one atomic
update with its journal events. An update that would leave violations is refused and
nothing is applied: there is nothing to roll back.

Limits, each refused with a clear message: writes must name their graph (``GRAPH <g>``
or ``WITH <g>``, since the default graph is the union of all graphs); ``LOAD``, ``USING``
and ``SERVICE`` are refused (they would make the server fetch URLs).
"""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, URIRef, Variable
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.plugins.sparql.algebra import translateUpdate
from rdflib.plugins.sparql.parser import parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.update import evalUpdate
from rdflib.store import Store

from ..bounds import check_query_depth, too_many_triples
from ..errors import InputError, QueryError
from ..store.base import GraphStore
from .workflow import Forbidden


def changed_graphs(
    store: GraphStore, update: str, base_iri: str, *, max_depth: int = 100, max_triples: int = 0
) -> dict[str, list[ox.Triple]]:
    """Evaluate ``update`` over an overlay of ``store``; the new content of every graph it
    changes (graph IRI -> all its triples after the update). Nothing is written.
    Inserting more than ``max_triples`` (0: no limit) is refused with LimitExceeded as soon
    as the overlay records one too many."""
    check_query_depth(update, max_depth)
    try:
        parsed = parseUpdate(update)
    except Exception as exc:  # pyparsing's ParseException and friends
        raise QueryError(f"SPARQL update syntax error: {exc}") from exc
    _refuse_fetching(parsed)
    try:
        algebra = translateUpdate(parsed, base=base_iri)
    except Exception as exc:
        raise QueryError(f"SPARQL update cannot be evaluated: {exc}") from exc
    if isinstance(algebra, list):  # rdflib's answer for an update without any operation
        return {}  # (comments or a prologue only: valid SPARQL, changes nothing)
    for operation in algebra.algebra:
        _refuse_default_graph_writes(operation)
    overlay = OverlayStore(store, max_added=max_triples)
    dataset = Dataset(store=overlay, default_union=True)
    try:
        evalUpdate(dataset, algebra)
    except (Forbidden, QueryError, InputError):
        raise
    except Exception as exc:
        raise QueryError(f"SPARQL update failed: {exc}") from exc
    return overlay.new_contents()


def _refuse_fetching(node) -> None:
    """LOAD, USING and SERVICE make rdflib dereference URLs: never from a request."""
    if isinstance(node, CompValue):
        if node.name == "Load":
            raise QueryError("LOAD is not accepted: send the data itself (INSERT DATA, or PUT)")
        if node.name == "ServiceGraphPattern":
            raise QueryError("SERVICE is not accepted in updates")
        if dict.get(node, "using"):
            raise QueryError("USING is not accepted: name graphs with GRAPH or WITH")
        for value in node.values():
            _refuse_fetching(value)
    elif isinstance(node, list | tuple):
        for value in node:
            _refuse_fetching(value)


NAME_YOUR_GRAPH = (
    "une mise à jour doit nommer son graphe (GRAPH <…> { … } ou WITH <…>) : "
    "le graphe par défaut est l'union de tous les graphes"
)


def _refuse_default_graph_writes(operation: CompValue) -> None:
    """Triples written to or deleted from the default graph (the union): refused."""
    if operation.name in ("InsertData", "DeleteData", "DeleteWhere"):
        if operation.triples:
            raise Forbidden(NAME_YOUR_GRAPH)
    elif operation.name == "Modify" and not operation.withClause:
        for template in (operation.delete, operation.insert):
            if template is not None and template.triples:
                raise Forbidden(NAME_YOUR_GRAPH)


class OverlayStore(Store):
    """An rdflib store that reads a GraphStore and records writes without applying them."""

    context_aware = True
    graph_aware = True

    def __init__(self, backend: GraphStore, *, max_added: int = 0):
        super().__init__()
        self.backend = backend
        self.max_added, self.insertions = max_added, 0
        self.added: dict[str, set[ox.Triple]] = {}
        self.removed: dict[str, set[ox.Triple]] = {}
        self.cleared: set[str] = set()

    # ------------------------------------------------------------------ reading
    def triples(self, triple_pattern, context=None) -> Iterator:
        graph = _graph_name(context)
        s, p, o = (_to_ox(t) if t is not None else None for t in triple_pattern)
        if isinstance(p, ox.BlankNode) or isinstance(s, ox.Literal):
            return
        seen: set = set()
        graphs = [graph] if graph else None
        for quad in self.backend.match(s, p, o, ox.NamedNode(graph) if graph else None):
            name = quad.graph_name.value
            triple = ox.Triple(quad.subject, quad.predicate, quad.object)
            if name in self.cleared or triple in self.removed.get(name, ()):
                continue
            seen.add((triple, name))
            yield _from_ox(triple), iter([self._context(name)])
        for name, triples in self.added.items():
            if graphs is not None and name not in graphs:
                continue
            for triple in triples:
                if (triple, name) not in seen and _matches(triple, s, p, o):
                    yield _from_ox(triple), iter([self._context(name)])

    def _context(self, name: str) -> Graph:
        return Graph(store=self, identifier=URIRef(name))

    def __len__(self, context=None) -> int:
        return sum(1 for _ in self.triples((None, None, None), context))

    def contexts(self, triple=None):
        names = set(self.backend.list_graphs()) | set(self.added)
        for name in sorted(names):
            if triple is None or any(True for _ in self.triples(triple, self._context(name))):
                yield self._context(name)

    # ------------------------------------------------------------------ recording
    def add(self, triple, context, quoted=False) -> None:
        name = self._writable(context)
        self.insertions += 1
        if self.insertions > self.max_added > 0:
            raise too_many_triples(self.max_added, source="update")
        t = ox.Triple(*(_to_ox(x) for x in triple))
        self.removed.get(name, set()).discard(t)
        self.added.setdefault(name, set()).add(t)

    def addN(self, quads) -> None:  # noqa: N802 - rdflib's name
        for s, p, o, context in quads:
            self.add((s, p, o), context)

    def remove(self, triple_pattern, context=None) -> None:
        name = self._writable(context)
        for (s, p, o), _ in list(self.triples(triple_pattern, self._context(name))):
            t = ox.Triple(_to_ox(s), _to_ox(p), _to_ox(o))
            if t in self.added.get(name, set()):
                self.added[name].discard(t)
            self.removed.setdefault(name, set()).add(t)

    def add_graph(self, graph) -> None:
        """Empty graphs do not exist in the store's dataset (CREATE GRAPH is a no-op)."""

    def remove_graph(self, graph) -> None:
        self.remove((None, None, None), graph)

    def _writable(self, context) -> str:
        name = _graph_name(context)
        if not name:
            raise Forbidden(NAME_YOUR_GRAPH)
        return name

    # ------------------------------------------------------------------ result
    def new_contents(self) -> dict[str, list[ox.Triple]]:
        touched = {g for g, ts in self.added.items() if ts} | {
            g for g, ts in self.removed.items() if ts
        }
        contents = {}
        for name in sorted(touched):
            removed = self.removed.get(name, set())
            current = [
                ox.Triple(q.subject, q.predicate, q.object)
                for q in self.backend.match(graph=ox.NamedNode(name))
            ]
            kept = [t for t in current if t not in removed]
            contents[name] = list(dict.fromkeys([*kept, *self.added.get(name, ())]))
        return contents


def _graph_name(context) -> str | None:
    if context is None:
        return None
    identifier = getattr(context, "identifier", context)
    if identifier == DATASET_DEFAULT_GRAPH_ID or isinstance(identifier, BNode):
        return None
    if isinstance(identifier, Variable):  # rdflib's DELETE WHERE { GRAPH ?g {...} }
        raise QueryError(
            "DELETE WHERE with GRAPH ?variable is not supported: write "
            "DELETE { GRAPH ?g { ... } } WHERE { GRAPH ?g { ... } }"
        )
    return str(identifier)


def _matches(triple: ox.Triple, s, p, o) -> bool:
    return (
        (s is None or triple.subject == s)
        and (p is None or triple.predicate == p)
        and (o is None or triple.object == o)
    )


def _to_ox(term):
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise QueryError(f"unsupported term in update: {term!r}")


def _from_ox(triple: ox.Triple):
    return tuple(_term_from_ox(t) for t in (triple.subject, triple.predicate, triple.object))


def _term_from_ox(term):
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    return Literal(term.value, datatype=URIRef(term.datatype.value))
