"""The code a check worker process runs (``python -c "...check_worker.main(fd)"``).

One job at a time, in the main thread (its full stack: a parser that overflows it takes
this process down, as it would have taken the server). The server first sends the app's
settings; the worker imports the parsers and validators, parses the shapes once, and says
READY. Then, for each ``("job", id, store, name, args)``: open the store (a snapshot,
read-only; or the remote endpoint, read-only), run ``jobs.JOBS[name]``, close the
snapshot and say so (CLOSED, before the answer, so that the server never deletes a
snapshot a later job of this worker has open), answer END with the pickled outcome
(``portable.py``), or ERROR for a bug.

The messages are those of ``wire.py``; ``SANTEGRAPH_TEST_HOLD_CHECKS`` (tests only) names
a folder of two FIFOs with which a test holds an anonymous check in progress.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import SantegraphError
from . import portable
from .wire import CLOSED, END, ERROR, QUERY_ID, READY
from .worker import die_with_parent

if TYPE_CHECKING:
    from ..store import EmbeddedStore, RemoteStore
    from ..store.base import GraphStore

TEST_HOLD = "SANTEGRAPH_TEST_HOLD_CHECKS"


def main(fd: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server; it stops us
    die_with_parent()
    conn = Connection(fd)
    try:
        kind, settings = conn.recv()
    except (EOFError, OSError):
        os._exit(0)
    assert kind == "settings"

    from ..loading import Loader
    from .jobs import JOBS, JobContext

    loader = Loader(None, settings, progress=False)  # type: ignore[arg-type]  # each job sets one
    loader.validator  # noqa: B018 - the shapes and ontology, parsed once, before READY
    loader.entry_classes  # noqa: B018
    remote_stores: dict[str, RemoteStore] = {}
    conn.send_bytes(READY)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            break
        if message is None:
            break
        if message[0] != "job":
            continue  # "release": this worker holds no snapshot between jobs
        _, task_id, store_spec, name, args = message
        head = QUERY_ID.pack(task_id)
        try:
            store, closing = _open(store_spec, remote_stores)
        except SantegraphError as exc:
            conn.send_bytes(END + head + portable.dumps(("raise", exc)))
            continue
        loader.store = store
        try:
            if name == "check_submission":
                _hold_for_tests()
            outcome = ("ok", JOBS[name](JobContext(store, settings, loader), *args))
        except SantegraphError as exc:
            outcome = ("raise", exc)
        except Exception:  # noqa: BLE001 - a bug: logged here, a 500 on the server
            traceback.print_exc(file=sys.stderr)
            outcome = None
        loader.store = None  # type: ignore[assignment]  # no store between jobs
        if closing is not None:
            closing.close()
            del store, closing
            conn.send_bytes(CLOSED + store_spec[1].encode())
        if outcome is None:
            conn.send_bytes(ERROR + head + f"{name} failed in the check worker".encode())
        else:
            conn.send_bytes(END + head + portable.dumps(outcome))
        del outcome
    os._exit(0)


def _open(
    spec: tuple[str, Any], remote_stores: dict[str, RemoteStore]
) -> tuple[GraphStore, EmbeddedStore | None]:
    """(store, what to close after the job): a snapshot read-only, or the remote endpoint
    (one client per endpoint, kept between jobs)."""
    kind, where = spec
    if kind == "snapshot":
        from ..store import EmbeddedStore

        store = EmbeddedStore.read_only(where)
        return store, store
    from ..store import RemoteStore

    key = repr(where)
    if key not in remote_stores:
        remote_stores[key] = RemoteStore(**where)
    return remote_stores[key], None


def _hold_for_tests() -> None:
    """Tests: say "started" through one FIFO, wait for "release" on the other."""
    folder = os.environ.get(TEST_HOLD)
    if folder:
        with open(Path(folder) / "started", "w") as fifo:
            fifo.write("started")
        with open(Path(folder) / "release") as fifo:
            fifo.read()
