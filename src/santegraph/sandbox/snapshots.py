"""The snapshots public queries read: consistent on-disk copies of the embedded store.

``EmbeddedStore`` counts its writes (``generation``); before a query, if the generation
changed, a new snapshot is made: ``Store.backup()`` (a RocksDB checkpoint of hard links,
in ``<store>-snapshots/`` next to the store) or, for an in-memory store, a bulk copy into a
temporary on-disk store. A worker keeps a snapshot open while one of its queries reads it
or while it is the latest one it was sent; a snapshot is deleted once no worker has it
open and a newer one exists. See docs/decisions/0003-query-isolation.md.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

if TYPE_CHECKING:
    from ..store import EmbeddedStore
    from .pool import Worker

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Snapshot:
    """One snapshot, for one store generation."""

    generation: int
    folder: Path  # holds the database in folder / "db"
    users: int = 0  # workers that may have it open (until they report it closed)

    @property
    def db(self) -> str:
        return str(self.folder / "db")


class SnapshotKeeper:
    """The snapshot half of :class:`~santegraph.sandbox.embedded.EmbeddedRunner` (a mixin:
    the runner holds the state below and the worker pool these methods talk to)."""

    store: EmbeddedStore
    _lock: threading.Condition  # the pool's
    _workers: list[Worker]
    _snapshot_lock: threading.RLock
    _current: Snapshot | None  # the snapshot of the store's latest generation
    _snapshots: list[Snapshot]  # every snapshot not deleted yet
    _root: Path | None  # the folder of the snapshots, made with the first one
    _kill: Callable[..., None]  # the pool's: (worker, runaway=None)
    snapshot_folder = "-snapshots"  # the snapshots live in <store><snapshot_folder>/

    def _start_snapshots(self) -> None:
        """No snapshot yet (called by the runner's ``__init__``)."""
        self._snapshot_lock = threading.RLock()
        self._current = None
        self._snapshots = []
        self._root = None

    def _snapshot_for(self, worker: Worker) -> Snapshot:
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

    def _fresh_snapshot(self) -> Snapshot:
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

    def _closed_in(self, worker: Worker, db: str) -> None:
        """The worker reported that it closed the snapshot ``db``."""
        for snapshot in list(worker.snapshots):
            if snapshot.db == db:
                self._detach(worker, snapshot)

    def _make_snapshot(self, generation: int) -> Snapshot:
        if self._root is None:
            if self.store.location == ":memory:":
                self._root = Path(tempfile.mkdtemp(prefix="santegraph-snapshots-"))
            else:
                # next to the store: same file system, so a backup is made of hard links
                # the store path, not the version folder it links to (ADR 0008)
                location = Path(os.path.abspath(self.store.location))
                self._root = location.with_name(location.name + self.snapshot_folder)
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
        return Snapshot(generation, folder)

    def _detach(self, worker: Worker, snapshot: Snapshot) -> None:
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

    def _delete(self, snapshot: Snapshot) -> None:
        shutil.rmtree(snapshot.folder, ignore_errors=True)
        if snapshot in self._snapshots:
            self._snapshots.remove(snapshot)


def delete_snapshots(snapshots: list[Snapshot]) -> None:
    """Delete every snapshot and their folder (the runner is closing)."""
    for snapshot in list(snapshots):
        shutil.rmtree(snapshot.folder, ignore_errors=True)
    if snapshots:
        shutil.rmtree(snapshots[0].folder.parent, ignore_errors=True)
    snapshots.clear()
