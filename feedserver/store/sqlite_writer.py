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
import logging
import sqlite3
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
# A unit of a group commit (Database.write_grouped): the work, and its caller's future.
Unit = tuple[Callable[[sqlite3.Connection], Any], "asyncio.Future[Any]"]

log = logging.getLogger("feedserver.store.db")

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

    dialect = "sqlite"

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

    async def run_sync(self, work: Callable[..., T], *args: Any) -> T:
        """`work(raw, *args)`: a synchronous unit of work written for a sqlite3 connection
        (the inbox's), inside this write; the PostgreSQL engine has the same method."""
        return work(self.raw, *args)

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


def try_write_lock(conn: sqlite3.Connection, busy_ms: int) -> None:
    conn.execute(f"PRAGMA busy_timeout = {busy_ms}")
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
    finally:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def fold_wal(raw: sqlite3.Connection) -> None:
    """Fold the WAL back so a copied data directory is one self-contained file. Not being
    able to (a full disk) loses nothing: the WAL is replayed at the next start."""
    try:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.OperationalError as exc:
        log.warning("database closed without folding its WAL back: %s", exc)


def backup_to(raw: sqlite3.Connection, dest: Path) -> None:
    target = sqlite3.connect(dest)
    try:
        raw.backup(target)
    finally:
        target.close()


class UnitFailed(Exception):
    pass


def run_group(conn: sqlite3.Connection, group: list[Unit]) -> list[tuple[bool, Any]]:
    """On the writer's thread: the group in one transaction, each unit in a SAVEPOINT."""
    begin(conn)
    try:
        outcomes = run_units(conn, group, isolate=True)
    except BaseException:
        rollback_if_open(conn)
        raise
    commit(conn)
    return outcomes


def run_units(conn: sqlite3.Connection, group: list[Unit], isolate: bool) -> list[tuple[bool, Any]]:
    """The units of a group, in an open transaction. Not `isolate`d, the first failure
    raises _UnitFailed (the caller rolls back); isolated, it is undone and kept as its
    unit's outcome."""
    outcomes: list[tuple[bool, Any]] = []
    for work, _ in group:
        if isolate:
            conn.execute("SAVEPOINT grouped")
        try:
            value = work(conn)
        except Exception as exc:
            if not isolate:
                raise UnitFailed from exc
            conn.execute("ROLLBACK TO grouped")  # this unit only: undo it, keep the others
            conn.execute("RELEASE grouped")
            outcomes.append((False, exc))
        else:
            if isolate:
                conn.execute("RELEASE grouped")
            outcomes.append((True, value))
    return outcomes
