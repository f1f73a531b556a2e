"""Untrusted SPARQL queries under a time limit and a result cap (``/sparql``).

pyoxigraph 0.5 cannot cancel a running query, so the embedded backend evaluates public
queries in a small pool of **worker processes**, each reading a consistent on-disk
snapshot of the store (``Store.backup``, hard links: cheap; an in-memory store is copied
into a temporary on-disk one) and running several queries at once in threads over that
one store (they share its caches). A query that reaches the deadline gets its worker
killed (SIGKILL: its CPU is freed at once), a new worker is started, the client gets
``503`` with ``query exceeded the time limit of N s``, and the other queries that worker
was running are run again on another worker within their own time left (read-only, and
none of their bytes had been sent).

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

import contextlib
import ctypes
import itertools
import logging
import os
import queue
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
from dataclasses import dataclass, field
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
# Worker -> server messages (``send_bytes``), tagged by their first byte; a query's own
# (DATA, END, ERROR) then carry its id, CLOSED the path of a snapshot the worker closed.
READY, CLOSED, DATA, END, ERROR = b"r", b"c", b"d", b"e", b"x"
_ID = struct.Struct("<I")
_HEAD = struct.Struct("<cI")  # tag, query id
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
            threads=settings.query_threads,
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
    users: int = 0  # workers that may have it open (until they report it closed)

    @property
    def db(self) -> str:
        return str(self.folder / "db")


@dataclass(eq=False)
class _Task:
    """One query in flight on a worker; the worker's reader thread feeds its queue."""

    id: int
    queue: queue.SimpleQueue


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen
    conn: Connection
    number: int  # order of creation: ties go to the oldest worker (warm caches)
    send_lock: threading.Lock = field(default_factory=threading.Lock)
    ready: threading.Event = field(default_factory=threading.Event)
    tasks: dict[int, _Task] = field(default_factory=dict)  # in flight, by id
    snapshots: set[_Snapshot] = field(default_factory=set)  # open in the worker
    load: int = 0  # queries assigned (from acquire to release)
    booted: bool = False  # said "ready"
    dead: bool = False  # killed or lost: out of the pool

    @property
    def pid(self) -> int:
        return self.process.pid


# What a query's queue may receive besides the worker's own messages (one byte, distinct).
_RERUN, _LOST = b"!", b"?"
_RERUN_ANSWER = object()  # _run_on's result: the worker was killed for another query


