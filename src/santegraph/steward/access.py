"""Who is signed in, and who may try: web sessions the server can end, and a brake on
failed sign-ins.

Sessions: the signed cookie alone cannot be revoked (anyone holding a copy could use it
until it expires), so the cookie carries a random session id that the server keeps in
:class:`SessionRegistry` while the session is open; signing out, expiry or a restart of
the server closes it, and a copied cookie is worth nothing afterwards.

Failed sign-ins: :class:`SignInThrottle` counts, per client address, the credentials
that did not match (web sign-in, ``/store``, ``/update``) within a window; beyond the limit
that address is refused (429) until the window has passed, valid credentials included.
Every failure and every lock is logged on the ``santegraph.audit`` logger.
"""

from __future__ import annotations

import logging
import math
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

audit = logging.getLogger("santegraph.audit")


class SessionRegistry:
    """The steward web sessions that are open: session id -> (steward name, expiry)."""

    def __init__(
        self,
        lifetime_s: float,
        *,
        max_sessions: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.lifetime_s = lifetime_s
        self.max_sessions = max_sessions
        self.clock = clock
        self._open: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def open(self, name: str) -> str:
        """A new session for ``name``; the oldest goes first beyond ``max_sessions``."""
        sid = secrets.token_urlsafe(32)
        with self._lock:
            self._forget_expired()
            while len(self._open) >= self.max_sessions:
                self._open.popitem(last=False)
            self._open[sid] = (name, self.clock() + self.lifetime_s)
        return sid

    def steward(self, sid: str | None) -> str | None:
        """The name of the open session ``sid``, else None (closed, expired, unknown)."""
        if not sid:
            return None
        with self._lock:
            found = self._open.get(sid)
            if found is None:
                return None
            if found[1] <= self.clock():
                del self._open[sid]
                return None
            return found[0]

    def close(self, sid: str | None) -> None:
        with self._lock:
            self._open.pop(sid or "", None)

    def _forget_expired(self) -> None:
        now = self.clock()
        for sid in [s for s, (_, expiry) in self._open.items() if expiry <= now]:
            del self._open[sid]


class SignInThrottle:
    """Failed sign-ins per client address within a sliding window; locked beyond a limit."""

    def __init__(
        self,
        max_failures: int,
        window_s: float,
        *,
        max_clients: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.max_failures = max_failures  # 0: no limit (failures are still logged)
        self.window_s = window_s
        self.max_clients = max_clients
        self.clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int:
        """Seconds before ``client`` may try again (0: now)."""
        if not self.max_failures:
            return 0
        with self._lock:
            recent = self._recent(client)
            if len(recent) < self.max_failures:
                return 0
            return max(1, math.ceil(recent[0] + self.window_s - self.clock()))

    def failed(self, client: str, *, channel: str, name: str = "") -> None:
        """Record (and log) a credential that did not match."""
        with self._lock:
            recent = self._recent(client)
            self._failures[client] = recent
            recent.append(self.clock())
            self._failures.move_to_end(client)
            while len(self._failures) > self.max_clients:
                self._failures.popitem(last=False)
            count = len(recent)
        audit.warning(
            "failed steward sign-in: channel=%s client=%s name=%r (%d in %d s)",
            channel,
            client,
            name[:80],
            count,
            self.window_s,
        )
        if self.max_failures and count == self.max_failures:
            audit.warning(
                "steward sign-ins locked: client=%s for %d s after %d failures",
                client,
                self.window_s,
                count,
            )

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)

    def _recent(self, client: str) -> deque[float]:
        """The client's failures within the window (a new client is not recorded here)."""
        recent = self._failures.get(client)
        if recent is None:
            return deque()
        horizon = self.clock() - self.window_s
        while recent and recent[0] <= horizon:
            recent.popleft()
        return recent
