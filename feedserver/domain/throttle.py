"""Slows repeated failed logins, per client address and per account, independently.

In memory and per process: it exists to make online password guessing slow, not to be a
durable audit log. After `limit` failures inside `window` seconds an address, or an account,
must wait, and the wait doubles with every further failure (capped at the window).

- A success clears nothing of its address's count: logging in to one's own account between
  guesses must not buy more guesses at other accounts (a spray).
- A blocked address or account still lets a member in from where they logged in before
  (a "known" account and address pair), so a stranger's failures (at their account, or from
  the same NAT) do not lock them out. That way in has a cost: a known pair may fail only
  `pair_budget` times in the window before it waits like everyone else.
"""

from __future__ import annotations

import time
from collections.abc import Callable

# How long a successful login from an address keeps that account and address "known".
KNOWN_SECONDS = 30 * 24 * 3600
MAX_KEYS = 100_000  # bound memory under a spray of usernames or addresses


class LoginThrottle:
    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic,
        pair_budget: int = 2,
    ) -> None:  # fmt: skip
        self.limit = limit
        self.window = window
        self.pair_budget = min(pair_budget, limit)
        self._clock = clock
        self._failures: dict[str, list[float]] = {}
        self._known: dict[str, float] = {}  # pair -> when it last logged in

    def _recent(self, key: str) -> list[float]:
        failures = self._failures.get(key)
        if failures is None:
            return []
        cutoff = self._clock() - self.window
        failures[:] = [t for t in failures if t > cutoff]
        if not failures:
            del self._failures[key]
        return failures

    def _wait(self, key: str, limit: int) -> float:
        failures = self._recent(key)
        excess = len(failures) - limit
        if excess < 0:
            return 0.0
        delay = min(self.window, 2.0 ** min(excess, 16))
        return max(0.0, failures[-1] + delay - self._clock())

    def _is_known(self, pair: str) -> bool:
        since = self._known.get(pair)
        return since is not None and self._clock() - since < KNOWN_SECONDS

    def retry_after(self, username: str, address: str) -> int:
        """Seconds to wait before this login attempt is considered, 0 when free to try."""
        user, addr, pair = _keys(username, address)
        wait = max(self._wait(user, self.limit), self._wait(addr, self.limit))
        if wait > 0 and self._is_known(pair):
            wait = self._wait(pair, self.pair_budget)
        return int(wait) + (1 if wait > int(wait) else 0) if wait > 0 else 0

    def failed(self, username: str, address: str) -> None:
        now = self._clock()
        for key in _keys(username, address):
            self._failures.setdefault(key, []).append(now)
        if len(self._failures) > MAX_KEYS:
            for key in list(self._failures)[: MAX_KEYS // 2]:
                self._recent(key)

    def succeeded(self, username: str, address: str) -> None:
        """The account's own count starts again (its owner is back); the address's does not."""
        user, _, pair = _keys(username, address)
        self._failures.pop(user, None)
        self._failures.pop(pair, None)
        self._known.pop(pair, None)
        self._known[pair] = self._clock()
        if len(self._known) > MAX_KEYS:  # the oldest half goes (dicts keep insertion order)
            for key in list(self._known)[: MAX_KEYS // 2]:
                del self._known[key]


def _keys(username: str, address: str) -> tuple[str, str, str]:
    return f"user:{username}", f"addr:{address}", f"pair:{username}\n{address}"
