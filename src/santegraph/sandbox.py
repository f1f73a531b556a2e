"""Untrusted SPARQL queries under a time limit and a result cap (``/sparql``).

pyoxigraph 0.5 cannot cancel a running query, so the embedded backend evaluates public
queries in a small pool of **worker processes**, each reading a consistent on-disk
snapshot of the store (``Store.backup``, hard links: cheap; an in-memory store is copied
into a temporary on-disk one). A query that reaches the deadline gets its worker killed
(SIGKILL: its CPU is freed at once), a new worker is started for the next query, and the
client gets ``503`` with ``query exceeded the time limit of N s``.

The worker writes the answer with pyoxigraph's own serialisers (``results.py``: the cap
is counted on their output). The status must be known before the first byte is sent, so
the answer is collected, chunk by chunk, into a :class:`Spool` (in memory up to a few
MiB, then a temporary file) and streamed to the client only once the worker reported
completion; a small answer crosses the pipe as one message.

The remote backend has the same interface: the deadline bounds the whole HTTP exchange
(each socket read waits at most for the time left), the connection is closed when it is
reached, and the answer is re-serialised from the server's JSON / N-Triples so that the
cap can be applied. The remote server's own CPU is its business: set its own timeout.

Trusted internal queries (pages, CLI) keep using ``GraphStore.query_stream`` and friends.
See ``docs/decisions/0003-query-isolation.md``.
"""

from __future__ import annotations

import ctypes
import logging
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from . import results
from .errors import QueryError, SantegraphError, StoreError

if TYPE_CHECKING:
    from .store import EmbeddedStore, GraphStore, RemoteStore

# The worker processes import this module: what only the server side needs (requests,
# the store package) is imported where it is used, so that a worker boots fast.

log = logging.getLogger(__name__)

CHUNK = 65536
BOOT_TIMEOUT = 30.0  # seconds a new worker process may take to start
SPOOL_MEMORY = 4 * 1024 * 1024  # bytes of an answer kept in memory before spilling to disk
TRUNCATED_HEADER = "X-Santegraph-Truncated"
LIMIT_HEADER = "X-Santegraph-Result-Limit"
# Worker -> server messages (``send_bytes``), tagged by their first byte.
READY, RELEASED, DATA, END, ERROR = b"r", b"R", b"d", b"e", b"x"
_END = struct.Struct("<q?")  # END: rows or triples written (-1: not counted), truncated


class QueryTimeout(SantegraphError):
    """The query did not finish within the time limit; it was stopped."""


class QueryBusy(SantegraphError):
    """Every query worker stayed busy until the deadline; the query never started."""


class Spool:
    """An answer's bytes: in memory up to SPOOL_MEMORY, the rest in a temporary file."""

    def __init__(self):
        self.chunks: list[bytes] = []
        self.file = None
        self.size = 0

    def write(self, data) -> int:
        size = len(data)
        if self.file is None and self.size + size > SPOOL_MEMORY:
            self.file = tempfile.TemporaryFile(prefix="santegraph-answer-")
        if self.file is None:
            self.chunks.append(bytes(data))
        else:
            self.file.write(data)
        self.size += size
        return size

    def flush(self) -> None:
        pass

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        if self.file is not None:
            self.file.seek(0)
            while chunk := self.file.read(CHUNK):
                yield chunk

    def close(self) -> None:
        self.chunks = []
        if self.file is not None:
            self.file.close()


class SpooledAnswer:
    """A finished answer: headers known, body in a spool, streamed by iterating.

    An iterable with ``close()`` (WSGI closes it even when it was never iterated, e.g. for
    HEAD), which releases the spool.
    """

    def __init__(
        self,
        media_type: str,
        spool: Spool,
        *,
        truncated: bool = False,
        limit: int = 0,
        count: int | None = None,
    ):
        self.media_type, self.spool = media_type, spool
        self.truncated, self.limit, self.count = truncated, limit, count
        self.size = spool.size

    def __iter__(self) -> Iterator[bytes]:
        yield from self.spool
        self.close()

    def read(self) -> bytes:
        return b"".join(self)

    def close(self) -> None:
        self.spool.close()

    def __del__(self) -> None:  # a response never iterated nor closed (e.g. a test client)
        self.spool.close()


