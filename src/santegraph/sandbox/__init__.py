"""Untrusted work under a time limit, in worker processes: public SPARQL queries
(``/sparql``, with a result cap) and the parsing and validation of submissions.

Public queries go through a *query runner* made with the app (``make_runner``); trusted
internal queries (pages, CLI) keep using ``GraphStore`` directly. A runner returns the
answer complete, in a spool, so that a stopped query still gets a real error status.
See docs/decisions/0003-query-isolation.md.

Untrusted submissions (steward pages, ``/steward/validate``, ``/store`` and ``/update``
bodies) are parsed and checked by the *check runner* (``checks.py``), on the same pool
and snapshot machinery: a parser crash kills a worker, not the server. See
docs/decisions/0010-check-isolation.md.

========================  ==========================================================
``runner.py``             the interface, its errors (timeout, busy, cap), ``make_runner``
``answer.py``             the spooled answer handed to the web layer, its headers
``embedded.py``           embedded backend: one query's life, SIGKILL and reruns
``pool.py``               embedded backend: the worker processes, spawned and killed
``snapshots.py``          embedded backend: the snapshots the workers read
``wire.py``               embedded backend: the messages between server and worker
``worker.py``             embedded backend: what runs inside a worker process
``remote.py``             remote backend: the deadline on the HTTP exchange
``checks.py``             checks of submissions: the runner, its budgets and errors
``check_worker.py``       what runs inside a check worker process
``jobs.py``               the checks themselves (parse, validate, preview, update)
``portable.py``           a check's result back to the server (allow-listed pickle)
========================  ==========================================================

Query worker processes import this package (``worker.py``): every module here imports
only the standard library, pyoxigraph, ``results``, ``errors`` and ``query_dataset`` at
the top; the rest
(requests, the store package) is imported where it is used, so that a worker boots fast.
Check workers import the parsers and validators (``jobs.py``) on purpose.
"""

from .answer import CHUNK, Spool, SpooledAnswer
from .embedded import EmbeddedRunner
from .remote import RemoteRunner
from .runner import (
    QueryBusy,
    QueryRunner,
    QueryTimeout,
    QueryUnsupported,
    ResultTooLarge,
    make_runner,
)

__all__ = [
    "CHUNK",
    "EmbeddedRunner",
    "QueryBusy",
    "QueryRunner",
    "QueryTimeout",
    "QueryUnsupported",
    "RemoteRunner",
    "ResultTooLarge",
    "Spool",
    "SpooledAnswer",
    "make_runner",
]
