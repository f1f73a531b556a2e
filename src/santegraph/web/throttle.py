"""A per-client rate limit: at most N events a minute per key, as a token bucket.

Each key (a client address) has a bucket of ``per_minute`` tokens, refilled continuously
at ``per_minute`` a minute; an event takes one token or is refused with the seconds until
one is back. At most ``MAX_KEYS`` buckets are kept, the least recently used dropped
first (a dropped client starts again with a full bucket).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

MAX_KEYS = 10_000


class RateLimit:
    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic):
        self.per_minute, self.clock = per_minute, clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, when
        self._lock = threading.Lock()

    def wait(self, key: str) -> float:
        """0 when ``key`` may go on (a token is taken), else the seconds until it may."""
        if self.per_minute <= 0:
            return 0.0
        rate = self.per_minute / 60.0
        now = self.clock()
        with self._lock:
            tokens, then = self._buckets.pop(key, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - then) * rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / rate
            if not wait:
                tokens -= 1
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > MAX_KEYS:
                self._buckets.popitem(last=False)
        return wait
