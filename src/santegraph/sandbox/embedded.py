"""Public queries on the embedded backend: worker processes over a snapshot.

pyoxigraph 0.5 cannot cancel a running query, so public queries are evaluated in a small
pool of worker processes (``pool.py``, running ``worker.py``), each reading a consistent
on-disk snapshot of the store (``snapshots.py``) and running several queries at once in
threads over that one store (they share its caches). A query that reaches the deadline
gets its worker killed (SIGKILL: its CPU is freed at once), a new worker is started, the
client gets ``503``, and the other queries that worker was running are run again on
another worker within their own time left (read-only, and none of their bytes had been
sent). See docs/decisions/0003-query-isolation.md.
"""

from __future__ import annotations

import logging
import queue
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..errors import QueryError, StoreError
from ..query_dataset import query_dataset
from .answer import Spool, SpooledAnswer
from .pool import RERUN, Task, Worker, WorkerPool, stop_workers
from .runner import QueryRunner, ResultTooLarge, time_left, unsupported
from .snapshots import Snapshot, SnapshotKeeper, delete_snapshots
from .wire import DATA, END, END_FIELDS, ERROR, HEAD

if TYPE_CHECKING:
    from ..store import EmbeddedStore

log = logging.getLogger(__name__)


class _Rerun:
    """_run_on's result: the worker was killed for another query."""


_RERUN_ANSWER = _Rerun()


class EmbeddedRunner(SnapshotKeeper, WorkerPool, QueryRunner):
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
        self._start_pool()
        self._start_snapshots()
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
        dataset = query_dataset(query, default_graph_uris, named_graph_uris)
        graphs = dataset.default, dataset.named, dataset.from_query
        waiting = self._deadline()  # waiting for the first worker: within the limit
        deadline: float | None = None  # the evaluation's, set once it is first sent
        while True:
            worker = self._acquire(waiting if deadline is None else deadline)
            try:
                snapshot = self._snapshot_for(worker)
                self._wait_until_booted(worker)
                if deadline is None:
                    deadline = self._deadline()
                task = (snapshot.db, query, media_type, *graphs, limit)
                answer = self._run_on(worker, task, deadline, media_type, form)
            finally:
                self._release(worker)
            if not isinstance(answer, _Rerun):
                return answer
            if deadline is not None and time_left(deadline) <= 0:
                raise self._timeout_error()  # no time left to run it again
            with self._lock:
                self.reruns += 1
            log.info("query run again: its worker was stopped for another query")

    def close(self) -> None:
        self._closed = True
        self._finalizer()

    # ------------------------------------------------------------------ one query
    def _run_on(
        self,
        worker: Worker,
        task: tuple[object, ...],
        deadline: float | None,
        media_type: str,
        form: str,
    ) -> SpooledAnswer | _Rerun:
        """The answer, or _RERUN_ANSWER if the worker was killed because of another query."""
        mine = Task(next(self._task_ids), queue.SimpleQueue())
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
                remaining = time_left(deadline)
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
                    spool.write(memoryview(message)[HEAD.size :])
                    continue
                finished = True
                if kind == END:
                    count, truncated = END_FIELDS.unpack_from(message, HEAD.size)
                    if truncated:  # over the cap: refused whole, never cut
                        spool.close()
                        raise ResultTooLarge(self.limit, form)
                    spool.write(memoryview(message)[HEAD.size + END_FIELDS.size :])
                    return SpooledAnswer(media_type, spool, count=None if count < 0 else count)
                spool.close()
                if kind == ERROR:
                    text = bytes(message[HEAD.size :]).decode("utf-8", "replace")
                    raise unsupported(text) or QueryError(text)
                if kind == RERUN:
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


def _cleanup(workers: list[Worker], snapshots: list[Snapshot]) -> None:
    """The runner's finalizer: workers stopped, snapshots deleted."""
    stop_workers(workers)
    delete_snapshots(snapshots)
