"""A SQLite reader connection: aiosqlite's, with the store's async connection interface on
top, and one hand-off to its thread per statement.

aiosqlite hands each call to its thread and back: a statement read through it costs three
(`execute`, `fetchone`/`fetchall`, the cursor's `close`), each a queue, a thread wake-up and
an event-loop wake-up. Here a statement runs and fetches its first rows in one hand-off:
about half the CPU per statement (~220 -> ~120 us on this project's 2-core machine), on
every page, feed and API request (the bearer token is a read too). A statement with more
rows than a first batch keeps its cursor open for the rest, so asking whether a row exists
never reads a whole table; the cursor is closed by the block's end, or by reading it out.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from feedserver.store.sqlite_writer import BUSY_TIMEOUT_MS

T = TypeVar("T")

# Rows fetched with the statement itself: more than any page the store reads holds, so the
# rest is fetched (one more hand-off) only by a caller that reads beyond them.
FIRST_ROWS = 128


def _run(raw: sqlite3.Connection, sql: str, parameters: Any) -> tuple[list[Any], Any]:
    cursor = raw.execute(sql, parameters)
    rows = cursor.fetchmany(FIRST_ROWS)
    if len(rows) < FIRST_ROWS:
        cursor.close()
        return rows, None
    return rows, cursor


def _rest(cursor: sqlite3.Cursor) -> list[Any]:
    try:
        return cursor.fetchall()
    finally:
        cursor.close()


class ReaderCursor:
    """A statement's rows, with the async interface of the writer's cursors."""

    __slots__ = ("_rows", "_open", "_conn")

    def __init__(self, rows: list[Any], open_cursor: Any, conn: ReaderConnection) -> None:
        self._rows = rows
        self._open: sqlite3.Cursor | None = open_cursor
        self._conn = conn

    @property
    def rowcount(self) -> int:
        return -1  # readers only read

    @property
    def lastrowid(self) -> int | None:
        return None

    async def fetchone(self) -> sqlite3.Row | None:
        if not self._rows and self._open is not None:
            await self._read_out()
        return self._rows.pop(0) if self._rows else None

    async def fetchall(self) -> list[sqlite3.Row]:
        if self._open is not None:
            await self._read_out()
        rows, self._rows = self._rows, []
        return rows

    async def _read_out(self) -> None:
        cursor, self._open = self._open, None
        if cursor is not None:
            self._conn.open_cursors.discard(cursor)
            self._rows += await self._conn.on_thread(_rest, cursor)

    async def close(self) -> None:
        """Ends the statement's read transaction (an open cursor keeps its snapshot)."""
        cursor, self._open = self._open, None
        if cursor is not None:
            self._conn.open_cursors.discard(cursor)
            await self._conn.on_thread(cursor.close)


class ReaderStatement:
    """What `execute` returns: awaited, its cursor; in `async with`, the cursor, closed after."""

    __slots__ = ("_conn", "_sql", "_parameters", "_cursor")

    def __init__(self, conn: ReaderConnection, sql: str, parameters: Any) -> None:
        self._conn, self._sql, self._parameters = conn, sql, parameters
        self._cursor: ReaderCursor | None = None

    async def _execute(self) -> ReaderCursor:
        rows, open_cursor = await self._conn.on_thread(
            _run, self._conn.raw, self._sql, self._parameters
        )
        if open_cursor is not None:
            self._conn.open_cursors.add(open_cursor)
        self._cursor = ReaderCursor(rows, open_cursor, self._conn)
        return self._cursor

    def __await__(self) -> Generator[Any, None, ReaderCursor]:
        return self._execute().__await__()

    async def __aenter__(self) -> ReaderCursor:
        return await self._execute()

    async def __aexit__(self, *exc: object) -> None:
        if self._cursor is not None:
            await self._cursor.close()


class ReaderConnection:
    """The store's connection interface over one aiosqlite reader connection (query_only).
    Calls run on its thread one at a time, in order: a call made after a cancelled one runs
    once the cancelled one has ended (what `ReaderPool` relies on to lend it again)."""

    dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        # Cursors of statements not read out nor closed (awaited without `async with`):
        # closed when the connection goes back to its pool, so no snapshot outlives a block.
        self.open_cursors: set[sqlite3.Cursor] = set()

    @classmethod
    async def open(cls, path: Path) -> ReaderConnection:
        conn = await aiosqlite.connect(path, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA query_only = ON")
        except BaseException:
            await conn.close()
            raise
        return cls(conn)

    @property
    def raw(self) -> sqlite3.Connection:
        """The sqlite3 connection, for work run on the connection's thread only."""
        return self._conn._conn

    def execute(self, sql: str, parameters: Any = ()) -> ReaderStatement:
        return ReaderStatement(self, sql, parameters)

    async def executemany(self, sql: str, parameters: Any) -> ReaderCursor:
        """Part of the store's connection interface; on a reader (query_only) only a read
        would pass, and the store has none that takes many parameter sets."""
        await self.on_thread(self.raw.executemany, sql, parameters)
        return ReaderCursor([], None, self)

    async def execute_fetchall(self, sql: str, parameters: Any = ()) -> list[sqlite3.Row]:
        async with self.execute(sql, parameters) as cursor:
            return await cursor.fetchall()

    async def close_cursors(self) -> None:
        cursors, self.open_cursors = list(self.open_cursors), set()
        for cursor in cursors:
            await self.on_thread(cursor.close)

    async def set_progress_handler(self, handler: Callable[[], int], steps: int) -> None:
        await self._conn.set_progress_handler(handler, steps)

    async def on_thread(self, work: Callable[..., T], *args: Any) -> T:
        """`work(*args)` on the connection's thread, in one hand-off: aiosqlite's own way of
        running a call there (every one of its methods is this call around a sqlite3 one)."""
        result: T = await self._conn._execute(work, *args)  # type: ignore[no-untyped-call]
        return result

    async def close(self) -> None:
        await self._conn.close()
