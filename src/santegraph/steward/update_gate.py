"""SPARQL 1.1 Update behind the validation gate.

An update is never run on the store directly: rdflib evaluates it over an *overlay* that
reads the store (union default graph, named graphs) and records every insertion and
deletion instead of applying it. The result is the complete new content of each graph the
update touches, which goes through :class:`~santegraph.stewardship.Stewardship` like any
other steward change: only steward graphs, validated in context, written in one atomic
update with its journal events. An update that would leave violations is refused and
nothing is applied: there is nothing to roll back.

The operations keep their SPARQL 1.1 Update meaning, each as one step of the request
(rdflib's own evaluation, except where noted): ``CREATE GRAPH`` fails on a graph that
exists, ``DROP`` / ``CLEAR`` on one that does not, ``ADD`` / ``MOVE`` / ``COPY`` on a
missing source, each unless ``SILENT`` (rdflib's ``CREATE`` was "not implemented" and
its ``DROP`` of a missing graph succeeded). A graph exists while it holds a triple, or
once created by this request: the store keeps no empty graph, so a created graph that
stays empty is not written (an empty steward graph would be a withdrawal). ``USING`` /
``USING NAMED`` and the protocol's ``using-graph-uri`` / ``using-named-graph-uri`` set
the dataset of an operation's ``WHERE`` (a default graph merging the graphs named, and
only those named graphs), read from the store, never fetched; the protocol's and the
request's together are a conflict (SPARQL 1.1 Protocol 2.2.3).

Limits, each refused with a clear message: writes must name their graph (``GRAPH <g>``
or ``WITH <g>``, since the default graph is the union of all graphs); ``LOAD`` and
``SERVICE`` are refused (they would make the server fetch URLs), with 403 as the gate's
other refusals. A refusal of the gate (a graph stewards may not write, a fetch) is never
made silent by ``SILENT``. The grammar is SPARQL 1.1's: what rdflib's parser accepts
beyond it is refused as malformed.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, URIRef, Variable
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.plugins.sparql import update as rdflib_update
from rdflib.plugins.sparql.algebra import translateUpdate
from rdflib.plugins.sparql.evaluate import evalPart
from rdflib.plugins.sparql.parser import parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import QueryContext
from rdflib.store import Store
from rdflib.term import Node

from ..bounds import check_query_depth, too_many_triples
from ..errors import InputError, QueryError
from ..store.base import GraphStore
from .workflow import Forbidden

if TYPE_CHECKING:  # the argument types of rdflib's Store interface, which rdflib names privately
    from rdflib.graph import _ContextType, _QuadType, _TriplePatternType, _TripleType

_Term = ox.NamedNode | ox.BlankNode | ox.Literal


class OperationFailed(QueryError):
    """An operation of the update failed as SPARQL Update says it must (a graph that
    exists, or does not), without SILENT: the whole request fails, nothing is written."""


def changed_graphs(
    store: GraphStore,
    update: str,
    base_iri: str,
    *,
    max_depth: int = 100,
    max_triples: int = 0,
    using_graphs: Iterable[str] = (),
    using_named_graphs: Iterable[str] = (),
) -> dict[str, list[ox.Triple]]:
    """Evaluate ``update`` over an overlay of ``store``; the new content of every graph it
    changes or creates (graph IRI -> all its triples after the update; a created graph
    that stays empty maps to ``[]``). Nothing is written.

    ``using_graphs`` / ``using_named_graphs``: the protocol's ``using-graph-uri`` /
    ``using-named-graph-uri``, the dataset of every ``WHERE``; an update that also says
    ``USING``, ``USING NAMED`` or ``WITH`` is refused (QueryError). Inserting more than
    ``max_triples`` (0: no limit) is refused with LimitExceeded as soon as the overlay
    records one too many."""
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
    _check_grammar(algebra.algebra)
    using = [CompValue("UsingClause", default=URIRef(g)) for g in using_graphs]
    using += [CompValue("UsingClause", named=URIRef(g)) for g in using_named_graphs]
    for operation in algebra.algebra:
        _refuse_default_graph_writes(operation)
        if using and (operation.using or operation.withClause):
            raise QueryError(
                "the request gives using-graph-uri / using-named-graph-uri and the update "
                "says USING, USING NAMED or WITH: one dataset only (SPARQL 1.1 Protocol "
                "2.2.3)"
            )
    overlay = OverlayStore(store, max_added=max_triples)
    dataset = Dataset(store=overlay, default_union=True)
    for operation in algebra.algebra:
        ctx = QueryContext(dataset, initBindings={})  # rdflib: None fails in a subquery
        ctx.prologue = operation.prologue
        try:
            _evaluate(ctx, operation, overlay, using)
        except (Forbidden, InputError):
            raise  # the gate's refusals and limits: never silent
        except Exception as exc:
            if operation.silent:
                continue  # SILENT: the operation fails quietly, the request goes on
            if isinstance(exc, QueryError):
                raise
            raise QueryError(f"SPARQL update failed: {exc}") from exc
    return overlay.new_contents()


def _evaluate(
    ctx: QueryContext, u: CompValue, overlay: OverlayStore, using: list[CompValue]
) -> None:
    """One operation of the request, on the overlay."""
    name = u.name
    if name == "Create":
        graph = str(u.graphiri)
        if overlay.exists(graph):
            raise OperationFailed(f"CREATE GRAPH <{graph}>: the graph already exists")
        overlay.create(graph)
    elif name in ("Drop", "Clear"):
        target = u.graphiri
        if target in ("DEFAULT", "NAMED", "ALL"):  # the union, or every graph
            raise Forbidden(f"{name.upper()} {target}: {WHOLE_DATASET}")
        if not overlay.exists(str(target)):
            raise OperationFailed(f"{name.upper()} GRAPH <{target}>: no such graph")
        overlay.remove_graph(URIRef(target))  # the store keeps no empty graph: CLEAR is DROP
    elif name in ("Add", "Move", "Copy"):
        source, destination = u.graph
        if "DEFAULT" in (source, destination):
            raise Forbidden(f"{name.upper()} … DEFAULT: {WHOLE_DATASET}")
        if not overlay.exists(str(source)):
            raise OperationFailed(f"{name.upper()} <{source}>: no such graph")
        getattr(rdflib_update, "eval" + name)(ctx, u)
        if source != destination:
            overlay.create(str(destination))  # exists, even if the source was empty
    elif name == "Modify" and (u.using or using):
        _modify_using(ctx, u, overlay, u.using or using)
    elif name in ("InsertData", "DeleteData", "DeleteWhere", "Modify"):
        getattr(rdflib_update, "eval" + name)(ctx, u)
    else:  # LOAD is refused before evaluation
        raise QueryError(f"{name} is not accepted here")


def _modify_using(
    ctx: QueryContext, u: CompValue, overlay: OverlayStore, using: list[CompValue]
) -> None:
    """DELETE/INSERT … WHERE with its dataset set by USING / USING NAMED: the WHERE reads
    a view of the overlay, the templates write to it (into WITH's graph, if any)."""
    default = [str(d.default) for d in using if d.default is not None]
    named = [str(d.named) for d in using if d.named is not None]
    view = Dataset(store=DatasetView(overlay, default, named), default_union=True)
    where = QueryContext(view, initBindings=ctx.initBindings)
    where.prologue = ctx.prologue
    solutions = list(evalPart(where, u.where))
    dataset = ctx.dataset
    # default_graph: an attribute of rdflib's ConjunctiveGraph its annotations omit
    target = dataset.get_context(u.withClause) if u.withClause else dataset.default_graph  # type: ignore[attr-defined]
    fill: Callable[..., Any] = rdflib_update._fillTemplate  # type: ignore[attr-defined]  # as evalModify
    for solution in solutions:  # as rdflib's evalModify applies its templates
        if u.delete:
            target -= fill(u.delete.triples, solution)
            for graph, quads in u.delete.quads.items():
                in_graph = dataset.get_context(solution.get(graph))
                in_graph -= fill(quads, solution)
        if u.insert:
            target += fill(u.insert.triples, solution)
            for graph, quads in u.insert.quads.items():
                in_graph = dataset.get_context(solution.get(graph))
                in_graph += fill(quads, solution)


def _check_grammar(operations: Iterable[CompValue]) -> None:
    """What SPARQL 1.1 Update's grammar forbids and rdflib's parser accepts (W3C
    syntax-update-1 tests 43, 44, 50 to 52 and 54; GRAPH ?g in INSERT DATA then failed
    with a 500): a variable in INSERT DATA / DELETE DATA, a blank node in DELETE DATA,
    DELETE WHERE or a DELETE template, a blank node label in two operations."""

    # rdflib's parse tree (CompValue) is untyped: its triples and quads come as Any
    def terms(triples: Any, quads: Mapping[Node, Any] | None) -> Iterator[Node]:
        yield from quads or ()  # the graph names
        for triple in [*(triples or ()), *(t for ts in (quads or {}).values() for t in ts)]:
            yield from triple

    labels: set[BNode] = set()  # blank node labels of earlier INSERT DATA operations
    for operation in operations:
        name = operation.name
        if name == "InsertData":  # the same label in two of them: SPARQL 1.1 grammar, note 9
            used = {t for t in terms(operation.triples, operation.quads) if isinstance(t, BNode)}
            if used & labels:
                raise QueryError(
                    "SPARQL update syntax error: a blank node label in two INSERT DATA"
                )
            labels |= used
        if name in ("InsertData", "DeleteData", "DeleteWhere"):
            found = list(terms(operation.triples, operation.quads))
            keyword = {"InsertData": "INSERT DATA", "DeleteData": "DELETE DATA"}.get(
                name, "DELETE WHERE"
            )
            if name != "DeleteWhere" and any(isinstance(t, Variable) for t in found):
                raise QueryError(f"SPARQL update syntax error: a variable in {keyword}")
            if name != "InsertData" and any(isinstance(t, BNode) for t in found):
                raise QueryError(f"SPARQL update syntax error: a blank node in {keyword}")
        elif name == "Modify" and operation.delete is not None:
            found = list(terms(operation.delete.triples, operation.delete.quads))
            if any(isinstance(t, BNode) for t in found):
                raise QueryError("SPARQL update syntax error: a blank node in a DELETE template")


def _refuse_fetching(node: object) -> None:
    """LOAD and SERVICE make rdflib dereference URLs: never from a request, ``SILENT`` or
    not (a refusal of the gate, 403). (USING would too, in rdflib's evaluation: here it
    reads the store, ``_modify_using``.)"""
    if isinstance(node, CompValue):
        if node.name == "Load":
            raise Forbidden("LOAD is not accepted: send the data itself (INSERT DATA, or PUT)")
        if node.name == "ServiceGraphPattern":
            raise Forbidden("SERVICE is not accepted in updates")
        for value in node.values():
            _refuse_fetching(value)
    elif isinstance(node, list | tuple):
        for value in node:
            _refuse_fetching(value)


WHOLE_DATASET = (
    "le graphe par défaut est l'union de tous les graphes, et tous les graphes ne sont pas "
    "des graphes de référent : nommez les graphes un à un (GRAPH <…>)"
)
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
        self.created: set[str] = set()  # CREATE GRAPH (and ADD/MOVE/COPY destinations)

    # ------------------------------------------------------------------ reading
    def triples(
        self, triple_pattern: _TriplePatternType, context: _ContextType | None = None
    ) -> Iterator[tuple[_TripleType, Iterator[_ContextType | None]]]:
        graph = _graph_name(context)
        s, p, o = (_to_ox(t) if t is not None else None for t in triple_pattern)
        if not isinstance(p, ox.NamedNode | None) or isinstance(s, ox.Literal):
            return  # no triple has a literal subject or a predicate that is not an IRI
        seen: set[tuple[ox.Triple, str]] = set()
        graphs = [graph] if graph else None
        for quad in self.backend.match(s, p, o, ox.NamedNode(graph) if graph else None):
            assert not isinstance(quad.graph_name, ox.DefaultGraph)  # match(): named graphs
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

    def __len__(self, context: _ContextType | None = None) -> int:
        return sum(1 for _ in self.triples((None, None, None), context))

    def contexts(self, triple: _TripleType | None = None) -> Generator[Graph, None, None]:
        names = set(self.backend.list_graphs()) | set(self.added)
        for name in sorted(names):
            if triple is None or any(True for _ in self.triples(triple, self._context(name))):
                yield self._context(name)

    # ------------------------------------------------------------------ recording
    def add(self, triple: _TripleType, context: _ContextType, quoted: bool = False) -> None:
        name = self._writable(context)
        s, p, o = (_to_ox(x) for x in triple)
        if isinstance(s, ox.Literal) or not isinstance(p, ox.NamedNode):
            return  # not RDF: a template's triple is then left out (SPARQL 1.1 Update 3.1.3)
        self.insertions += 1
        if self.insertions > self.max_added > 0:
            raise too_many_triples(self.max_added, source="update")
        t = ox.Triple(s, p, o)
        self.removed.get(name, set()).discard(t)
        self.added.setdefault(name, set()).add(t)

    def addN(self, quads: Iterable[_QuadType]) -> None:  # noqa: N802 - rdflib's name
        for s, p, o, context in quads:
            self.add((s, p, o), context)

    def remove(
        self, triple_pattern: _TriplePatternType, context: _ContextType | Node | None = None
    ) -> None:
        name = self._writable(context)
        for triple, _ in list(self.triples(triple_pattern, self._context(name))):
            t = _triple_to_ox(triple)
            if t in self.added.get(name, set()):
                self.added[name].discard(t)
            self.removed.setdefault(name, set()).add(t)

    def add_graph(self, graph: Graph) -> None:
        self.create(str(_graph_name(graph) or ""))

    def remove_graph(self, graph: Graph | Node) -> None:
        self.remove((None, None, None), graph)
        self.created.discard(str(_graph_name(graph)))

    def create(self, name: str) -> None:
        """A graph that exists from now on in this request, even while empty."""
        self._writable(URIRef(name))
        self.created.add(name)

    def exists(self, name: str) -> bool:
        """Whether the graph exists now: created by this request, or holding a triple."""
        if name in self.created or self.added.get(name):
            return True
        node = ox.NamedNode(name)
        if not self.backend.ask("ASK { VALUES ?g { UNDEF } GRAPH ?g { ?s ?p ?o } }", {"g": node}):
            return False
        if not self.removed.get(name):  # nothing of it removed yet
            return True
        return any(True for _ in self.triples((None, None, None), self._context(name)))

    def _writable(self, context: _ContextType | Node | None) -> str:
        name = _graph_name(context)
        if not name:
            raise Forbidden(NAME_YOUR_GRAPH)
        return name

    # ------------------------------------------------------------------ result
    def new_contents(self) -> dict[str, list[ox.Triple]]:
        touched = {g for g, ts in self.added.items() if ts} | {
            g for g, ts in self.removed.items() if ts
        }
        touched |= self.created  # created: written if it holds triples, else left out
        contents: dict[str, list[ox.Triple]] = {}
        for name in sorted(touched):
            removed = self.removed.get(name, set())
            current = [
                ox.Triple(q.subject, q.predicate, q.object)
                for q in self.backend.match(graph=ox.NamedNode(name))
            ]
            kept = [t for t in current if t not in removed]
            contents[name] = list(dict.fromkeys([*kept, *self.added.get(name, ())]))
        return contents


class DatasetView(Store):
    """The dataset an operation's WHERE reads under USING / USING NAMED: a default graph
    merging the ``default`` graphs, and the ``named`` graphs only (SPARQL 1.1 Update
    3.1.3), each read from the overlay as this request left it."""

    context_aware = True
    graph_aware = True

    def __init__(self, overlay: OverlayStore, default: list[str], named: list[str]):
        super().__init__()
        self.overlay, self.default, self.named = overlay, default, named

    def triples(
        self, triple_pattern: _TriplePatternType, context: _ContextType | None = None
    ) -> Iterator[tuple[_TripleType, Iterator[_ContextType | None]]]:
        name = _graph_name(context)
        if name is None:  # the default graph: the merge of the USING graphs (a set)
            seen: set[_TripleType] = set()
            for graph in self.default:
                for triple, _ in self.overlay.triples(triple_pattern, self._context(graph)):
                    if triple not in seen:
                        seen.add(triple)
                        yield triple, iter([self._context(graph)])
        elif name in self.named:
            yield from self.overlay.triples(triple_pattern, self._context(name))

    def _context(self, name: str) -> Graph:
        return Graph(store=self, identifier=URIRef(name))

    def __len__(self, context: _ContextType | None = None) -> int:
        return sum(1 for _ in self.triples((None, None, None), context))

    def add_graph(self, graph: Graph) -> None:
        """rdflib's Dataset asks for the graphs it reads: this view only reads."""

    def contexts(self, triple: _TripleType | None = None) -> Generator[Graph, None, None]:
        for name in self.named:
            if triple is None or any(True for _ in self.triples(triple, self._context(name))):
                yield self._context(name)


def _graph_name(context: _ContextType | Node | None) -> str | None:
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


def _matches(triple: ox.Triple, s: _Term | None, p: _Term | None, o: _Term | None) -> bool:
    return (
        (s is None or triple.subject == s)
        and (p is None or triple.predicate == p)
        and (o is None or triple.object == o)
    )


def _to_ox(term: Node) -> _Term:
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


def _triple_to_ox(triple: _TripleType) -> ox.Triple:
    s, p, o = (_to_ox(t) for t in triple)
    assert not isinstance(s, ox.Literal) and isinstance(p, ox.NamedNode)  # read from a store
    return ox.Triple(s, p, o)


def _from_ox(triple: ox.Triple) -> _TripleType:
    return (
        _term_from_ox(triple.subject),
        _term_from_ox(triple.predicate),
        _term_from_ox(triple.object),
    )


def _term_from_ox(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Triple):
        raise QueryError(f"an RDF-star triple term is not supported in updates: {term}")
    if term.language:
        return Literal(term.value, lang=term.language)
    return Literal(term.value, datatype=URIRef(term.datatype.value))
