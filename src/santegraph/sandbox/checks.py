"""Untrusted parsing and validation in worker processes: a crash kills a worker, not the
server, and a check that overruns its time budget is stopped.

The design of the ``/sparql`` sandbox, reused (docs/decisions/0010-check-isolation.md):
a :class:`CheckRunner` is a pool of worker processes (``pool.py``) running
``check_worker.py``, each check on a snapshot of the store (``snapshots.py``; on the
remote backend, the endpoint itself, read-only). What ran in the server before runs
there unchanged (``jobs.py``): parsing a submission, a ``/store`` body or an ``/update``,
checking a submission against the shapes, a steward's preview.

* A worker runs one check at a time: pySHACL is pure Python, and threads would share one
  interpreter lock. The pool starts empty and grows to ``check_workers``; no spare worker
  is kept booted (a check worker imports rdflib and pySHACL and parses the shapes).
* **Budgets.** A steward's check may run ``check_timeout`` seconds, an anonymous one
  (``/steward/validate``) ``public_check_timeout``; at the deadline the worker is killed
  (SIGKILL) and the client told. Anonymous checks take at most ``check_workers - 1``
  workers at once (all of them if there is only one), so a steward's check never waits
  behind them; none of them holds the write lock.
* **A crash** (the worker's pipe ends: segfault, out of memory, killed) is
  :class:`CheckCrashed` for that check; a new worker replaces the dead one.
"""

from __future__ import annotations

import logging
import queue
import time
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import SantegraphError
from . import portable
from .pool import LOST, RERUN, Task, Worker, WorkerPool, stop_workers
from .runner import QueryBusy, time_left
from .snapshots import Snapshot, SnapshotKeeper, delete_snapshots
from .wire import END, ERROR, HEAD

if TYPE_CHECKING:
    import pyoxigraph as ox

    from ..config import Settings
    from ..steward.credentials import Steward
    from ..steward.workflow import Proposal
    from ..store import GraphStore
    from ..validation import ValidationReport

log = logging.getLogger(__name__)
_AGAIN = object()  # _run_on's result: the worker was gone before the check started


class CheckError(SantegraphError):
    """A check that did not run to its end: its HTTP status, and the message in French."""

    status = 500
    french = "erreur interne de la vérification (journalisée)"


class CheckTimeout(CheckError):
    """The check ran past its time budget; its worker was stopped."""

    status = 503

    def __init__(self, seconds: float, setting: str):
        super().__init__(f"the check exceeded its time limit of {seconds:g} s (setting {setting})")
        self.seconds, self.setting = seconds, setting
        self.french = (
            f"la vérification a dépassé le temps imparti de {seconds:g} s (réglage {setting}) "
            "et a été arrêtée : découpez le fichier en plusieurs envois"
        )


class CheckBusy(CheckError):
    """Every check worker open to this check stayed busy; it never started."""

    status = 503
    french = (
        "tous les processus de vérification sont restés occupés : rien n'a été vérifié, "
        "réessayez dans quelques instants"
    )


class CheckCrashed(CheckError):
    """The worker process died during the check (a parser crash, memory exhausted...)."""

    status = 422
    french = (
        "l'analyse de ce fichier a fait s'arrêter le processus qui le vérifiait (fichier "
        "malformé, trop imbriqué ou trop gros pour être analysé ?) : rien n'a été vérifié "
        "ni écrit ; le service, lui, continue"
    )


class CheckFailed(CheckError):
    """A check failed in the worker for a reason that is a bug (logged there)."""


