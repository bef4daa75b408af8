"""Slows repeated failed logins, per client address and per account, independently.

Kept in the database (store/login_throttle.py), so every server process (serve --workers N)
counts the same failures: a guesser cannot multiply its budget by the number of workers, or
reset it by a restart. It exists to make online password guessing slow, not to be an audit
log: keys are stored as digests and rows older than the window are deleted as new ones come.
After `limit` failures inside `window` seconds an address, or an account, must wait, and the
wait doubles with every further failure (capped at the window).

- A success clears nothing of its address's count: logging in to one's own account between
  guesses must not buy more guesses at other accounts (a spray).
- A blocked address or account still lets a member in from where they logged in before
  (a "known" account and address pair), so a stranger's failures (at their account, or from
  the same NAT) do not lock them out. That way in has a cost: a known pair may fail only
  `pair_budget` times in the window before it waits like everyone else.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from feedserver.store import login_throttle as store
from feedserver.store.engine import Engine

# How long a successful login from an address keeps that account and address "known".
KNOWN_SECONDS = 30 * 24 * 3600


class LoginThrottle:
    def __init__(
        self, db: Engine, limit: int, window: float, clock: Callable[[], float] = time.time,
        pair_budget: int = 2,
    ) -> None:  # fmt: skip
        self.db = db
        self.limit = limit
        self.window = window
        self.pair_budget = min(pair_budget, limit)
        self._clock = clock  # wall time: shared by processes, so no monotonic clock

    def _wait(self, failures: list[float], limit: int, now: float) -> float:
        excess = len(failures) - limit
        if excess < 0:
            return 0.0
        delay = min(self.window, 2.0 ** min(excess, 16))
        return max(0.0, failures[-1] + delay - now)

    async def retry_after(self, username: str, address: str) -> int:
        """Seconds to wait before this login attempt is considered, 0 when free to try."""
        user, addr, pair = _keys(username, address)
        now = self._clock()
        async with self.db.read() as conn:
            failures = await store.failures_since(conn, (user, addr, pair), now - self.window)
            wait = max(
                self._wait(failures[user], self.limit, now),
                self._wait(failures[addr], self.limit, now),
            )
            if wait > 0:
                since = await store.known_since(conn, pair)
                if since is not None and now - since < KNOWN_SECONDS:
                    wait = self._wait(failures[pair], self.pair_budget, now)
        return int(wait) + (1 if wait > int(wait) else 0) if wait > 0 else 0

    async def failed(self, username: str, address: str) -> None:
        now = self._clock()
        async with self.db.write() as conn:
            await store.add_failures(conn, _keys(username, address), now, now - self.window)

    async def succeeded(self, username: str, address: str) -> None:
        """The account's own count starts again (its owner is back); the address's does not."""
        user, _, pair = _keys(username, address)
        now = self._clock()
        async with self.db.write() as conn:
            await store.succeed(conn, (user, pair), pair, now, now - KNOWN_SECONDS)


def _keys(username: str, address: str) -> tuple[str, str, str]:
    user, addr = _digest(f"user:{username}"), _digest(f"addr:{address}")
    return user, addr, _digest(f"pair:{username}\n{address}")


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:32]
