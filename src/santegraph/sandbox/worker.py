"""The code a query worker process runs (``python -c "...worker.main(fd)"``).

Each query runs in a thread of its own over one ``Store.read_only`` of the snapshot it
names, so that concurrent queries share that store's caches; pyoxigraph releases the GIL
while it evaluates, and its results belong to the thread that made them, so a query is
evaluated and serialised in one thread. The answer is written with pyoxigraph's own
serialisers (``results.py``: the cap is counted on their output) into DATA / END
messages (``wire.py``).

Worker processes import this module, hence the whole ``santegraph.sandbox`` package:
what only the server side needs (requests, the store package, Flask) is imported where
it is used, so that a worker boots fast.
"""

from __future__ import annotations

import ctypes
import os
import queue
import signal
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, BinaryIO, cast

import pyoxigraph as ox

from .. import results
from .answer import CHUNK
from .wire import CLOSED, DATA, END, END_FIELDS, ERROR, QUERY_ID, READY


class PipeWriter:
    """A binary file-like object sending one query's answer as ~64 KiB DATA messages; the
    last bytes travel with the END message (a small answer is one message)."""

    def __init__(self, send: Callable[[bytes], None], task_id: int):
        self.send, self.head = send, QUERY_ID.pack(task_id)
        self.buffer = bytearray()

    def write(self, data: bytes) -> int:
        self.buffer += data
        if len(self.buffer) >= CHUNK:
            self.send(DATA + self.head + self.buffer)
            self.buffer = bytearray()
        return len(data)

    def flush(self) -> None:
        pass

    def end(self, outcome: results.Outcome) -> None:
        count = -1 if outcome.count is None else outcome.count
        self.send(END + self.head + END_FIELDS.pack(count, outcome.truncated) + self.buffer)
        self.buffer = bytearray()

    def error(self, message: str) -> None:
        self.send(ERROR + self.head + message.encode())


class WorkerState:
    """The snapshots a worker has open, shared by its query threads.

    A snapshot stays open while a query uses it or while it is the latest one the server
    sent; otherwise it is closed and the server told (CLOSED), so that it can delete it.
    """

    def __init__(self, send: Callable[[bytes], None]) -> None:
        self.send = send
        self.lock = threading.Lock()
        self.stores: dict[str, list[Any]] = {}  # db -> [Store, queries running on it]
        self.latest: str | None = None
        # for the query threads
        self.tasks: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
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
            store: ox.Store = self.stores[db][0]
            return store

    def done(self, db: str) -> None:
        with self.lock:
            self.stores[db][1] -= 1
            self._close_unused()

    def release(self) -> None:
        with self.lock:
            self.latest = None
            self._close_unused()

    def submit(self, task: tuple[Any, ...]) -> None:
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


def main(fd: int) -> None:
    """Loop of a worker process: each query in a thread of its own, until None."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server; it stops us
    die_with_parent()
    conn = Connection(fd)
    send_lock = threading.Lock()

    def send(data: bytes) -> None:
        with send_lock:
            conn.send_bytes(data)

    send(READY)
    state = WorkerState(send)
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
        out = PipeWriter(send, task_id)
        try:
            state.open(db)
        except OSError as exc:
            out.error(f"query failed: {exc}")
            continue
        state.submit((state, db, out, *rest))
    os._exit(0)  # query threads may still run: no interpreter shutdown under them


def _run_task(state: WorkerState, db: str, out: PipeWriter, *task: Any) -> None:
    try:
        try:
            outcome = _evaluate(state.store(db), out, *task)
        except SyntaxError as exc:
            message: str | None = f"SPARQL syntax error: {exc.msg}"
        except Exception as exc:  # noqa: BLE001 - any failure must end this query's wait
            message = f"query failed: {exc}"
        else:
            message = None
        state.done(db)  # the only reference left to the store is the state's
        out.error(message) if message is not None else out.end(outcome)
    except OSError:  # the server is gone
        os._exit(0)


def die_with_parent() -> None:
    """Linux: SIGKILL this worker if the server dies (even in the middle of a query)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() == 1:  # the server died before prctl took effect
        os._exit(0)


def _evaluate(
    store: ox.Store,
    out: PipeWriter,
    query: str,
    media_type: str,
    default_graphs: list[str] | None,
    named_graphs: list[str] | None,
    from_query: bool,
    limit: int,
) -> results.Outcome:
    """Evaluate on the dataset of ``query_dataset.py``: None, the union default graph with
    every named graph; the query's own FROM left to pyoxigraph (``from_query``), since
    ``use_default_graph_as_union`` would replace it."""
    if from_query:
        result = store.query(query)
    elif default_graphs is None and named_graphs is None:
        result = store.query(query, use_default_graph_as_union=True)
    else:
        result = store.query(
            query,
            default_graph=[ox.NamedNode(g) for g in default_graphs or ()],
            named_graphs=[ox.NamedNode(g) for g in named_graphs or ()],
        )
    # the writers call write() only
    return results.write_result(cast(BinaryIO, out), media_type, result, limit)