class CheckRunner(SnapshotKeeper, WorkerPool):
    """Runs the jobs of ``jobs.py`` in worker processes, within their time budget."""

    worker_module = "santegraph.sandbox.check_worker"
    kind = "check"
    spare_worker = False
    snapshot_folder = "-check-snapshots"

    def __init__(self, store: GraphStore, settings: Settings):
        # a remote store takes no snapshot (_remote_spec): only an embedded one is kept
        self.store, self.settings = store, settings  # type: ignore[assignment]
        self.size, self.threads = max(1, settings.check_workers), 1
        self.timeout = settings.check_timeout
        self.public_slots = max(1, self.size - 1)
        self.public_running = 0
        self._start_pool()
        self._start_snapshots()
        self._remote = _remote_spec(store)
        self._finalizer = weakref.finalize(self, _cleanup, self._workers, self._snapshots)

    # ------------------------------------------------------------------ public
    def run(self, job: str, *args: Any, public: bool = False) -> Any:
        """The result of ``jobs.JOBS[job](context, *args)`` run in a worker, or the santegraph
        error it raised there; CheckTimeout, CheckBusy, CheckCrashed, CheckFailed."""
        seconds = self.settings.public_check_timeout if public else self.timeout
        setting = "public_check_timeout" if public else "check_timeout"
        waiting = time.monotonic() + seconds if seconds > 0 else None
        if public:
            self._take_public_slot(waiting)
        try:
            while True:
                try:
                    worker = self._acquire(waiting)
                except QueryBusy:
                    raise CheckBusy(self._busy_message()) from None
                try:
                    spec = self._store_spec(worker)
                    self._wait_until_booted(worker)
                    deadline = time.monotonic() + seconds if seconds > 0 else None
                    outcome = self._run_on(worker, spec, job, args, deadline, seconds, setting)
                finally:
                    self._release(worker)
                if outcome is not _AGAIN:
                    return outcome
        finally:
            if public:
                with self._lock:
                    self.public_running -= 1
                    self._lock.notify_all()

    # the jobs of jobs.py, by name: what the views call
    def check_submission(self, data: bytes, name: str, fmt: str) -> ValidationReport:
        """An anonymous check (/steward/validate): the ValidationReport."""
        report: ValidationReport = self.run("check_submission", data, name, fmt, public=True)
        return report

    def propose_submission(
        self,
        steward: Steward,
        data: bytes,
        name: str,
        fmt: str,
        graph: str | None,
        comment: str,
        channel: str,
    ) -> Proposal:
        """A steward's preview (deposit, or correction of ``graph``): the Proposal."""
        proposal: Proposal = self.run(
            "propose_submission", steward, data, name, fmt, graph, comment, channel
        )
        return proposal

    def parse_body(self, data: bytes, media_type: str) -> list[ox.Quad]:
        """A /store body: its quads."""
        quads: list[ox.Quad] = self.run("parse_body", data, media_type)
        return quads

    def update_contents(
        self,
        update: str,
        using_graphs: Sequence[str] = (),
        using_named_graphs: Sequence[str] = (),
    ) -> dict[str, list[ox.Triple]]:
        """An /update: the new content of each graph it changes, its WHERE clauses over
        the protocol's using-graph-uri / using-named-graph-uri when given."""
        contents: dict[str, list[ox.Triple]] = self.run(
            "update_contents", update, list(using_graphs), list(using_named_graphs)
        )
        return contents

    def close(self) -> None:
        self._closed = True
        self._finalizer()

    # ------------------------------------------------------------------ internals
    def _take_public_slot(self, deadline: float | None) -> None:
        with self._lock:
            while self.public_running >= self.public_slots:
                remaining = time_left(deadline)
                if remaining is not None and remaining <= 0:
                    raise CheckBusy(self._busy_message())
                self._lock.wait(remaining)
            self.public_running += 1

    def _busy_message(self) -> str:
        return f"all check workers stayed busy for {self.settings.public_check_timeout:g} s"

    def _store_spec(self, worker: Worker) -> tuple[str, Any]:
        if self._remote is not None:
            return ("remote", self._remote)
        return ("snapshot", self._snapshot_for(worker).db)

    def _spawn(self) -> Worker:
        worker = super()._spawn()
        try:
            with worker.send_lock:
                worker.conn.send(("settings", self.settings))
        except (OSError, ValueError):
            pass  # died at once: its reader thread says so
        return worker

    def _run_on(
        self,
        worker: Worker,
        spec: tuple[str, Any],
        job: str,
        args: tuple[Any, ...],
        deadline: float | None,
        seconds: float,
        setting: str,
    ) -> Any:
        mine = Task(next(self._task_ids), queue.SimpleQueue())
        with self._lock:
            if worker.dead:
                return _AGAIN
            worker.tasks[mine.id] = mine
        finished = False
        try:
            try:
                with worker.send_lock:
                    worker.conn.send(("job", mine.id, spec, job, args))
            except (OSError, ValueError):
                pass  # lost meanwhile: its queue says so
            try:
                kind, message = mine.queue.get(timeout=time_left(deadline))
            except queue.Empty:
                self._kill(worker, runaway=mine)
                finished = True
                log.warning("check %s stopped at its time limit of %g s", job, seconds)
                raise CheckTimeout(seconds, setting) from None
            finished = True
            if kind == END:
                state, value = portable.loads(bytes(memoryview(message)[HEAD.size :]))
                if state == "raise":
                    raise value
                return value
            if kind == ERROR:
                raise CheckFailed(bytes(message[HEAD.size :]).decode("utf-8", "replace"))
            if kind == RERUN:
                return _AGAIN
            assert kind == LOST
            code = worker.process.poll()
            log.warning("check %s: its worker process died (%s)", job, code)
            raise CheckCrashed(f"the check worker process stopped ({code})")
        finally:
            worker.tasks.pop(mine.id, None)
            if not finished:  # abandoned while running: unknown state
                self._kill(worker, runaway=mine)


def make_check_runner(settings: Settings, store: GraphStore) -> CheckRunner:
    """The check runner of an app (nothing starts before the first check)."""
    return CheckRunner(store, settings)


def _remote_spec(store: GraphStore) -> dict[str, Any] | None:
    """How a worker reaches a remote store, read-only (no update or store URL); None for
    the embedded store, whose workers read snapshots."""
    from ..store import EmbeddedStore, RemoteStore

    if isinstance(store, EmbeddedStore):
        return None
    if not isinstance(store, RemoteStore):
        raise TypeError(f"no check runner for {type(store).__name__}")
    auth = store.session.auth
    user = getattr(auth, "username", "") or ""
    password = getattr(auth, "password", "") or ""
    kind = "digest" if type(auth).__name__ == "HTTPDigestAuth" else "basic"
    return {
        "query_url": store.query_url,
        "user": user,
        "password": password,
        "auth": kind,
        "timeout": store.timeout,
        "hidden_graphs": tuple(store.hidden_graph_prefixes),
    }


def _cleanup(workers: list[Worker], snapshots: list[Snapshot]) -> None:
    stop_workers(workers)
    delete_snapshots(snapshots)


__all__ = [
    "CheckBusy",
    "CheckError",
    "CheckCrashed",
    "CheckFailed",
    "CheckRunner",
    "CheckTimeout",
    "make_check_runner",
]