class EmbeddedRunner(QueryRunner):
    """A pool of worker processes, each running several queries in threads over one
    snapshot (refreshed after every write), so that concurrent queries share its caches.

    The pool starts empty and grows with concurrency, up to ``workers`` processes, keeping
    one unused worker ahead of demand; a query goes to the least loaded worker (ties: the
    oldest, whose caches are warm). A worker runs at most ``threads`` queries at once.
    When every slot is taken a query waits, within its own deadline; if none frees up in
    time it is refused with QueryBusy (never started). A query that reaches its deadline
    gets its worker killed (the only way to stop it); the other queries running on that
    worker are run again on another one within what is left of their own time: they are
    read-only, and no byte of an answer leaves the server before the answer is complete.
    """

    def __init__(
        self,
        store: EmbeddedStore,
        *,
        timeout: float,
        limit: int,
        workers: int = 2,
        threads: int = 4,
    ):
        super().__init__(timeout, limit)
        self.store, self.size, self.threads = store, max(1, workers), max(1, threads)
        self.reruns = 0  # queries run again after their worker was killed for another
        self._lock = threading.Condition()
        self._workers: list[_Worker] = []
        self._spawned = itertools.count()
        self._task_ids = itertools.count(1)
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
        limit = 0 if form == "ASK" else self.limit
        graphs = list(default_graph_uris), list(named_graph_uris)
        waiting = self._deadline()  # waiting for the first worker: within the limit
        deadline = None  # the evaluation's, set once it is first sent
        while True:
            worker = self._acquire(waiting if deadline is None else deadline)
            try:
                snapshot = self._snapshot_for(worker)
                self._wait_until_booted(worker)
                if deadline is None:
                    deadline = self._deadline()
                task = (snapshot.db, query, media_type, *graphs, limit)
                answer = self._run_on(worker, task, deadline, media_type, limit)
            finally:
                self._release(worker)
            if answer is not _RERUN_ANSWER:
                return answer
            if deadline is not None and _remaining(deadline) <= 0:
                raise self._timeout_error()  # no time left to run it again
            with self._lock:
                self.reruns += 1
            log.info("query run again: its worker was stopped for another query")

    def close(self) -> None:
        self._closed = True
        self._finalizer()

    @property
    def worker_pids(self) -> list[int]:
        with self._lock:
            return [w.pid for w in self._workers]

    # ------------------------------------------------------------------ one query
    def _run_on(self, worker: _Worker, task: tuple, deadline, media_type: str, limit: int):
        """The answer, or _RERUN_ANSWER if the worker was killed because of another query."""
        mine = _Task(next(self._task_ids), queue.SimpleQueue())
        with self._lock:
            if worker.dead:
                return _RERUN_ANSWER
            worker.tasks[mine.id] = mine
        spool = Spool()
        finished = False
        try:
            try:
                with worker.send_lock:
                    worker.conn.send(("query", mine.id) + task)
            except (OSError, ValueError):
                pass  # killed or lost meanwhile: its queue says which
            while True:
                remaining = _remaining(deadline)
                try:
                    if remaining is not None and remaining <= 0:
                        raise queue.Empty
                    kind, message = mine.queue.get(timeout=remaining)
                except queue.Empty:
                    self._kill(worker, runaway=mine)
                    finished = True
                    log.warning("query stopped at the %g s time limit", self.timeout)
                    raise self._timeout_error() from None
                if kind == DATA:
                    spool.write(memoryview(message)[_HEAD.size :])
                    continue
                finished = True
                if kind == END:
                    count, truncated = _END.unpack_from(message, _HEAD.size)
                    spool.write(memoryview(message)[_HEAD.size + _END.size :])
                    return SpooledAnswer(
                        media_type,
                        spool,
                        truncated=bool(truncated),
                        limit=limit,
                        count=None if count < 0 else count,
                    )
                spool.close()
                if kind == ERROR:
                    raise QueryError(bytes(message[_HEAD.size :]).decode("utf-8", "replace"))
                if kind == _RERUN:
                    return _RERUN_ANSWER
                code = worker.process.poll()
                raise StoreError(f"the query worker stopped unexpectedly ({code})")
        except BaseException:
            spool.close()
            raise
        finally:
            worker.tasks.pop(mine.id, None)
            if not finished:  # abandoned while running (e.g. interrupted): unknown state
                self._kill(worker, runaway=mine)

    # ------------------------------------------------------------------ workers
    def _wait_until_booted(self, worker: _Worker) -> None:
        """A new worker says "ready" once imported (~0.3 s): not part of any query's time."""
        if not worker.ready.wait(BOOT_TIMEOUT) or not worker.booted:
            raise StoreError(f"a query worker did not start ({worker.process.poll()})")

    def _acquire(self, deadline: float | None) -> _Worker:
        """A slot on the least loaded worker (the pool grows while every worker is busy)."""
        with self._lock:
            while True:
                if self._closed:
                    raise StoreError("the query runner is closed")
                for worker in [w for w in self._workers if w.process.poll() is not None]:
                    self._forget(worker)  # died while idle (killed from outside, OOM...)
                free = [w for w in self._workers if w.load < self.threads]
                if not free and len(self._workers) < self.size:
                    free = [self._grow()]  # this query waits for it to boot (~0.3 s)
                if free:
                    worker = min(free, key=lambda w: (w.load, not w.ready.is_set(), w.number))
                    worker.load += 1
                    if len(self._workers) < self.size and all(w.load for w in self._workers):
                        self._grow()  # one ahead: the next concurrent query finds it booted
                    return worker
                remaining = _remaining(deadline)
                if remaining is not None and remaining <= 0:
                    raise QueryBusy(
                        f"all {self.size} query workers stayed busy for {self.timeout:g} s; "
                        "try again later"
                    )
                self._lock.wait(remaining)

    def _release(self, worker: _Worker) -> None:
        with self._lock:
            worker.load -= 1
            self._lock.notify_all()

    def _grow(self) -> _Worker:
        """One more worker (under the pool lock)."""
        worker = self._spawn()
        self._workers.append(worker)
        return worker

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
        worker = _Worker(process, Connection(parent.detach()), next(self._spawned))
        reader = threading.Thread(
            target=_read_worker,
            args=(weakref.ref(self), worker),
            name=f"santegraph-query-worker-{worker.pid}",
            daemon=True,
        )
        reader.start()
        return worker

    def _kill(self, worker: _Worker, runaway: _Task | None = None) -> None:
        """SIGKILL the worker (a query cannot be interrupted otherwise); the other queries
        it was running are told to run again elsewhere."""
        with self._lock:
            others = [t for t in worker.tasks.values() if t is not runaway]
            in_pool = worker in self._workers  # not already killed or lost
            self._forget(worker)
            if in_pool and not self._closed:  # its replacement boots while nobody waits
                self._grow()
        for task in others:
            task.queue.put((_RERUN, b""))
        if worker.process.poll() is None:
            try:
                os.kill(worker.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        worker.process.wait(5)  # the reader thread sees the end of the pipe and closes it

    def _forget(self, worker: _Worker) -> None:
        """Take a dead (or doomed) worker out of the pool (under the pool lock)."""
        worker.dead = True
        worker.ready.set()  # nobody waits for a dead worker to boot
        worker.tasks.clear()
        with contextlib.suppress(ValueError):  # gone already (closing runner, or twice)
            self._workers.remove(worker)
        self._lock.notify_all()

    def _lost(self, worker: _Worker) -> None:
        """The worker's pipe ended: unless we killed it, its queries failed with it."""
        with self._lock:
            lost = [] if worker.dead else list(worker.tasks.values())
            self._forget(worker)
        for task in lost:
            task.queue.put((_LOST, b""))
        with self._snapshot_lock:  # worker.dead is set: _snapshot_for adds no more
            for snapshot in list(worker.snapshots):
                self._detach(worker, snapshot)

    # ------------------------------------------------------------------ snapshots
    def _snapshot_for(self, worker: _Worker) -> _Snapshot:
        """The store as of now, recorded as open in ``worker`` (nobody deletes it then)."""
        with self._snapshot_lock:
            previous = self._current
            snapshot = self._fresh_snapshot()
            # a dead worker's snapshots were (or are being) released by _lost: add none
            if snapshot not in worker.snapshots and not worker.dead:
                worker.snapshots.add(snapshot)
                snapshot.users += 1
        if previous is not None and previous is not snapshot:
            self._release_stale()
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
            if current is not None and current.users == 0:
                self._delete(current)
            return snapshot

    def _release_stale(self) -> None:
        """Have every worker close old snapshots once no query of its own uses them; wait
        for the idle ones, so that an old snapshot is deleted now."""
        with self._lock:
            workers = [w for w in self._workers if w.snapshots - {self._current}]
        for worker in workers:
            try:
                with worker.send_lock:
                    worker.conn.send(("release",))
            except (OSError, ValueError):
                pass  # dead: its snapshots are released with it
        idle = [w for w in workers if w.load == 0]
        until = time.monotonic() + 5
        with self._lock:
            while any(w.snapshots - {self._current} and not w.dead for w in idle):
                if not self._lock.wait(until - time.monotonic()):
                    break
        for worker in idle:
            if worker.snapshots - {self._current} and not worker.dead:
                self._kill(worker)  # did not answer: in an unknown state

    def _closed_in(self, worker: _Worker, db: str) -> None:
        """The worker reported that it closed the snapshot ``db``."""
        for snapshot in list(worker.snapshots):
            if snapshot.db == db:
                self._detach(worker, snapshot)

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

    def _detach(self, worker: _Worker, snapshot: _Snapshot) -> None:
        """``worker`` no longer has ``snapshot`` open: delete it if nobody else does."""
        with self._snapshot_lock:
            if snapshot not in worker.snapshots:
                return
            worker.snapshots.discard(snapshot)
            snapshot.users -= 1
            if snapshot.users == 0 and snapshot is not self._current:
                self._delete(snapshot)
        with self._lock:
            self._lock.notify_all()

    def _delete(self, snapshot: _Snapshot) -> None:
        shutil.rmtree(snapshot.folder, ignore_errors=True)
        if snapshot in self._snapshots:
            self._snapshots.remove(snapshot)


def _read_worker(runner_ref: weakref.ref, worker: _Worker) -> None:
    """A worker's reader thread: hands each message to the query it belongs to.

    Holds the runner by a weak reference only, so that a runner nobody closes is still
    collected (its finalizer stops the workers, which ends this thread).
    """
    try:
        while True:
            message = worker.conn.recv_bytes()
            kind = message[:1]
            if kind in (DATA, END, ERROR):
                (task_id,) = _ID.unpack_from(message, 1)
                task = worker.tasks.get(task_id)
                if task is not None:  # else: its query was abandoned
                    task.queue.put((kind, message))
            elif kind == READY:
                worker.booted = True
                worker.ready.set()
            elif kind == CLOSED and (runner := runner_ref()) is not None:
                runner._closed_in(worker, message[1:].decode())
                del runner
    except (EOFError, OSError):
        pass
    worker.conn.close()
    with contextlib.suppress(subprocess.TimeoutExpired):
        worker.process.wait(5)  # the pipe ends when the process does: reap it
    if (runner := runner_ref()) is not None:
        runner._lost(worker)


def _cleanup(workers: list[_Worker], snapshots: list[_Snapshot]) -> None:
    workers_then = list(workers)  # reader threads take the stopped ones out of the list
    for worker in workers_then:
        try:
            with worker.send_lock:
                worker.conn.send(None)
        except (OSError, ValueError):
            pass
    for worker in workers_then:
        worker.dead = True
        try:
            worker.process.wait(2)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait(2)
    workers.clear()
    for snapshot in list(snapshots):
        shutil.rmtree(snapshot.folder, ignore_errors=True)
    if snapshots:
        shutil.rmtree(snapshots[0].folder.parent, ignore_errors=True)
    snapshots.clear()


# ---------------------------------------------------------------------- in the worker
class _PipeWriter:
    """A binary file-like object sending one query's answer as ~64 KiB DATA messages; the
    last bytes travel with the END message (a small answer is one message)."""

    def __init__(self, send, task_id: int):
        self.send, self.head = send, _ID.pack(task_id)
        self.buffer = bytearray()

    def write(self, data) -> int:
        self.buffer += data
        if len(self.buffer) >= CHUNK:
            self.send(DATA + self.head + self.buffer)
            self.buffer = bytearray()
        return len(data)

    def flush(self) -> None:
        pass

    def end(self, outcome: results.Outcome) -> None:
        count = -1 if outcome.count is None else outcome.count
        self.send(END + self.head + _END.pack(count, outcome.truncated) + self.buffer)
        self.buffer = bytearray()

    def error(self, message: str) -> None:
        self.send(ERROR + self.head + message.encode())


class _WorkerState:
    """The snapshots a worker has open, shared by its query threads.

    A snapshot stays open while a query uses it or while it is the latest one the server
    sent; otherwise it is closed and the server told (CLOSED), so that it can delete it.
    """

    def __init__(self, send):
        self.send = send
        self.lock = threading.Lock()
        self.stores: dict[str, list] = {}  # db -> [Store, queries running on it]
        self.latest: str | None = None
        self.tasks: queue.SimpleQueue = queue.SimpleQueue()  # for the query threads
        self.idle = 0  # query threads waiting for a task

    def open(self, db: str) -> None:
        """Count one more query on ``db`` (opened if needed), until its done()."""
        with self.lock:
            self.latest = db
            entry = self.stores.get(db)
            if entry is None:
                entry = self.stores[db] = [ox.Store.read_only(db), 0]
            entry[1] += 1
            self._close_unused()

    def store(self, db: str) -> ox.Store:
        with self.lock:
            return self.stores[db][0]

    def done(self, db: str) -> None:
        with self.lock:
            self.stores[db][1] -= 1
            self._close_unused()

    def release(self) -> None:
        with self.lock:
            self.latest = None
            self._close_unused()

    def submit(self, task: tuple) -> None:
        """Run ``task`` in an idle query thread (a new one if none is idle: the server
        bounds how many queries a worker runs at once). Reusing threads saves ~0.1 ms a
        query against starting one each time."""
        with self.lock:
            if self.idle == 0:
                threading.Thread(target=self._thread, daemon=True).start()
            else:
                self.idle -= 1
        self.tasks.put(task)

    def _thread(self) -> None:
        while True:
            task = self.tasks.get()
            _run_task(*task)
            del task
            with self.lock:
                self.idle += 1

    def _close_unused(self) -> None:
        for db in [d for d, (_, n) in self.stores.items() if n == 0 and d != self.latest]:
            del self.stores[db]  # the last reference: RocksDB closes it
            self.send(CLOSED + db.encode())


def _worker_main(fd: int) -> None:
    """Loop of a worker process: each query in a thread of its own, until None."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server; it stops us
    _die_with_parent()
    conn = Connection(fd)
    send_lock = threading.Lock()

    def send(data) -> None:
        with send_lock:
            conn.send_bytes(data)

    send(READY)
    state = _WorkerState(send)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            break
        if task is None:
            break
        if task[0] == "release":
            state.release()
            continue
        _, task_id, db, *rest = task
        out = _PipeWriter(send, task_id)
        try:
            state.open(db)
        except OSError as exc:
            out.error(f"query failed: {exc}")
            continue
        state.submit((state, db, out, *rest))
    os._exit(0)  # query threads may still run: no interpreter shutdown under them


def _run_task(state: _WorkerState, db: str, out: _PipeWriter, *task) -> None:
    try:
        try:
            outcome = _evaluate(state.store(db), out, *task)
        except SyntaxError as exc:
            message = f"SPARQL syntax error: {exc.msg}"
        except Exception as exc:  # noqa: BLE001 - any failure must end this query's wait
            message = f"query failed: {exc}"
        else:
            message = None
        state.done(db)  # the only reference left to the store is the state's
        out.error(message) if message is not None else out.end(outcome)
    except OSError:  # the server is gone
        os._exit(0)


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
