"""The worker processes that evaluate public queries on the embedded backend.

A pool of at most ``workers`` processes, each running at most ``threads`` queries at
once. It starts empty and grows with concurrency, keeping one unused worker ahead of
demand; a query goes to the least loaded worker (ties: the oldest, whose caches are warm).
Each worker is a fresh interpreter (``python -c``, never a fork of the server, which holds
RocksDB handles and threads) running :func:`santegraph.sandbox.worker.main`; one reader
thread per worker in the server hands its messages (``wire.py``) to the query they belong
to. A worker that must stop a query is killed (SIGKILL): the only way to stop pyoxigraph.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from ..errors import StoreError
from .runner import QueryBusy, time_left
from .wire import CLOSED, DATA, END, ERROR, QUERY_ID, READY

if TYPE_CHECKING:
    from .snapshots import Snapshot

BOOT_TIMEOUT = 30.0  # seconds a new worker process may take to start


@dataclass(eq=False)
class Task:
    """One query in flight on a worker; the worker's reader thread feeds its queue."""

    id: int
    queue: queue.SimpleQueue[tuple[bytes, bytes]]


@dataclass(eq=False)
class Worker:
    """A worker process as the server sees it."""

    process: subprocess.Popen[bytes]
    conn: Connection
    number: int  # order of creation: ties go to the oldest worker (warm caches)
    send_lock: threading.Lock = field(default_factory=threading.Lock)
    ready: threading.Event = field(default_factory=threading.Event)
    tasks: dict[int, Task] = field(default_factory=dict)  # in flight, by id
    snapshots: set[Snapshot] = field(default_factory=set)  # open in the worker
    load: int = 0  # queries assigned (from acquire to release)
    booted: bool = False  # said "ready"
    dead: bool = False  # killed or lost: out of the pool

    @property
    def pid(self) -> int:
        return self.process.pid


# What a query's queue may receive besides the worker's own messages (one byte, distinct).
RERUN, LOST = b"!", b"?"


