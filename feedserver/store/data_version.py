"""A number that moves whenever any process commits a write to the database file: what a
cache of answers (the feeds' RecentAnswers) compares to know its answers are still exact.

It is SQLite's `PRAGMA data_version`, read on a connection of its own that never writes: the
value changes when a connection other than the one asking committed a change, whoever it
belongs to (this process's writer, another worker's, the command line's). In WAL mode the
read is a look at the WAL index in shared memory between two fcntl calls (the read lock),
so it is asked on the event loop with no thread hop: ~20 us a call on the loaded 2-core
machine, against ~340 us for the same pragma through an aiosqlite reader (bench/
data_version.py, in bench/results.md). A version row bumped in every write transaction costs
as much to read (~22 us) and adds a third to the CPU time of a small write. Read once per
turn of the loop (below), it is ~12 times cheaper per request under polling load.

After a writer's COMMIT has returned, the next read here sees the new value, so a client
that got the answer to its write and then asks any worker gets a fresh answer.

One read serves every request of one turn of the event loop: the value is forgotten by a
callback queued when it was read, which runs at the start of the next turn, before the
requests whose bytes that turn's poll brings in. A request answered with it was therefore
received before it was read, so any write whose answer its client had seen before sending
that request was already committed, and counted.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import sqlite3
from pathlib import Path

log = logging.getLogger(__name__)


class DataVersion:
    def __init__(self, path: Path) -> None:
        # Used on the event loop's thread only; never waits for a lock (busy_timeout 0).
        self._conn: sqlite3.Connection | None = sqlite3.connect(path, isolation_level=None)
        self._conn.execute("PRAGMA query_only = ON")
        self._conn.execute("PRAGMA busy_timeout = 0")
        # Values no read returns: a failed read must match no cached answer, now or later.
        self._unknown = itertools.count(-1, -1)
        self._this_turn: int | None = None

    def read(self) -> int:
        """The version as of this turn of the event loop (see the module's doc)."""
        if self._this_turn is None:
            self._this_turn = self.read_now()
            asyncio.get_running_loop().call_soon(self._forget)
        return self._this_turn

    def _forget(self) -> None:
        self._this_turn = None

    def read_now(self) -> int:
        """The current version; a value never returned before when SQLite is busy (rare in
        WAL mode: a recovery or a truncating checkpoint), so nothing cached is reused."""
        if self._conn is None:
            raise RuntimeError("the database is not open")
        try:
            # fetchall: the statement runs to its end, so no read transaction stays open.
            rows = self._conn.execute("PRAGMA data_version").fetchall()
        except sqlite3.OperationalError as error:
            log.debug("data_version unavailable: %s", error)
            return next(self._unknown)
        version: int = rows[0][0]
        return version

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