class QueryRunner(ABC):
    """Runs one untrusted query to completion within ``timeout`` s, at most ``limit`` rows."""

    def __init__(self, timeout: float, limit: int):
        self.timeout, self.limit = timeout, limit

    @abstractmethod
    def run(
        self,
        query: str,
        media_type: str | None = None,
        *,
        default_graph_uris: Iterable[str] = (),
        named_graph_uris: Iterable[str] = (),
    ) -> SpooledAnswer:
        """Raise QueryError (bad query), QueryTimeout, QueryBusy or StoreError."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Stop workers, delete snapshots."""

    @staticmethod
    def _form_and_type(query: str, media_type: str | None) -> tuple[str, str]:
        from .queries import query_form
        from .store.base import check_media_type

        form = query_form(query)
        if form == "UPDATE":
            raise QueryError("updates are not queries")
        return form, check_media_type(form, media_type)

    def _deadline(self) -> float | None:
        return time.monotonic() + self.timeout if self.timeout > 0 else None

    def _timeout_error(self) -> QueryTimeout:
        return QueryTimeout(f"query exceeded the time limit of {self.timeout:g} s")


def make_runner(settings, store: GraphStore) -> QueryRunner:
    """The runner for the configured backend (nothing starts before the first query)."""
    from .store import EmbeddedStore, RemoteStore

    if isinstance(store, EmbeddedStore):
        return EmbeddedRunner(
            store,
            timeout=settings.query_timeout,
            limit=settings.result_limit,
            workers=settings.query_workers,
        )
    if isinstance(store, RemoteStore):
        return RemoteRunner(store, timeout=settings.query_timeout, limit=settings.result_limit)
    raise TypeError(f"no query runner for {type(store).__name__}")


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else deadline - time.monotonic()


# ====================================================================== embedded backend
@dataclass(eq=False)
class _Snapshot:
    generation: int
    folder: Path  # holds the database in folder / "db"
    users: int = 0  # workers that have it open

    @property
    def db(self) -> str:
        return str(self.folder / "db")


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen
    conn: Connection
    snapshot: _Snapshot | None = None
    tasks: int = 0
    idle: bool = True  # False from dispatch until the worker reports its task's end
    ready: bool = False  # True once the worker said it booted

    @property
    def pid(self) -> int:
        return self.process.pid