class WorkerPool:
    """The worker half of :class:`~santegraph.sandbox.embedded.EmbeddedRunner` (a mixin:
    the runner holds the state below; a lost worker's snapshots go back to its
    snapshot half)."""

    size: int  # at most this many workers
    threads: int  # at most this many queries at once on one worker
    timeout: float
    worker_module = "santegraph.sandbox.worker"  # what a worker process runs: its main(fd)
    kind = "query"  # what its workers do, for messages
    spare_worker = True  # keep one unused worker booted ahead of demand
    _lock: threading.Condition  # guards the pool; notified when a slot or worker frees up
    _workers: list[Worker]  # in the pool (booting or booted), oldest first
    _spawned: itertools.count[int]
    _task_ids: itertools.count[int]
    _closed: bool
    _snapshot_lock: threading.RLock  # the snapshot half's
    _detach: Callable[[Worker, Snapshot], None]  # the snapshot half's
    _closed_in: Callable[[Worker, str], None]  # the snapshot half's

    def _start_pool(self) -> None:
        """The pool's state, empty (called by the runner's ``__init__``)."""
        self._lock = threading.Condition()
        self._workers = []
        self._spawned = itertools.count()
        self._task_ids = itertools.count(1)
        self._closed = False

    @property
    def worker_pids(self) -> list[int]:
        with self._lock:
            return [w.pid for w in self._workers]

    # ------------------------------------------------------------------ workers
    def _wait_until_booted(self, worker: Worker) -> None:
        """A new worker says "ready" once imported (~0.3 s): not part of any query's time."""
        if not worker.ready.wait(BOOT_TIMEOUT) or not worker.booted:
            raise StoreError(f"a {self.kind} worker did not start ({worker.process.poll()})")

    def _acquire(self, deadline: float | None) -> Worker:
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
                    if (
                        self.spare_worker
                        and len(self._workers) < self.size
                        and all(w.load for w in self._workers)
                    ):
                        self._grow()  # one ahead: the next concurrent query finds it booted
                    return worker
                remaining = time_left(deadline)
                if remaining is not None and remaining <= 0:
                    raise QueryBusy(
                        f"all {self.size} {self.kind} workers stayed busy for {self.timeout:g} s; "
                        "try again later"
                    )
                self._lock.wait(remaining)

    def _release(self, worker: Worker) -> None:
        with self._lock:
            worker.load -= 1
            self._lock.notify_all()

    def _grow(self) -> Worker:
        """One more worker (under the pool lock)."""
        worker = self._spawn()
        self._workers.append(worker)
        return worker

    def _spawn(self) -> Worker:
        """A fresh interpreter (never a fork of this process, which holds RocksDB handles
        and threads), talking over a socket pair with multiprocessing's message framing."""
        parent, child = socket.socketpair()
        code = f"import {self.worker_module} as w; w.main({child.fileno()})"
        try:
            process = popen(
                [sys.executable, "-c", code], pass_fds=[child.fileno()], stdin=subprocess.DEVNULL
            )
        finally:
            child.close()
        worker = Worker(process, Connection(parent.detach()), next(self._spawned))
        reader = threading.Thread(
            target=read_worker,
            args=(weakref.ref(self), worker),
            name=f"santegraph-{self.kind}-worker-{worker.pid}",
            daemon=True,
        )
        reader.start()
        return worker

    def _kill(self, worker: Worker, runaway: Task | None = None) -> None:
        """SIGKILL the worker (a query cannot be interrupted otherwise); the other queries
        it was running are told to run again elsewhere."""
        with self._lock:
            others = [t for t in worker.tasks.values() if t is not runaway]
            in_pool = worker in self._workers  # not already killed or lost
            self._forget(worker)
            if in_pool and not self._closed:  # its replacement boots while nobody waits
                self._grow()
        for task in others:
            task.queue.put((RERUN, b""))
        if worker.process.poll() is None:
            try:
                os.kill(worker.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        worker.process.wait(5)  # the reader thread sees the end of the pipe and closes it

    def _forget(self, worker: Worker) -> None:
        """Take a dead (or doomed) worker out of the pool (under the pool lock)."""
        worker.dead = True
        worker.ready.set()  # nobody waits for a dead worker to boot
        worker.tasks.clear()
        with contextlib.suppress(ValueError):  # gone already (closing runner, or twice)
            self._workers.remove(worker)
        self._lock.notify_all()

    def _lost(self, worker: Worker) -> None:
        """The worker's pipe ended: unless we killed it, its queries failed with it."""
        with self._lock:
            lost = [] if worker.dead else list(worker.tasks.values())
            self._forget(worker)
        for task in lost:
            task.queue.put((LOST, b""))
        with self._snapshot_lock:  # worker.dead is set: _snapshot_for adds no more
            for snapshot in list(worker.snapshots):
                self._detach(worker, snapshot)


# a request to the spawner thread: Popen's arguments, and where to put the process
_SpawnRequest = tuple[list[str], dict[str, Any], queue.SimpleQueue[Any]]
_spawner: queue.SimpleQueue[_SpawnRequest] | None = None  # requests to the spawner thread
_spawner_lock = threading.Lock()


def popen(args: list[str], **options: Any) -> subprocess.Popen[bytes]:
    """``subprocess.Popen`` run by one long-lived thread of this process.

    A worker asks Linux to kill it when its parent dies (``PR_SET_PDEATHSIG``), and
    Linux means the parent *thread*: a worker started by a request thread (a test
    client's, or a WSGI server that retires threads) was killed when that thread ended.
    """
    global _spawner
    with _spawner_lock:
        if _spawner is None:
            _spawner = queue.SimpleQueue()
            threading.Thread(
                target=_spawn_forever, args=(_spawner,), name="santegraph-spawner", daemon=True
            ).start()
    answer: queue.SimpleQueue[subprocess.Popen[bytes] | BaseException] = queue.SimpleQueue()
    _spawner.put((args, options, answer))
    process = answer.get()
    if isinstance(process, BaseException):
        raise process
    return process


def _spawn_forever(
    requests: queue.SimpleQueue[_SpawnRequest],
) -> None:
    while True:
        args, options, answer = requests.get()
        try:
            answer.put(subprocess.Popen(args, **options))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            answer.put(exc)


def read_worker(runner_ref: weakref.ref[WorkerPool], worker: Worker) -> None:
    """A worker's reader thread: hands each message to the query it belongs to.

    Holds the runner by a weak reference only, so that a runner nobody closes is still
    collected (its finalizer stops the workers, which ends this thread).
    """
    try:
        while True:
            message = worker.conn.recv_bytes()
            kind = message[:1]
            if kind in (DATA, END, ERROR):
                (task_id,) = QUERY_ID.unpack_from(message, 1)
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


def stop_workers(workers: list[Worker]) -> None:
    """Ask every worker to stop, kill those that do not (the runner is closing)."""
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
