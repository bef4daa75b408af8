"""A pool of SQLite reader connections (`sqlite_reader.py`, `query_only`), each with its
ReadGuard.

`Database` has two: the readers every page uses, and a few set aside for searches, so a burst
of searches never takes the readers other pages need (`store/admission.py` lets searches in).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from feedserver.store.read_guard import STEPS, QueryStopped, ReadGuard
from feedserver.store.sqlite_reader import ReaderConnection


class ReaderPool:
    def __init__(self, path: Path, size: int) -> None:
        self.path = path
        self.size = max(1, size)
        self._free: asyncio.Queue[ReaderConnection] = asyncio.Queue()
        self._all: list[ReaderConnection] = []
        self._guards: dict[int, ReadGuard] = {}  # by id() of the connection
        self._handing_back: set[asyncio.Task[None]] = set()  # readers of cancelled blocks

    async def _connect(self) -> ReaderConnection:
        conn = await ReaderConnection.open(self.path)
        guard = ReadGuard()
        await conn.set_progress_handler(guard, STEPS)
        self._guards[id(conn)] = guard
        return conn

    async def open(self) -> None:
        """Connect them all; on failure the caller closes the pool (connections made so far
        each own a thread that only ends when closed)."""
        for _ in range(self.size):
            conn = await self._connect()
            self._all.append(conn)
            self._free.put_nowait(conn)

    async def close(self) -> None:
        await asyncio.gather(*self._handing_back, return_exceptions=True)
        connections, self._all = self._all, []
        for conn in connections:
            await conn.close()

    @asynccontextmanager
    async def borrow(
        self, seconds: float | None, abandoned: Callable[[], bool] | None
    ) -> AsyncIterator[ReaderConnection]:
        """A connection for one block, its guard armed with `seconds` and `abandoned` (see
        `Database.read`)."""
        conn = await self._free.get()
        guard = self._guards[id(conn)]
        guard.arm(seconds, abandoned)
        handed_back = False
        try:
            yield conn
        except sqlite3.OperationalError as exc:
            if guard.fired is None or "interrupt" not in str(exc):
                raise
            raise QueryStopped(abandoned=guard.fired) from None
        except BaseException as exc:
            if not isinstance(exc, Exception):  # cancelled: its statement may still run
                guard.stop = True
                task = asyncio.create_task(self._hand_back(conn, guard))
                self._handing_back.add(task)
                task.add_done_callback(self._handing_back.discard)
                handed_back = True
            raise
        finally:
            if not handed_back:
                try:
                    if conn.open_cursors:
                        await conn.close_cursors()
                finally:
                    guard.disarm()
                    self._free.put_nowait(conn)

    async def _hand_back(self, conn: ReaderConnection, guard: ReadGuard) -> None:
        try:
            # Queued on the connection's thread behind the stopped statement: once it has
            # run, nothing of the cancelled block is left on the connection.
            await conn.set_progress_handler(guard, STEPS)
            await conn.close_cursors()
        finally:
            guard.disarm()
            self._free.put_nowait(conn)
