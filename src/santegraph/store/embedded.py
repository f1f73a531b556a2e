"""The embedded backend: a pyoxigraph Store in this process (on disk or in memory).

RocksDB allows one read-write opener per directory, so a santegraph server is one
process serving with threads; a second opener (another `santegraph` command while the
server runs) gets a clear StoreError instead of a RocksDB lock message.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox

from ..errors import QueryError, StoreError
from ..formats import check_media_type
from ..queries import query_form
from ..query_dataset import query_dataset
from .base import GraphStore, Row, StreamedResult

_END = object()


class EmbeddedStore(GraphStore):
    backend = "embedded"

    def __init__(self, location: str | None = None):
        self.location = location or ":memory:"
        # Bumped by every write: the query sandbox refreshes its snapshot when it changed.
        self.generation = 0
        self._generation_lock = threading.Lock()
        if location in (None, "", ":memory:"):
            self._store = ox.Store()
        else:
            Path(location).mkdir(parents=True, exist_ok=True)
            try:
                self._store = ox.Store(location)
            except OSError as exc:
                raise StoreError(
                    f"cannot open the store at {location}: {exc}. Is another santegraph "
                    "process (e.g. `santegraph serve`) using it? Stop it, or use that "
                    "server's HTTP interface."
                ) from exc

    @property
    def pyoxigraph_store(self) -> ox.Store:
        """The underlying store, for benchmarks and tests.

        Whoever takes it may write to it directly, so it counts as a write (the query
        sandbox takes a new snapshot before its next query).
        """
        self._bump()
        return self._store

    def describe_backend(self) -> str:
        return f"embedded ({self.location})"

    # ------------------------------------------------------------------ reading
    def _run(
        self,
        query: str,
        default_graph_uris: Iterable[str] = (),
        named_graph_uris: Iterable[str] = (),
    ):
        # the same dataset as a public query's (query_dataset.py)
        dataset = query_dataset(query, default_graph_uris, named_graph_uris)
        try:
            if dataset.from_query:
                return self._store.query(query)
            if dataset.is_service_default:
                return self._store.query(query, use_default_graph_as_union=True)
            return self._store.query(
                query,
                default_graph=[ox.NamedNode(g) for g in dataset.default or ()],
                named_graphs=[ox.NamedNode(g) for g in dataset.named or ()],
            )
        except SyntaxError as exc:
            raise QueryError(f"SPARQL syntax error: {exc.msg}") from exc
        except (OSError, RuntimeError, ValueError) as exc:
            raise QueryError(f"query failed: {exc}") from exc

    def _solutions(self, query: str) -> tuple[list[str], Iterator[Row]]:
        result = self._run(query)
        if not isinstance(result, ox.QuerySolutions):
            raise QueryError("expected a SELECT query")
        names = [v.value for v in result.variables]

        def rows() -> Iterator[Row]:
            for solution in result:
                yield {name: solution[name] for name in names}

        return names, rows()

    def _boolean(self, query: str) -> bool:
        result = self._run(query)
        if not isinstance(result, ox.QueryBoolean):
            raise QueryError("expected an ASK query")
        return bool(result)

    def _triples(self, query: str) -> Iterator[ox.Triple]:
        result = self._run(query)
        if not isinstance(result, ox.QueryTriples):
            raise QueryError("expected a CONSTRUCT or DESCRIBE query")
        return iter(result)

    def query_stream(
        self,
        query: str,
        media_type: str | None = None,
        *,
        default_graph_uris: Iterable[str] = (),
        named_graph_uris: Iterable[str] = (),
    ) -> StreamedResult:
        form = query_form(query)
        if form == "UPDATE":
            raise QueryError("updates are not queries")
        media_type = check_media_type(form, media_type)
        # pyoxigraph results may only be used by the thread that created them, so one
        # producer thread runs the query and serialises into a bounded queue.
        chunks: queue.Queue = queue.Queue(maxsize=16)
        cancelled = threading.Event()
        default_graph_uris, named_graph_uris = list(default_graph_uris), list(named_graph_uris)

        def produce() -> None:
            try:
                result = self._run(query, default_graph_uris, named_graph_uris)
                chunks.put(("ok", None))
                writer = _QueueWriter(chunks, cancelled)
                if isinstance(result, ox.QueryTriples):
                    result.serialize(writer, ox.RdfFormat.from_media_type(media_type))
                else:
                    result.serialize(writer, ox.QueryResultsFormat.from_media_type(media_type))
                writer.flush_buffer()
            except _Cancelled:
                return
            except Exception as exc:  # handed to the consumer thread, which re-raises
                chunks.put(("error", exc))
            chunks.put((_END, None))

        threading.Thread(target=produce, daemon=True, name="santegraph-query").start()
        status, payload = chunks.get()
        if status == "error":
            raise payload

        def consume() -> Iterator[bytes]:
            try:
                while True:
                    status, payload = chunks.get()
                    if status is _END:
                        return
                    if status == "error":
                        raise QueryError(f"query failed while streaming: {payload}")
                    yield payload
            finally:
                cancelled.set()
                while not chunks.empty():  # unblock a producer waiting on a full queue
                    chunks.get_nowait()

        return StreamedResult(media_type, consume())

    # ------------------------------------------------------------------ writing
    def update(self, update: str) -> None:
        try:
            self._store.update(update)
        except SyntaxError as exc:
            raise QueryError(f"SPARQL update syntax error: {exc.msg}") from exc
        except (OSError, RuntimeError, ValueError) as exc:
            raise QueryError(f"update failed: {exc}") from exc
        finally:
            self._bump()

    def _bump(self) -> None:
        with self._generation_lock:
            self.generation += 1

    # ------------------------------------------------------------------ whole dataset
    def match(self, subject=None, predicate=None, obj=None, graph=None) -> Iterator[ox.Quad]:
        for quad in self._store.quads_for_pattern(subject, predicate, obj, graph):
            if not isinstance(quad.graph_name, ox.DefaultGraph):
                yield quad

    def quads(self) -> Iterator[ox.Quad]:
        for quad in self._store.quads_for_pattern(None, None, None, None):
            if not isinstance(quad.graph_name, ox.DefaultGraph):
                yield quad

    def close(self) -> None:
        self._store.flush() if self.location != ":memory:" else None
        del self._store


class _Cancelled(Exception):
    pass


class _QueueWriter:
    """A binary file-like object that batches writes into ~64 KiB queue items."""

    def __init__(self, chunks: queue.Queue, cancelled: threading.Event, size: int = 65536):
        self.chunks, self.cancelled, self.size = chunks, cancelled, size
        self.buffer = bytearray()

    def write(self, data) -> int:
        self.buffer += data
        if len(self.buffer) >= self.size:
            self.flush_buffer()
        return len(data)

    def flush_buffer(self) -> None:
        if self.buffer:
            while True:
                if self.cancelled.is_set():
                    raise _Cancelled
                try:
                    self.chunks.put(("data", bytes(self.buffer)), timeout=0.5)
                    break
                except queue.Full:
                    continue
            self.buffer = bytearray()

    def flush(self) -> None:
        pass
