"""The embedded backend: a pyoxigraph Store in this process (on disk or in memory).

RocksDB allows one read-write opener per directory, so a santegraph server is one
process serving with threads; a second opener (another `santegraph` command while the
server runs) gets a clear StoreError instead of a RocksDB lock message.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import itertools
import os
import queue
import re
import secrets
import shutil
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar, cast

import pyoxigraph as ox

from ..errors import QueryError, StoreError
from ..formats import check_media_type
from ..queries import query_form
from ..query_dataset import query_dataset
from .base import GraphStore, Row, StreamedResult, Term

_END = object()


class EmbeddedStore(GraphStore):
    backend = "embedded"

    def __init__(self, location: str | None = None):
        self.location = location or ":memory:"
        # Bumped by every write: the query sandbox refreshes its snapshot when it changed.
        self.generation = 0
        self._generation_lock = threading.Lock()
        # Held by every write, and by a staged write from its copy to its swap (a write in
        # between would be lost with the copy it did not go to).
        self._write_lock = threading.RLock()
        self._retired: list[Path] = []  # old store folders, deleted once nothing reads them
        self._read_only = False
        if location in (None, "", ":memory:"):
            self._store = ox.Store()
        else:
            path = Path(location)
            _recover(path)
            if not path.exists() and not path.is_symlink():
                # a new store: its folder is a version, the store path a link to it
                path.parent.mkdir(parents=True, exist_ok=True)
                version = _new_version(path)
                version.mkdir()
                os.symlink(version.name, path)
            self._store = self._open(path.resolve())
            _remove_leftovers(path)

    def _open(self, location: Path) -> ox.Store:
        location.mkdir(parents=True, exist_ok=True)
        try:
            return ox.Store(str(location))
        except OSError as exc:
            raise StoreError(
                f"cannot open the store at {location}: {exc}. Is another santegraph "
                "process (e.g. `santegraph serve`) using it? Stop it, or use that "
                "server's HTTP interface."
            ) from exc

    @classmethod
    def read_only(cls, location: str) -> EmbeddedStore:
        """A read-only view of a store folder (a snapshot), for the check workers of
        ``santegraph.sandbox``: reads like any EmbeddedStore, every write fails."""
        store = cls.__new__(cls)
        store.location, store.generation = location, 0
        store._generation_lock = threading.Lock()
        store._write_lock = threading.RLock()
        store._retired = []
        try:
            store._store = ox.Store.read_only(location)
        except OSError as exc:
            raise StoreError(f"cannot open the snapshot at {location}: {exc}") from exc
        store._read_only = True
        return store

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
    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
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
        chunks: queue.Queue[tuple[object, Any]] = queue.Queue(maxsize=16)
        cancelled = threading.Event()
        default_graph_uris, named_graph_uris = list(default_graph_uris), list(named_graph_uris)

        def produce() -> None:
            try:
                result = self._run(query, default_graph_uris, named_graph_uris)
                chunks.put(("ok", None))
                writer = _QueueWriter(chunks, cancelled)
                sink = cast(IO[bytes], writer)  # pyoxigraph only calls its write()
                if isinstance(result, ox.QueryTriples):
                    result.serialize(sink, ox.RdfFormat.from_media_type(media_type))
                else:
                    result.serialize(sink, ox.QueryResultsFormat.from_media_type(media_type))
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
        with self._write_lock:
            try:
                self._store.update(update)
            except SyntaxError as exc:
                raise QueryError(f"SPARQL update syntax error: {exc.msg}") from exc
            except (OSError, RuntimeError, ValueError) as exc:
                raise QueryError(f"update failed: {exc}") from exc
            finally:
                self._bump()

    @contextlib.contextmanager
    def staged(self, *, copy: bool) -> Iterator[Staging]:
        """A new version of the whole store, built aside and swapped in at the end.

        Yields a :class:`Staging` whose ``store`` starts empty (``copy=False``: ``import``,
        a rebuild) or as a copy of this store (a RocksDB checkpoint: hard links, cheap).
        Readers keep reading the current store meanwhile. When the block ends normally
        and ``staging.commit()`` was called, the new version replaces the current one in
        one step; otherwise it is deleted and nothing changed.

        On disk each version is its own folder (``<store>.v-<random>``) and the store path
        is a symbolic link to the current one: the swap is one atomic ``rename`` of a new
        link over the old, so a process killed at any moment leaves the store as before or
        as after, never in between; a version nobody links to is deleted at the next open.
        A store made before versions (a plain folder) becomes versioned at its first swap
        (``renameat2`` exchanges the folder and the link in one step).
        """
        with self._write_lock:
            if self.location == ":memory:":
                staging = Staging(ox.Store())
                if copy:
                    staging.store.bulk_extend(self._store.quads_for_pattern(None, None, None))
                yield staging
                if staging.committed:
                    self._store = staging.store
                    self._bump()
                return
            path = Path(self.location)
            version = _new_version(path)
            try:
                if copy:
                    self._store.flush()
                    self._store.backup(str(version))
                    store = ox.Store(str(version))
                else:
                    store = self._open(version)
                staging = Staging(store)
                del store
                yield staging
                if not staging.committed:
                    return
                staging.store = None  # type: ignore[assignment]  # RocksDB closes its files before the swap
                gc.collect()
                link = path.with_name(f"{path.name}.link-{secrets.token_hex(4)}")
                os.symlink(version.name, link)
                if path.is_symlink():
                    old = path.resolve()
                    os.replace(link, path)  # the one step
                    self._reopen(path)
                else:  # a plain folder: closed before its name changes (RocksDB keeps paths)
                    old = link
                    self._store = None  # type: ignore[assignment]  # closed: reopened just below
                    gc.collect()
                    _exchange(link, path)  # the one step: the folder now has the link's name
                    self._reopen(path)
                self._retired.append(old)
            finally:
                gc.collect()
                for folder in [*self._retired, version]:
                    if folder != Path(self.location).resolve():
                        shutil.rmtree(folder, ignore_errors=True)
                self._retired = [p for p in self._retired if p.exists()]

    def _reopen(self, path: Path) -> None:
        old, self._store = self._store, None  # type: ignore[assignment]  # closed, then reopened
        del old
        gc.collect()
        self._store = self._open(path.resolve())
        self._bump()

    def _bump(self) -> None:
        with self._generation_lock:
            self.generation += 1

    # ------------------------------------------------------------------ whole dataset
    def match(
        self,
        subject: ox.NamedNode | ox.BlankNode | None = None,
        predicate: ox.NamedNode | None = None,
        obj: Term | None = None,
        graph: ox.NamedNode | None = None,
    ) -> Iterator[ox.Quad]:
        for quad in self._store.quads_for_pattern(subject, predicate, obj, graph):
            if not isinstance(quad.graph_name, ox.DefaultGraph):
                yield quad

    def match_any(
        self,
        *,
        subjects: Iterable[ox.NamedNode] | None = None,
        predicates: Iterable[ox.NamedNode] | None = None,
        objects: Iterable[Term] | None = None,
        graphs: Iterable[ox.NamedNode] | None = None,
    ) -> Iterator[ox.Quad]:
        # index probes, one per combination: no query text to parse for each slice
        axes = (_axis(subjects), _axis(predicates), _axis(objects), _axis(graphs))
        for s, p, o, g in itertools.product(*axes):
            yield from self.match(s, p, o, g)

    def quads(self) -> Iterator[ox.Quad]:
        for quad in self._store.quads_for_pattern(None, None, None, None):
            if not isinstance(quad.graph_name, ox.DefaultGraph):
                yield quad

    def close(self) -> None:
        if self.location != ":memory:" and not self._read_only:
            self._store.flush()
        del self._store


class Staging:
    """A store being built by :meth:`EmbeddedStore.staged`; ``commit()`` swaps it in."""

    def __init__(self, store: ox.Store):
        self.store = store
        self.committed = False

    def commit(self) -> None:
        self.committed = True


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> None:
    """Swap two folders' names in one atomic step (Linux ``renameat2``, RENAME_EXCHANGE).

    Elsewhere, two renames with the old version kept as ``<name>.previous-*`` until the
    second one is done (``_recover`` puts it back if the process died in between).
    """
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is not None:
        if renameat2(_AT_FDCWD, bytes(a), _AT_FDCWD, bytes(b), _RENAME_EXCHANGE) == 0:
            return
        errno = ctypes.get_errno()
        if errno not in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: no exchange here
            raise OSError(errno, os.strerror(errno), str(b))
    previous = b.with_name(f"{b.name}.previous-{secrets.token_hex(4)}")
    os.rename(b, previous)
    os.rename(a, b)
    os.rename(previous, a)


def _new_version(location: Path) -> Path:
    return location.with_name(f"{location.name}.v-{secrets.token_hex(4)}")


def _recover(location: Path) -> None:
    """After a crash between the two renames of the fallback exchange: the old version."""
    if not location.exists() and not location.is_symlink():
        previous = sorted(location.parent.glob(f"{location.name}.previous-*"))
        if previous:
            os.rename(previous[-1], location)


def _remove_leftovers(location: Path) -> None:
    """Versions and links left by a staged write that a killed process did not finish."""
    current = location.resolve()
    pattern = re.compile(re.escape(location.name) + r"\.(v|link|previous)-[0-9a-f]{8}")
    for path in location.parent.iterdir():
        if path == current or not pattern.fullmatch(path.name):
            continue
        if path.is_symlink():
            path.unlink()
        else:
            shutil.rmtree(path, ignore_errors=True)


class _Cancelled(Exception):
    pass


class _QueueWriter:
    """A binary file-like object that batches writes into ~64 KiB queue items."""

    def __init__(
        self, chunks: queue.Queue[tuple[object, Any]], cancelled: threading.Event, size: int = 65536
    ):
        self.chunks, self.cancelled, self.size = chunks, cancelled, size
        self.buffer = bytearray()

    def write(self, data: bytes) -> int:
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


_X = TypeVar("_X")


def _axis(values: Iterable[_X] | None) -> list[_X | None]:
    """The terms of one position of a pattern, [None] for any term."""
    return [None] if values is None else list(values)
