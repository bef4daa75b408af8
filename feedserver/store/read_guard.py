"""A bound on how long a reader's queries may run, and a way to stop them.

Each reader connection has one guard as its SQLite progress handler: SQLite calls it every
STEPS virtual-machine instructions (well under a millisecond) on the connection's thread, and
a true answer interrupts the running statement (sqlite3.OperationalError "interrupted"). The
event loop arms it for one `Database.read()` block: a deadline, and a probe that says the
answer is no longer wanted (the client hung up). A read with neither runs as before.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

STEPS = 4000  # VM instructions between two checks: a few tens of microseconds


class QueryStopped(Exception):
    """A read was stopped: it ran past its deadline, or nobody waits for its answer any more."""

    def __init__(self, *, abandoned: bool) -> None:
        super().__init__("abandoned" if abandoned else "deadline")
        self.abandoned = abandoned


class ReadGuard:
    """The progress handler of one reader connection. Its fields are written by the event loop
    only while no statement runs on the connection (the connection is lent to one block at a
    time), or to stop it: `stop` is a plain attribute, read by the handler on its thread."""

    def __init__(self) -> None:
        self.deadline = math.inf
        self.abandoned: Callable[[], bool] | None = None
        self.stop = False
        self.fired: bool | None = None  # None, or whether the last stop was an abandonment

    def arm(self, seconds: float | None, abandoned: Callable[[], bool] | None) -> None:
        self.deadline = math.inf if seconds is None else time.monotonic() + seconds
        self.abandoned = abandoned
        self.stop = False
        self.fired = None

    def disarm(self) -> None:
        self.arm(None, None)

    def __call__(self) -> int:
        if self.stop:
            self.fired = True
            return 1
        if self.abandoned is not None and self.abandoned():
            self.fired = True
            return 1
        if time.monotonic() > self.deadline:
            self.fired = False
            return 1
        return 0