class EmbeddedRunner(QueryRunner):
    """A pool of worker processes over a snapshot refreshed after every write.

    The pool starts empty and grows with concurrency, up to ``workers``, keeping one idle
    worker ahead of demand (a single client uses two). When all ``workers`` are busy a
    query waits for one, within its own deadline; if none frees up in time it is refused
    with QueryBusy (never started).
    """

    def __init__(self, store: EmbeddedStore, *, timeout: float, limit: int, workers: int = 8):
        super().__init__(timeout, limit)
        self.store, self.size = store, max(1, workers)
        self._lock = threading.Condition()
        self._workers: list[_Worker] = []
        self._idle: list[_Worker] = []
        self._snapshot_lock = threading.RLock()
        self._current: _Snapshot | None = None
        self._snapshots: list[_Snapshot] = []
        self._root: Path | None = None
        self._closed = False
        self._finalizer = weakref.finalize(self, _cleanup, self._workers, self._snapshots)

    # ------------------------------------------------------------------ public
    def run(
        self,
        query: str,
        media_type: str | None = None,
        *,
        default_graph_uris: Iterable[str] = (),
        named_graph_uris: Iterable[str] = (),
    ) -> SpooledAnswer:
        form, media_type = self._form_and_type(query, media_type)
        worker = self._acquire(self._deadline())  # waiting for a worker: within the limit
        try:
            snapshot = self._snapshot_for(worker)
            worker.idle = False
            self._wait_until_booted(worker)
            deadline = self._deadline()  # the evaluation: within the limit
            limit = 0 if form == "ASK" else self.limit
            task = (snapshot.db, query, media_type, list(default_graph_uris))
            worker.conn.send(task + (list(named_graph_uris), limit))
            worker.tasks += 1
            return self._collect(worker, deadline, media_type, limit)
        finally:
            # a worker that did not report the end of its task is in an unknown state
            self._release(worker) if worker.idle else self._kill(worker)

    def close(self) -> None:
        self._closed = True
        self._finalizer()

    @property
    def worker_pids(self) -> list[int]:
        with self._lock:
            return [w.pid for w in self._workers]

    # ------------------------------------------------------------------ one query
    def _collect(self, worker: _Worker, deadline: float | None, media_type: str, limit: int):
        spool = Spool()
        try:
            while True:
                remaining = _remaining(deadline)
                if remaining is not None and (remaining <= 0 or not worker.conn.poll(remaining)):
                    self._kill(worker)
                    log.warning("query stopped at the %g s time limit", self.timeout)
                    raise self._timeout_error()
                try:
                    message = worker.conn.recv_bytes()
                except (EOFError, OSError) as exc:
                    code = worker.process.poll()
                    raise StoreError(f"the query worker stopped unexpectedly ({code})") from exc
                kind = message[:1]
                if kind == DATA:
                    spool.write(message[1:])
                elif kind == END:
                    worker.idle = True
                    count, truncated = _END.unpack_from(message, 1)
                    spool.write(message[1 + _END.size :])
                    return SpooledAnswer(
                        media_type,
                        spool,
                        truncated=bool(truncated),
                        limit=limit,
                        count=None if count < 0 else count,
                    )
                elif kind == ERROR:
                    worker.idle = True
                    raise QueryError(message[1:].decode("utf-8", "replace"))
                else:  # pragma: no cover - protocol bug
                    raise StoreError(f"unexpected message from a query worker: {kind!r}")
        except BaseException:
            spool.close()
            raise

    # ------------------------------------------------------------------ workers
    @staticmethod
    def _booted(worker: _Worker) -> bool:
        if not worker.ready:
            try:
                worker.ready = worker.conn.poll(0) and worker.conn.recv_bytes() == READY
            except (EOFError, OSError):
                pass
        return worker.ready

    def _wait_until_booted(self, worker: _Worker) -> None:
        """A new worker says "ready" once imported (~0.3 s): not part of any query's time."""
        if worker.ready:
            return
        try:
            ready = worker.conn.poll(BOOT_TIMEOUT) and worker.conn.recv_bytes() == READY
        except (EOFError, OSError):
            ready = False
        if not ready:
            raise StoreError(f"a query worker did not start ({worker.process.poll()})")
        worker.ready = True

    def _acquire(self, deadline: float | None) -> _Worker:
        dead: list[_Worker] = []
        try:
            with self._lock:
                return self._acquire_locked(deadline, dead)
        finally:
            for worker in dead:  # outside the pool lock: _kill takes the snapshot lock
                self._kill(worker)

    def _acquire_locked(self, deadline: float | None, dead: list[_Worker]) -> _Worker:
        while True:
            if self._closed:
                raise StoreError("the query runner is closed")
            for worker in [w for w in self._idle if w.process.poll() is not None]:
                dead.append(worker)  # died while idle (killed from outside, OOM...)
                self._idle.remove(worker)
                self._workers.remove(worker)
            if not self._idle and len(self._workers) < self.size:
                self._grow()  # this query waits for it to boot (~0.3 s)
            if self._idle:
                # the most recently used booted worker (its caches are warm), else the oldest
                booted = (w for w in reversed(self._idle) if self._booted(w))
                worker = next(booted, self._idle[0])
                self._idle.remove(worker)
                if not self._idle and len(self._workers) < self.size:
                    self._grow()  # one step ahead: the next concurrent query finds it booted
                return worker
            remaining = _remaining(deadline)
            if remaining is not None and remaining <= 0:
                raise QueryBusy(
                    f"all {self.size} query workers stayed busy for {self.timeout:g} s; "
                    "try again later"
                )
            self._lock.wait(remaining)

    def _grow(self) -> None:
        """One more worker (the pool grows with concurrency, up to ``size``)."""
        worker = self._spawn()
        self._workers.append(worker)
        self._idle.append(worker)

    def _spawn(self) -> _Worker:
        """A fresh interpreter (never a fork of this process, which holds RocksDB handles
        and threads), talking over a socket pair with multiprocessing's message framing."""
        parent, child = socket.socketpair()
        code = f"import santegraph.sandbox as s; s._worker_main({child.fileno()})"
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", code], pass_fds=[child.fileno()], stdin=subprocess.DEVNULL
            )
        finally:
            child.close()
        return _Worker(process, Connection(parent.detach()))

    def _release(self, worker: _Worker) -> None:
        with self._lock:
            if worker in self._workers:
                self._idle.append(worker)
            self._lock.notify()

    def _kill(self, worker: _Worker) -> None:
        """SIGKILL the worker (a query cannot be interrupted otherwise) and forget it."""
        if worker.process.poll() is None:
            try:
                os.kill(worker.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        worker.process.wait(5)
        worker.conn.close()
        with self._lock:
            if worker in self._workers:
                self._workers.remove(worker)
                if not self._closed:  # its replacement boots while nobody waits for it
                    replacement = self._spawn()
                    self._workers.append(replacement)
                    self._idle.append(replacement)
            if worker in self._idle:
                self._idle.remove(worker)
            self._lock.notify()
        self._attach(worker, None)

    # ------------------------------------------------------------------ snapshots
    def _snapshot_for(self, worker: _Worker) -> _Snapshot:
        """The store as of now, attached to ``worker`` (so nobody deletes it meanwhile)."""
        with self._snapshot_lock:
            snapshot = self._fresh_snapshot()
            self._attach(worker, snapshot)
            return snapshot

    def _fresh_snapshot(self) -> _Snapshot:
        """The snapshot of the store as of now: a new one if a write happened since."""
        with self._snapshot_lock:
            generation = self.store.generation
            current = self._current
            if current is not None and current.generation == generation:
                return current
            snapshot = self._make_snapshot(generation)
            self._snapshots.append(snapshot)
            self._current = snapshot
            if current is not None:
                self._release_snapshots()
                if current.users == 0:
                    self._delete(current)
            return snapshot

    def _release_snapshots(self) -> None:
        """Have idle workers close an old snapshot, so that it can be deleted now."""
        with self._lock:
            stale = [w for w in self._idle if w.snapshot not in (None, self._current)]
            for worker in stale:
                self._idle.remove(worker)
        for worker in stale:
            try:
                worker.conn.send("release")
                if not worker.conn.poll(5) or worker.conn.recv_bytes() != RELEASED:
                    raise OSError("no answer")
            except (OSError, EOFError):
                self._kill(worker)
            else:
                self._attach(worker, None)
                self._release(worker)

    def _make_snapshot(self, generation: int) -> _Snapshot:
        if self._root is None:
            if self.store.location == ":memory:":
                self._root = Path(tempfile.mkdtemp(prefix="santegraph-snapshots-"))
            else:
                # next to the store: same file system, so a backup is made of hard links
                location = Path(self.store.location).resolve()
                self._root = location.with_name(location.name + "-snapshots")
                shutil.rmtree(self._root, ignore_errors=True)  # left by a killed server
                self._root.mkdir(parents=True)
        folder = Path(tempfile.mkdtemp(prefix=f"g{generation}-", dir=self._root))
        started = time.monotonic()
        source = self.store._store
        if self.store.location == ":memory:":
            copy = ox.Store(str(folder / "db"))
            copy.bulk_extend(source.quads_for_pattern(None, None, None, None))
            copy.flush()
            del copy
        else:
            source.backup(str(folder / "db"))  # a consistent checkpoint
        log.debug("snapshot %s made in %.3f s", folder, time.monotonic() - started)
        return _Snapshot(generation, folder)

    def _attach(self, worker: _Worker, snapshot: _Snapshot | None) -> None:
        """Record that ``worker`` now has ``snapshot`` open (the old one is released)."""
        with self._snapshot_lock:
            old = worker.snapshot
            if old is snapshot:
                return
            worker.snapshot = snapshot
            if snapshot is not None:
                snapshot.users += 1
            if old is not None:
                old.users -= 1
                if old.users == 0 and old is not self._current:
                    self._delete(old)

    def _delete(self, snapshot: _Snapshot) -> None:
        shutil.rmtree(snapshot.folder, ignore_errors=True)
        if snapshot in self._snapshots:
            self._snapshots.remove(snapshot)


def _cleanup(workers: list[_Worker], snapshots: list[_Snapshot]) -> None:
    for worker in list(workers):
        try:
            worker.conn.send(None)
        except (OSError, ValueError):
            pass
    for worker in list(workers):
        try:
            worker.process.wait(2)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait(2)
        worker.conn.close()
    workers.clear()
    for snapshot in list(snapshots):
        shutil.rmtree(snapshot.folder, ignore_errors=True)
    if snapshots:
        shutil.rmtree(snapshots[0].folder.parent, ignore_errors=True)
    snapshots.clear()


# ---------------------------------------------------------------------- in the worker
class _PipeWriter:
    """A binary file-like object sending the answer as ~64 KiB DATA messages; the last
    bytes travel with the END message (a small answer is one message)."""

    def __init__(self, conn: Connection):
        self.conn, self.buffer = conn, bytearray()

    def write(self, data) -> int:
        self.buffer += data
        if len(self.buffer) >= CHUNK:
            self.conn.send_bytes(DATA + self.buffer)
            self.buffer = bytearray()
        return len(data)

    def flush(self) -> None:
        pass

    def end(self, outcome: results.Outcome) -> None:
        count = -1 if outcome.count is None else outcome.count
        self.conn.send_bytes(END + _END.pack(count, outcome.truncated) + self.buffer)
        self.buffer = bytearray()


def _worker_main(fd: int) -> None:
    """Loop of a worker process: one task at a time, until None or the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server; it stops us
    _die_with_parent()
    conn = Connection(fd)
    conn.send_bytes(READY)
    opened: tuple[str, ox.Store] | None = None
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        if task == "release":
            opened = None  # closes the store (the main process deletes the snapshot)
            conn.send_bytes(RELEASED)
            continue
        db, query, media_type, default_graphs, named_graphs, limit = task
        if opened is None or opened[0] != db:
            opened = None  # close the previous snapshot before opening the next
            opened = (db, ox.Store.read_only(db))
        out = _PipeWriter(conn)
        try:
            graphs = default_graphs, named_graphs
            outcome = _evaluate(opened[1], out, query, media_type, *graphs, limit)
        except SyntaxError as exc:
            conn.send_bytes(ERROR + f"SPARQL syntax error: {exc.msg}".encode())
        except (OSError, RuntimeError, ValueError, TypeError) as exc:
            conn.send_bytes(ERROR + f"query failed: {exc}".encode())
        else:
            out.end(outcome)


def _die_with_parent() -> None:
    """Linux: SIGKILL this worker if the server dies (even in the middle of a query)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() == 1:  # the server died before prctl took effect
        os._exit(0)


def _evaluate(
    store, out, query, media_type, default_graphs, named_graphs, limit
) -> results.Outcome:
    named = [ox.NamedNode(g) for g in named_graphs] or None
    if default_graphs:
        default = [ox.NamedNode(g) for g in default_graphs]
        result = store.query(query, default_graph=default, named_graphs=named)
    else:
        result = store.query(query, use_default_graph_as_union=True, named_graphs=named)
    return results.write_result(out, media_type, result, limit)


# ====================================================================== remote backend
class RemoteRunner(QueryRunner):
    """The deadline on the HTTP exchange; the cap while re-serialising the answer."""

    def __init__(self, store: RemoteStore, *, timeout: float, limit: int):
        super().__init__(timeout, limit)
        self.store = store

    def run(
        self,
        query: str,
        media_type: str | None = None,
        *,
        default_graph_uris: Iterable[str] = (),
        named_graph_uris: Iterable[str] = (),
    ) -> SpooledAnswer:
        form, media_type = self._form_and_type(query, media_type)
        deadline = self._deadline()
        import requests

        from .store.remote import _BnodeFixingReader

        graph = form in ("CONSTRUCT", "DESCRIBE")
        accept = "application/n-triples" if graph else results.JSON
        data = [("query", query)]
        data += [("default-graph-uri", g) for g in default_graph_uris]
        data += [("named-graph-uri", g) for g in named_graph_uris]
        response = self._post(data, accept, deadline)
        chunks = _DeadlineChunks(response, deadline)
        # Virtuoso's JSON blank nodes fixed (a pattern N-Triples cannot hold unescaped)
        reader = _BnodeFixingReader(iter(chunks))
        spool = Spool()
        try:
            with response:
                if graph:
                    triples = (
                        ox.Triple(q.subject, q.predicate, q.object)
                        for q in ox.parse(reader, format=ox.RdfFormat.N_TRIPLES)
                    )
                    outcome = results.write_triples(spool, media_type, triples, self.limit)
                else:
                    parsed = ox.parse_query_results(reader, format=ox.QueryResultsFormat.JSON)
                    outcome = results.write_result(spool, media_type, parsed, self.limit)
        except BaseException as exc:
            spool.close()
            if chunks.timed_out:
                raise self._timeout_error() from exc
            if isinstance(exc, SyntaxError):
                raise StoreError(f"the endpoint returned malformed results: {exc}") from exc
            if isinstance(exc, (OSError, requests.RequestException)):
                raise StoreError(f"reading the endpoint's answer failed: {exc}") from exc
            raise
        return SpooledAnswer(
            media_type,
            spool,
            truncated=outcome.truncated,
            limit=self.limit,
            count=outcome.count,
        )

    def _post(self, data, accept: str, deadline: float | None):
        import requests

        remaining = _remaining(deadline)
        url = self.store.query_url
        try:
            response = self.store.session.post(
                url,
                data=data,
                headers={"Accept": accept},
                timeout=self.store.timeout if remaining is None else (remaining, remaining),
                stream=True,
            )
        except requests.Timeout as exc:
            raise self._timeout_error() from exc
        except requests.RequestException as exc:
            raise StoreError(f"cannot reach the endpoint {url}: {exc}") from exc
        if response.status_code >= 400:
            message = response.text[:2000].strip()
            response.close()
            if response.status_code < 500:
                raise QueryError(f"the endpoint rejected the query: {message}")
            raise StoreError(f"the endpoint {url} failed ({response.status_code}): {message}")
        return response


class _DeadlineChunks:
    """The response body in chunks; no read waits past the deadline (total time)."""

    def __init__(self, response, deadline: float | None):
        self.response, self.deadline = response, deadline
        self.timed_out = False

    def __iter__(self) -> Iterator[bytes]:
        raw = self.response.raw
        sock = getattr(getattr(raw, "connection", None), "sock", None)
        while True:
            remaining = _remaining(self.deadline)
            if remaining is not None:
                if remaining <= 0:
                    self._stop()
                    raise TimeoutError("deadline reached")
                if isinstance(sock, socket.socket):
                    sock.settimeout(remaining)  # this read, at most until the deadline
            try:
                chunk = raw.read(CHUNK, decode_content=True)
            except Exception:
                if remaining is not None and _remaining(self.deadline) <= 0.05:
                    self._stop()
                raise
            if not chunk:
                return
            yield chunk

    def _stop(self) -> None:
        self.timed_out = True
        self.response.close()  # the connection is dropped, not returned to the pool
