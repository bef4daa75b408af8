"""Token buckets: how many writes a member may make, in a burst and steadily.

One job: decide, per key, whether one more action is allowed now, and if not, how long to
wait. Each key holds up to `burst` tokens and regains `rate` per second; an action takes one.
The state is two numbers per key (tokens, when last counted), kept in memory and per process;
a deployment running several processes can keep the same two numbers in a table (one UPDATE
per action) behind the same `take` without changing any caller.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

MAX_KEYS = 100_000  # bound memory under many members; full buckets are forgotten first


class TokenBucket:
    def __init__(
        self, burst: int, rate: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """`burst` of 0 (or less) turns the limit off."""
        self.burst = burst
        self.rate = rate
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    @property
    def enabled(self) -> bool:
        return self.burst > 0 and self.rate > 0

    def take(self, key: str) -> int:
        """0 when the action may go ahead (a token is taken); otherwise the whole seconds to
        wait before one is available (nothing is taken)."""
        if not self.enabled:
            return 0
        now = self._clock()
        tokens, then = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - then) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > MAX_KEYS:
                self._forget_full(now)
            return 0
        self._buckets[key] = (tokens, now)
        return max(1, math.ceil((1.0 - tokens) / self.rate))

    def _forget_full(self, now: float) -> None:
        """A full bucket is the same as no bucket: drop those."""
        for key, (tokens, then) in list(self._buckets.items()):
            if tokens + (now - then) * self.rate >= self.burst:
                del self._buckets[key]
