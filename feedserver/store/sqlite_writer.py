"""The one SQLite write connection, owned by the project: a plain `sqlite3` connection, a
thread of our own for what may block, and the store's async connection interface on top.

Statements of a write transaction run on the event loop. The write lock is held and the
connection owns SQLite's write lock (BEGIN IMMEDIATE), so a statement never waits for a
lock; each is a few indexed rows in pages already in memory, and running it here costs less
than handing it to a thread and back (measured for the inbox's group commit: ~8-12 % more
deliveries per second; for a post, about 15 hand-offs fewer). What may block goes to the
writer's thread: waiting for another process's write lock (the CLI's), the COMMIT with its
fsync, migrations, backups and the final checkpoint. The connection is used by one thread at
a time: every call handed to the thread is awaited to its end before the loop uses the
connection again, even when the awaiting task is cancelled (`on_thread`).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

# How long a connection waits for another process's write lock (the CLI's, say).
BUSY_TIMEOUT_MS = 10000


class WriterCursor:
    """A finished statement's cursor, with the async interface of aiosqlite's readers."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    async def fetchone(self) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self._cursor.fetchone()
        return row

    async def fetchall(self) -> list[sqlite3.Row]:
        return self._cursor.fetchall()

    # Both `await conn.execute(...)` and `async with conn.execute(...) as cur` work, as with
    # aiosqlite: the statement has already run when execute() returns.
    def __await__(self) -> Generator[Any, None, WriterCursor]:
        return self
        yield  # pragma: no cover - makes this a generator that never suspends

    async def __aenter__(self) -> WriterCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()


class WriterConnection:
    """The store's connection interface over the writer's `sqlite3` connection."""

    def __init__(self, raw: sqlite3.Connection, thread: ThreadPoolExecutor) -> None:
        self.raw = raw
        self._thread = thread

    @classmethod
    async def open(cls, path: Path, synchronous: str) -> WriterConnection:
        thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        try:
            raw = await asyncio.get_running_loop().run_in_executor(
                thread, _connect, path, synchronous
            )
        except BaseException:
            thread.shutdown(wait=True)
            raise
        return cls(raw, thread)

    @property
    def in_transaction(self) -> bool:
        return self.raw.in_transaction

    # Parameters go to sqlite3 as given (a sequence, or a mapping for named ones), as with
    # aiosqlite.
    def execute(self, sql: str, parameters: Any = ()) -> WriterCursor:
        return WriterCursor(self.raw.execute(sql, parameters))

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> WriterCursor:
        return WriterCursor(self.raw.executemany(sql, parameters))

    async def execute_fetchall(self, sql: str, parameters: Any = ()) -> list[sqlite3.Row]:
        return self.raw.execute(sql, parameters).fetchall()

    async def on_thread(self, work: Callable[..., T], *args: Any) -> T:
        """Run `work(*args)` on the writer's thread. If the caller is cancelled meanwhile, the
        work still ends before this returns (raising CancelledError): until then the
        connection is the thread's, and the write lock must not pass to anyone else."""
        future = asyncio.get_running_loop().run_in_executor(self._thread, work, *args)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            while not future.done():
                # Its outcome is no longer anyone's; only its end matters.
                with contextlib.suppress(BaseException):
                    await asyncio.shield(future)
            raise

    async def close(self) -> None:
        try:
            await self.on_thread(self.raw.close)
        finally:
            self._thread.shutdown(wait=True)


def _connect(path: Path, synchronous: str) -> sqlite3.Connection:
    # check_same_thread off: the loop and the writer's thread take turns (see module doc).
    raw = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    raw.row_factory = sqlite3.Row
    raw.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    raw.execute("PRAGMA foreign_keys = ON")
    raw.execute(f"PRAGMA synchronous = {synchronous}")
    raw.execute("PRAGMA journal_mode = WAL")
    return raw


def begin_without_waiting(raw: sqlite3.Connection) -> bool:
    """BEGIN IMMEDIATE, unless another process holds the write lock (then False at once:
    waiting for it is a job for the writer's thread, not the event loop)."""
    raw.execute("PRAGMA busy_timeout = 0")
    try:
        raw.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY:
            raise
        return False
    finally:
        raw.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return True


def begin(raw: sqlite3.Connection) -> None:
    """On the thread: BEGIN IMMEDIATE, waiting up to the busy timeout for another process."""
    raw.execute("BEGIN IMMEDIATE")


def rollback_if_open(raw: sqlite3.Connection) -> None:
    if raw.in_transaction:
        raw.execute("ROLLBACK")


def commit(raw: sqlite3.Connection) -> None:
    try:
        raw.execute("COMMIT")
    except BaseException:
        rollback_if_open(raw)
        raise
