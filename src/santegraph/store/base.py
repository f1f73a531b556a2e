"""The one store interface every other part of santegraph talks to.

Two implementations: :class:`~santegraph.store.embedded.EmbeddedStore` (pyoxigraph, in
process) and :class:`~santegraph.store.remote.RemoteStore` (any SPARQL 1.1 endpoint).

Dataset conventions, the same on both backends:

* all data lives in named graphs; the default graph seen by queries is the **union of
  the named graphs** (embedded: ``use_default_graph_as_union``; remote: the endpoint must
  be configured so, e.g. ``oxigraph serve --union-default-graph``; Virtuoso does it by
  default). Union semantics keep duplicates across graphs (bag), so queries that must
  not double count use DISTINCT.
* every write is **one SPARQL Update request**, which both pyoxigraph and SPARQL 1.1
  servers apply atomically: a reader sees the graph before or after, never half of it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self

import pyoxigraph as ox

from ..queries import BindingValue, bind, query_form
from ..rdfio import DUMP_FORMATS, serialize_quads

Term = ox.NamedNode | ox.BlankNode | ox.Literal
Row = dict[str, Term | None]


def bound(row: Row, name: str) -> Term:
    """The value of a variable that every solution of the query binds."""
    term = row[name]
    assert term is not None, f"?{name} is unbound"
    return term


def triple_of(row: Row, s: str = "s", p: str = "p", o: str = "o") -> ox.Triple:
    """The triple of the variables ``s``, ``p``, ``o`` that every solution binds."""
    subject, predicate, obj = bound(row, s), bound(row, p), bound(row, o)
    assert not isinstance(subject, ox.Literal) and isinstance(predicate, ox.NamedNode)
    return ox.Triple(subject, predicate, obj)


def text(row: Row, name: str) -> str:
    """The lexical value of ``?name`` in ``row``, "" if it is unbound."""
    term = row.get(name)
    return "" if term is None else term.value


@dataclass
class StreamedResult:
    """A query answer being produced: its media type and an iterator of byte chunks."""

    media_type: str
    chunks: Iterator[bytes]

    def read(self) -> bytes:
        return b"".join(self.chunks)


class GraphStore(ABC):
    backend: str = ""
    # IRI prefixes of graphs that belong to the server, not to santegraph (Virtuoso's
    # system graphs): left out of counts, listings, exports and restores.
    hidden_graph_prefixes: tuple[str, ...] = ()

    def _visible(self, graph: str) -> bool:
        return (
            not graph.startswith(self.hidden_graph_prefixes) if self.hidden_graph_prefixes else True
        )

    # ------------------------------------------------------------------ reading
    @abstractmethod
    def _solutions(self, query: str) -> tuple[list[str], Iterator[Row]]:
        """Run a SELECT; return variable names and rows of terms (None when unbound)."""

    @abstractmethod
    def _boolean(self, query: str) -> bool:
        """Run an ASK."""

    @abstractmethod
    def _triples(self, query: str) -> Iterator[ox.Triple]:
        """Run a CONSTRUCT or DESCRIBE."""

    @abstractmethod
    def query_stream(
        self,
        query: str,
        media_type: str | None = None,
        *,
        default_graph_uris: Iterable[str] = (),
        named_graph_uris: Iterable[str] = (),
    ) -> StreamedResult:
        """Run any query form and stream its answer serialised as ``media_type``.

        ``media_type`` must be one of :data:`RESULT_MEDIA_TYPES` for the query's form
        (None picks the form's default). Raises QueryError for a malformed query before
        the first chunk is produced.
        """

    def select(self, query: str, bindings: Mapping[str, BindingValue] | None = None) -> list[Row]:
        _, rows = self._solutions(bind(query, bindings))
        return list(rows)

    def select_with_vars(
        self, query: str, bindings: Mapping[str, BindingValue] | None = None
    ) -> tuple[list[str], list[Row]]:
        variables, rows = self._solutions(bind(query, bindings))
        return variables, list(rows)

    def ask(self, query: str, bindings: Mapping[str, BindingValue] | None = None) -> bool:
        return self._boolean(bind(query, bindings))

    def construct(
        self, query: str, bindings: Mapping[str, BindingValue] | None = None
    ) -> list[ox.Triple]:
        return list(self._triples(bind(query, bindings)))

    # ------------------------------------------------------------------ writing
    @abstractmethod
    def update(self, update: str) -> None:
        """Apply one SPARQL 1.1 Update request atomically."""

    def replace_graphs(self, graphs: Mapping[str, Iterable[ox.Quad | ox.Triple]]) -> None:
        """Make each named graph hold exactly the given triples, all in one atomic update."""
        self.update(_update_text(graphs, drop_first=True))

    def add_to_graphs(self, graphs: Mapping[str, Iterable[ox.Quad | ox.Triple]]) -> None:
        """Add triples to named graphs (creating them), in one atomic update."""
        self.update(_update_text(graphs, drop_first=False))

    def write(
        self,
        *,
        replace: Mapping[str, Iterable[ox.Quad | ox.Triple]] | None = None,
        add: Mapping[str, Iterable[ox.Quad | ox.Triple]] | None = None,
        drop: Iterable[str] = (),
        guard: str | None = None,
        remove: Mapping[str, Iterable[ox.Quad | ox.Triple]] | None = None,
    ) -> None:
        """Replace some graphs, add to others and drop others, as **one** atomic update.

        The steward workflow writes a submission and its journal entry this way: a reader
        sees both or neither. ``guard`` (a SPARQL group pattern built by santegraph, never
        from user text) makes every operation conditional: if it has no solution when the
        server runs the update, nothing changes (compare-and-swap across processes).
        ``remove`` deletes given triples (without blank nodes) from graphs, first.
        """
        replace, add = dict(replace or {}), dict(add or {})
        removals = [
            f"GRAPH {ox.NamedNode(g)} {{\n"
            + "\n".join(f"{t.subject} {t.predicate} {t.object} ." for t in items)
            + "\n}"
            for g, items in (remove or {}).items()
            if items
        ]
        inserts = {**replace}
        for graph, items in add.items():
            inserts[graph] = [*inserts.get(graph, ()), *items]
        if guard is None:
            operations = [f"DELETE DATA {{\n{r}\n}}" for r in removals]
            operations += [f"DROP SILENT GRAPH {ox.NamedNode(g)}" for g in [*drop, *replace]]
            self.update(" ;\n".join([*operations, _update_text(inserts, drop_first=False)]))
            return
        operations = [f"DELETE {{\n{r}\n}}\nWHERE {{ {guard} }}" for r in removals]
        operations += [
            f"DELETE {{ GRAPH {ox.NamedNode(g)} {{ ?s ?p ?o }} }}\n"
            f"WHERE {{ {guard}\n  GRAPH {ox.NamedNode(g)} {{ ?s ?p ?o }} }}"
            for g in [*drop, *replace]
        ]
        body = "\n".join(
            f"GRAPH {ox.NamedNode(g)} {{\n"
            + "\n".join(f"{t.subject} {t.predicate} {t.object} ." for t in items)
            + "\n}"
            for g, items in inserts.items()
            if items
        )
        if body:
            operations.append(f"INSERT {{\n{body}\n}}\nWHERE {{ {guard} }}")
        self.update(" ;\n".join(operations))

    def match(
        self,
        subject: ox.NamedNode | ox.BlankNode | None = None,
        predicate: ox.NamedNode | None = None,
        obj: Term | None = None,
        graph: ox.NamedNode | None = None,
    ) -> Iterator[ox.Quad]:
        """Quads of the named graphs matching a pattern (None: any term).

        A blank node cannot be named in a query sent to a server (its label is local to
        one answer), so a pattern with one matches nothing here; the embedded store,
        which reads its own blank nodes, overrides this.
        """
        if isinstance(subject, ox.BlankNode) or isinstance(obj, ox.BlankNode):
            return
        rows = self.select(
            _MATCH_QUERY,
            {
                k: v
                for k, v in (("s", subject), ("p", predicate), ("o", obj), ("g", graph))
                if v is not None
            },
        )
        for row in rows:
            s, p, o, g = (bound(row, v) for v in "spog")
            assert not isinstance(s, ox.Literal) and isinstance(p, ox.NamedNode)
            assert not isinstance(g, ox.Literal)
            if self._visible(g.value):
                yield ox.Quad(s, p, o, g)

    def match_any(
        self,
        *,
        subjects: Iterable[ox.NamedNode] | None = None,
        predicates: Iterable[ox.NamedNode] | None = None,
        objects: Iterable[Term] | None = None,
        graphs: Iterable[ox.NamedNode] | None = None,
    ) -> Iterator[ox.Quad]:
        """Quads of the named graphs whose subject, predicate, object and graph are each
        one of the given terms (None: any term; an empty list: nothing). One query per
        slice of ``_MATCH_SLICE`` values of the longest list, so no query grows with it."""
        lists = {
            k: list(v)
            for k, v in (("s", subjects), ("p", predicates), ("o", objects), ("g", graphs))
            if v is not None
        }
        if any(not values for values in lists.values()):
            return
        longest = max(lists, key=lambda k: len(lists[k]), default=None)
        slices = (
            [
                lists[longest][i : i + _MATCH_SLICE]
                for i in range(0, len(lists[longest]), _MATCH_SLICE)
            ]
            if longest
            else [[]]
        )
        for part in slices:
            bindings = {**lists, longest: part} if longest else {}
            for row in self.select(_MATCH_QUERY, bindings):
                s, p, o, g = (bound(row, v) for v in "spog")
                assert not isinstance(s, ox.Literal) and isinstance(p, ox.NamedNode)
                assert not isinstance(g, ox.Literal)
                if self._visible(g.value):
                    yield ox.Quad(s, p, o, g)

    def is_empty(self) -> bool:
        """No named graph holds a triple (one index probe, whatever the store's size)."""
        hidden = " && ".join(
            f"!STRSTARTS(STR(?g), {ox.Literal(prefix)})" for prefix in self.hidden_graph_prefixes
        )
        where = f"GRAPH ?g {{ ?s ?p ?o }} FILTER({hidden})" if hidden else "GRAPH ?g { ?s ?p ?o }"
        return not self.ask(f"ASK {{ {where} }}")

    def write_from(
        self,
        source: ox.Store,
        graphs: Sequence[str],
        *,
        drop: Sequence[str] = (),
        max_bytes: int = 0,
        batch: int = 100_000,
    ) -> None:
        """Make each of ``graphs`` hold what it holds in ``source`` and drop ``drop``.

        One update when it is under ``max_bytes`` (0: no limit): atomic. Otherwise one
        request per graph, each atomic on the server; the graphs are first copied aside,
        and if a request fails those already written are put back as they were (and the
        new ones dropped) before the error is raised.
        """
        texts = _graph_texts(source, graphs)
        total = sum(len(t) for t in texts.values()) + 64 * (len(graphs) + len(drop))
        if not max_bytes or total <= max_bytes:
            operations = [f"DROP SILENT GRAPH {ox.NamedNode(g)}" for g in [*drop, *graphs]]
            inserts = [_insert_text(g, text) for g, text in texts.items() if text]
            self.update(" ;\n".join([*operations, *inserts]) or "INSERT DATA {}")
            return
        self._check_sizes(texts, max_bytes)
        existing = set(self.list_graphs())
        backup = ox.Store()  # what the graphs held before, to put back on failure
        for graph in [*graphs, *drop]:
            if graph in existing:
                backup.bulk_extend(self.match(graph=ox.NamedNode(graph)))
        done: list[str] = []
        try:
            for graph in graphs:
                done.append(graph)
                self._write_graph(graph, texts[graph], max_bytes)
            for graph in drop:
                done.append(graph)
                self.drop_graph(graph)
        except Exception:
            for graph in done:
                if graph in existing:
                    before = _graph_texts(backup, [graph])[graph]
                    self._write_graph(graph, before, 0)
                else:
                    self.drop_graph(graph)
            raise

    def _check_sizes(self, texts: Mapping[str, bytes], max_bytes: int) -> None:
        for graph, text in texts.items():
            if len(text) + 64 > max_bytes:
                from ..errors import InputError

                raise InputError(
                    f"the graph <{graph}> takes {len(text):,} bytes, more than one update may "
                    f"carry (remote_update_max_bytes = {max_bytes:,}), and without a Graph "
                    "Store endpoint (remote_store_url) it cannot be written in one request; "
                    "nothing was written"
                )

    def _write_graph(self, graph: str, text: bytes, max_bytes: int) -> None:
        """Replace one graph in one request."""
        operations = [f"DROP SILENT GRAPH {ox.NamedNode(graph)}"]
        if text:
            operations.append(_insert_text(graph, text))
        self.update(" ;\n".join(operations))

    def drop_graph(self, graph: str) -> None:
        self.update(f"DROP SILENT GRAPH {ox.NamedNode(graph)}")

    def restore(self, quads: Iterable[ox.Quad]) -> None:
        """Replace the whole dataset by these quads, atomically (``import``).

        Drops the graphs santegraph sees (not ``DROP ALL``: a server's own system graphs,
        e.g. Virtuoso's, are not santegraph's to delete), in the same update as the insert.
        """
        by_graph: dict[str, list[ox.Quad]] = {}
        for quad in quads:
            if isinstance(quad.graph_name, ox.DefaultGraph):
                raise ValueError("santegraph keeps every triple in a named graph")
            by_graph.setdefault(quad.graph_name.value, []).append(quad)
        drops = "".join(f"DROP SILENT GRAPH {ox.NamedNode(g)} ;\n" for g in self.list_graphs())
        self.update(drops + _update_text(by_graph, drop_first=False))

    # ------------------------------------------------------------------ whole dataset
    @abstractmethod
    def quads(self) -> Iterator[ox.Quad]:
        """Every quad of every named graph."""

    def export(self, fmt: str = "nquads", *, leave_out: Iterable[str] = ()) -> Iterator[bytes]:
        """The whole dataset serialised (``nquads`` or ``trig``), streamed in chunks; the
        graphs named in ``leave_out`` are not written."""
        left_out = {ox.NamedNode(g) for g in leave_out}
        quads = (q for q in self.quads() if q.graph_name not in left_out)
        return serialize_quads(quads, DUMP_FORMATS[fmt])

    def count_triples(self, graph: str | None = None) -> int:
        if graph is not None:
            query = (
                "SELECT (COUNT(*) AS ?n) WHERE { GRAPH "
                + str(ox.NamedNode(graph))
                + " { ?s ?p ?o } }"
            )
            rows = self.select(query)
            return int(bound(rows[0], "n").value) if rows else 0
        return sum(n for _, n in self.graph_sizes())

    def graph_sizes(self) -> list[tuple[str, int]]:
        """(graph IRI, triple count) of every named graph santegraph sees, sorted."""
        rows = self.select(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
        )
        return [
            (graph.value, int(bound(row, "n").value))
            for row in rows
            if isinstance(graph := row["g"], ox.NamedNode) and self._visible(graph.value)
        ]

    def list_graphs(self) -> list[str]:
        return [g for g, _ in self.graph_sizes()]

    def describe_backend(self) -> str:
        return self.backend

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (files, sessions)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_MATCH_SLICE = 500  # values per query of match_any
_MATCH_QUERY = """SELECT ?s ?p ?o ?g WHERE {
  VALUES ?s { UNDEF } VALUES ?p { UNDEF } VALUES ?o { UNDEF } VALUES ?g { UNDEF }
  GRAPH ?g { ?s ?p ?o }
}"""


def _graph_texts(source: ox.Store, graphs: Sequence[str]) -> dict[str, bytes]:
    """Each graph of ``source`` as N-Triples (written by pyoxigraph: escaped, valid)."""
    texts = {}
    for graph in graphs:
        triples = (
            ox.Triple(q.subject, q.predicate, q.object)
            for q in source.quads_for_pattern(None, None, None, ox.NamedNode(graph))
        )
        texts[graph] = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    return texts


def _insert_text(graph: str, text: bytes) -> str:
    """An update inserting N-Triples into a graph; blank nodes as in ``_update_text``."""
    triples = list(ox.parse(text, format=ox.RdfFormat.N_TRIPLES))
    return _update_text({graph: triples}, drop_first=False)


def _update_text(graphs: Mapping[str, Iterable[ox.Quad | ox.Triple]], *, drop_first: bool) -> str:
    """One SPARQL Update: optionally DROP each graph, then insert into all of them.

    Terms are written with pyoxigraph's N-Triples serialisation, which escapes literals.
    Triples without blank nodes go into one ``INSERT DATA``. Triples with blank nodes go
    into ``INSERT {...} WHERE {}`` operations (same meaning: fresh blank nodes), because
    Virtuoso 7 rejects blank nodes in ``INSERT DATA``; each operation holds whole
    blank-node-connected groups (a label never spans two operations) and few triples,
    because Virtuoso also refuses large templates.
    """
    operations = []
    if drop_first:
        operations += [f"DROP SILENT GRAPH {ox.NamedNode(g)}" for g in graphs]
    ground: list[str] = []
    templated: list[str] = []
    for graph, items in graphs.items():
        name = ox.NamedNode(graph)
        plain, with_bnodes = [], []
        for t in items:
            if isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode):
                with_bnodes.append(t)
            else:
                plain.append(f"{t.subject} {t.predicate} {t.object} .")
        if plain:
            ground.append(f"GRAPH {name} {{\n" + "\n".join(plain) + "\n}")
        for chunk in _bnode_chunks(with_bnodes):
            lines = "\n".join(f"{t.subject} {t.predicate} {t.object} ." for t in chunk)
            templated.append(f"INSERT {{ GRAPH {name} {{\n{lines}\n}} }} WHERE {{}}")
    if ground:
        operations.append("INSERT DATA {\n" + "\n".join(ground) + "\n}")
    operations += templated
    return " ;\n".join(operations) if operations else "INSERT DATA {}"


_Triple = ox.Quad | ox.Triple


def _bnode_chunks(triples: list[_Triple], size: int = 200) -> Iterator[list[_Triple]]:
    """Group triples so that all triples sharing a blank node are in the same chunk."""
    parent: dict[Any, Any] = {}  # node -> its representative (union-find)

    def find(node: Any) -> Any:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for t in triples:
        nodes = [n for n in (t.subject, t.object) if isinstance(n, ox.BlankNode)]
        for other in nodes[1:]:
            parent[find(other)] = find(nodes[0])
    groups: dict[Any, list[_Triple]] = {}
    for t in triples:
        anchor = t.subject if isinstance(t.subject, ox.BlankNode) else t.object
        groups.setdefault(find(anchor), []).append(t)
    chunk: list[_Triple] = []
    for group in groups.values():
        if chunk and len(chunk) + len(group) > size:
            yield chunk
            chunk = []
        chunk += group
    if chunk:
        yield chunk


__all__ = [
    "GraphStore",
    "Row",
    "StreamedResult",
    "query_form",
]
