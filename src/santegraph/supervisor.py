"""``santegraph serve --supervise``: run the server in a child process, restart it if it dies.

For a machine without a service manager (a plain shell, a container without a restart
policy). Under systemd or Docker, let them restart the server instead (docs/operations.md):
a supervisor inside them adds nothing.

The supervisor opens nothing itself (neither the store nor the port): the child is an
ordinary ``santegraph serve``, started from a fresh interpreter, with the environment
variable ``SANTEGRAPH_RESTARTS`` telling it how many times it was restarted (``/healthz``
shows it). The child is restarted when it is killed by a signal or exits with an error
other than a usage or configuration error (exit code 2, which a restart would repeat);
after a clean exit (0) the supervisor exits too. Restarts wait 1 s, 2 s, 4 s… (at most
30 s) and the wait starts again from 1 s once a child has run a minute; more than
``MAX_QUICK_RESTARTS`` restarts without a child running that long, and the supervisor
gives up (exit 1). SIGTERM and SIGINT are passed on to the child, then the supervisor exits
with it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from types import FrameType

RESTARTS_VARIABLE = "SANTEGRAPH_RESTARTS"
STABLE_AFTER = 60.0  # seconds a child must run for the backoff to start again from 1 s
MAX_BACKOFF = 30.0
MAX_QUICK_RESTARTS = 10
NO_RESTART_CODES = (0, 2)  # clean exit; usage or configuration error


def restarts() -> int:
    """How many times the supervisor restarted this server (0 when not supervised)."""
    try:
        return int(os.environ.get(RESTARTS_VARIABLE, "0"))
    except ValueError:
        return 0


def supervise(child_args: Sequence[str], *, log: Callable[[str], None] | None = None) -> int:
    """Run ``santegraph <child_args>`` until it exits cleanly; the exit code to return."""
    log = log or (lambda message: print(f"supervisor: {message}", file=sys.stderr, flush=True))
    stopping = threading.Event()
    current: list[subprocess.Popen[bytes]] = []

    def pass_on(signum: int, _frame: FrameType | None) -> None:
        stopping.set()
        for child in current:
            if child.poll() is None:
                child.send_signal(signum)

    previous = {s: signal.signal(s, pass_on) for s in (signal.SIGTERM, signal.SIGINT)}
    count, backoff, quick = 0, 1.0, 0
    try:
        while True:
            environment = {**os.environ, RESTARTS_VARIABLE: str(count)}
            started = time.monotonic()
            child = subprocess.Popen(
                [sys.executable, "-m", "santegraph.cli", *child_args], env=environment
            )
            current[:] = [child]
            code = child.wait()
            if stopping.is_set():
                return 0 if code in (0, -signal.SIGTERM, -signal.SIGINT) else code
            if code in NO_RESTART_CODES:
                return code
            if time.monotonic() - started >= STABLE_AFTER:
                backoff, quick = 1.0, 0
            quick += 1
            if quick > MAX_QUICK_RESTARTS:
                log(f"the server died {quick} times within a minute of starting: giving up")
                return 1
            how = f"signal {-code}" if code < 0 else f"exit code {code}"
            log(f"the server (pid {child.pid}) stopped ({how}); restarting in {backoff:g} s")
            if stopping.wait(backoff):
                return 0
            backoff = min(backoff * 2, MAX_BACKOFF)
            count += 1
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
