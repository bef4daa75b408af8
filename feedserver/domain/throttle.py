"""Slows repeated failed logins, per account and per client address.

In memory and per process: it exists to make online password guessing slow, not to be a
durable audit log. After `limit` failures inside `window` seconds the key must wait, and the
wait doubles with every further failure (capped at the window).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class _Record:
    failures: list[float] = field(default_factory=list)


class LoginThrottle:
    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._records: dict[str, _Record] = {}

    def _recent(self, key: str) -> list[float]:
        record = self._records.get(key)
        if record is None:
            return []
        cutoff = self._clock() - self.window
        record.failures = [t for t in record.failures if t > cutoff]
        if not record.failures:
            del self._records[key]
            return []
        return record.failures

    def retry_after(self, *keys: str) -> int:
        """Seconds to wait before another attempt is considered, 0 when free to try."""
        wait = 0.0
        now = self._clock()
        for key in keys:
            failures = self._recent(key)
            excess = len(failures) - self.limit
            if excess >= 0:
                delay = min(self.window, 2.0 ** min(excess, 16))
                wait = max(wait, failures[-1] + delay - now)
        return int(wait) + (1 if wait > int(wait) else 0) if wait > 0 else 0

    def failed(self, *keys: str) -> None:
        now = self._clock()
        for key in keys:
            self._records.setdefault(key, _Record()).failures.append(now)
        if len(self._records) > 100_000:  # bound memory under a spray of usernames
            for key in list(self._records)[:50_000]:
                self._recent(key)

    def succeeded(self, *keys: str) -> None:
        for key in keys:
            self._records.pop(key, None)
