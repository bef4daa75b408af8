"""The SQLite engine: one writer connection, a small pool of readers, migrations at start-up.

Writes are serialized through one connection with BEGIN IMMEDIATE, so SQLite never sees two
writers and never answers SQLITE_BUSY under load; readers run in parallel thanks to WAL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import TypeVar

import aiosqlite

log = logging.getLogger(__name__)

Connection = aiosqlite.Connection
T = TypeVar("T")

# Most units of work one group commit takes; the rest wait for the next group.
GROUP_MAX = 64
# How long a connection waits for another process's write lock (the CLI's, say).
BUSY_TIMEOUT_MS = 10000


class Database:
    def __init__(self, path: Path, readers: int = 4, synchronous: str = "FULL") -> None:
        self.path = path
        self._reader_count = max(1, readers)
        self._synchronous = synchronous.upper()
        self._writer: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._all_readers: list[aiosqlite.Connection] = []
        # Committed write transactions of this process. A validation cache (the feeds') may
        # reuse an answer only while this has not moved. Every write that changes what a
        # member may read or what a feed holds goes through this process's writer; the CLI's
        # writes from other processes (users, tokens, partners, keys) change neither.
        self.generation = 0
        # Named generations for caches of one kind of data (e.g. pinned partner keys): moved
        # by the code that changed that data, after its transaction committed.
        self._topics: dict[str, int] = {}
        # Group commit: units of work waiting for the writer, and the task draining them.
        self._grouped: list[tuple[Callable[[sqlite3.Connection], object], asyncio.Future]] = []
        self._grouper: asyncio.Task | None = None

    def topic_generation(self, topic: str) -> int:
        return self._topics.get(topic, 0)

    def touch(self, topic: str) -> None:
        """Say that data of `topic` changed (call after the commit), so caches reload."""
        self._topics[topic] = self._topics.get(topic, 0) + 1

    async def _connect(self, *, query_only: bool) -> aiosqlite.Connection:
        # The writer is used from two threads, never at once (the write lock): aiosqlite's,
        # and the event loop's for the units of a group commit (see `_commit_group`).
        conn = await aiosqlite.connect(
            self.path, isolation_level=None, check_same_thread=query_only
        )
        conn.row_factory = sqlite3.Row
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute(f"PRAGMA synchronous = {self._synchronous}")
        if query_only:
            await conn.execute("PRAGMA query_only = ON")
        return conn

    async def open(self) -> None:
        await asyncio.to_thread(_private_file, self.path)
        try:
            self._writer = await self._connect(query_only=False)
            await self._writer.execute("PRAGMA journal_mode = WAL")
            await self._migrate()
            for _ in range(self._reader_count):
                conn = await self._connect(query_only=True)
                self._all_readers.append(conn)
                self._readers.put_nowait(conn)
        except BaseException:
            # Each connection owns a worker thread that only ends when it is closed: leave
            # none behind, or the process cannot exit.
            await self.close(checkpoint=False)
            raise

    async def close(self, *, checkpoint: bool = True) -> None:
        if self._grouper is not None:
            await asyncio.gather(self._grouper, return_exceptions=True)
        readers, self._all_readers = self._all_readers, []
        writer, self._writer = self._writer, None
        try:
            for conn in readers:
                await conn.close()
            if writer is not None and writer.in_transaction:
                await writer.execute("ROLLBACK")  # a writer cancelled mid-BEGIN at shutdown
            if writer is not None and checkpoint:
                # Fold the WAL back so a copied data directory is one self-contained file.
                await writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            if writer is not None:
                await writer.close()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[aiosqlite.Connection]:
        """One transaction on the writer connection; committed when the block ends cleanly."""
        assert self._writer is not None, "database is not open"
        async with self._write_lock:
            try:
                await self._writer.execute("BEGIN IMMEDIATE")
            except BaseException:
                # Cancelled while BEGIN ran on the writer's thread: do not leave it open. The
                # thread runs calls in order, so this check runs after the BEGIN.
                await asyncio.shield(self._writer._execute(_rollback_if_open, self._writer._conn))
                raise
            try:
                yield self._writer
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            await self._writer.execute("COMMIT")
            self.generation += 1

    async def write_grouped(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work(conn)` in a write transaction shared with concurrent callers.

        Group commit: units of work that arrive while the writer is busy are applied together
        in one transaction, so they share one BEGIN/COMMIT and one fsync. A unit that raises
        leaves nothing behind and raises to its caller alone (the group is then run again
        with a SAVEPOINT per unit, so `work` may run twice and must touch nothing but the
        connection). Returns (or raises) only after the group's COMMIT, so a returned result
        is as durable as `write()`'s.

        SQLite-specific: `work` is synchronous, gets the writer's sqlite3 connection and runs
        on the event loop (see `_commit_group`), so it must be small: a few statements on
        indexed rows, no scans. Use it for hot units of work (the federation inbox); the
        PostgreSQL engine runs the same unit as an ordinary transaction.
        """
        assert self._writer is not None, "database is not open"
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._grouped.append((work, future))
        if self._grouper is None or self._grouper.done():
            self._grouper = asyncio.create_task(self._drain_groups())
        return await future

    async def _drain_groups(self) -> None:
        assert self._writer is not None
        while self._grouped:
            group = [(w, f) for w, f in self._grouped[:GROUP_MAX] if not f.done()]
            del self._grouped[:GROUP_MAX]
            if not group:
                continue
            async with self._write_lock:
                try:
                    outcomes = await self._commit_group(group)
                except Exception as exc:  # the group as a whole failed; nothing of it stays
                    outcomes = [(False, exc)] * len(group)
                else:
                    self.generation += 1
            for (_, future), (ok, value) in zip(group, outcomes, strict=True):
                if future.done():  # its caller went away; the work is committed all the same
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)

    async def _commit_group(self, group: list) -> list[tuple[bool, object]]:
        """One group in one transaction: its units on the event loop, its COMMIT (and fsync)
        on the writer's thread.

        The units run here because each is a few statements on pages in memory, and on the
        writer's thread every statement would hand the GIL back and forth with a busy event
        loop, costing more than the statement (measured: the inbox delivered ~8-12% more in
        paired runs). What may block for long stays off the loop: the COMMIT's fsync, and
        waiting for another process's write lock (then the whole group runs on the thread).
        The connection is used on the loop only while the write lock is held and the thread
        is idle: every call to the thread is awaited before the lock is released (this task
        is never cancelled; `close()` waits for it).

        Optimistic: the units run with no SAVEPOINT, whose statement journal costs about as
        much as a small unit. If one raises, the transaction is rolled back and the group runs
        again, on the thread, with one SAVEPOINT per unit, so a failure stays its own unit's.
        """
        assert self._writer is not None
        writer, conn = self._writer, self._writer._conn  # aiosqlite runs functions with _execute
        if _begin_without_waiting(conn):
            try:
                outcomes = _run_units(conn, group, isolate=False)
            except _UnitFailed:
                conn.execute("ROLLBACK")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            else:
                await writer._execute(_commit, conn)
                return outcomes
        return await writer._execute(_run_group, conn, group)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        conn = await self._readers.get()
        try:
            yield conn
        finally:
            self._readers.put_nowait(conn)

    async def check_reader(self) -> None:
        """Raise unless a reader connection answers a query (for /readyz)."""
        async with self.read() as conn, conn.execute("SELECT 1") as cur:
            await cur.fetchone()

    async def check_writer(self, within: float) -> None:
        """Raise unless the writer takes SQLite's write lock within `within` s (for /readyz).

        BEGIN IMMEDIATE then ROLLBACK: proves the writer's thread runs and no other process
        holds the lock for good, without committing, so `generation` (and every cache keyed
        on it) does not move.
        """
        assert self._writer is not None, "database is not open"
        writer = self._writer
        await asyncio.wait_for(self._write_lock.acquire(), within)
        try:
            busy_ms = max(1, int(within * 1000))
            probe = asyncio.ensure_future(
                writer._execute(_try_write_lock, writer._conn, busy_ms)  # type: ignore[no-untyped-call]
            )
            try:
                await asyncio.shield(probe)
            except asyncio.CancelledError:
                # The writer's thread holds the connection: keep the lock until it is done.
                await asyncio.wait([probe])
                raise
        finally:
            self._write_lock.release()

    async def backup(self, dest: Path) -> None:
        """A consistent online copy (SQLite's backup API), taken while writes are held."""
        assert self._writer is not None
        async with self._write_lock:
            target = await aiosqlite.connect(dest)
            try:
                await self._writer.backup(target)
            finally:
                await target.close()

    async def _migrate(self) -> None:
        assert self._writer is not None
        await self._writer.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
        )
        async with self._writer.execute("SELECT version FROM schema_migrations") as cur:
            applied = {row[0] for row in await cur.fetchall()}
        for version, name, sql in migrations():
            if version in applied:
                continue
            log.info("applying migration %04d_%s", version, name)
            # executescript commits what came before it, so the whole file and its record
            # go in one explicit transaction: a failed migration leaves nothing behind.
            script = (
                f"BEGIN IMMEDIATE;\n{sql}\n;"
                f"INSERT INTO schema_migrations (version, name) VALUES ({version}, '{name}');"
                "COMMIT;"
            )
            try:
                await self._writer.executescript(script)
            except Exception:
                await self._writer.execute("ROLLBACK")
                raise


def _rollback_if_open(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _private_file(path: Path) -> None:
    """The database holds password hashes and tokens: readable by its owner only (0600, in a
    0700 directory when we create it). SQLite gives its -wal and -shm files the same mode."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for name in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(FileNotFoundError):
            if name.stat().st_mode & 0o077:
                log.warning("%s was readable by others; made it 0600", name)
                name.chmod(0o600)


def _try_write_lock(conn: sqlite3.Connection, busy_ms: int) -> None:
    conn.execute(f"PRAGMA busy_timeout = {busy_ms}")
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
    finally:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def _begin_without_waiting(conn: sqlite3.Connection) -> bool:
    """BEGIN IMMEDIATE, unless another process holds the write lock (then False at once:
    waiting for it is a job for the writer's thread, not the event loop)."""
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY:
            raise
        return False
    finally:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return True


def _commit(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("COMMIT")
    except BaseException:
        _rollback_if_open(conn)
        raise


class _UnitFailed(Exception):
    pass


def _run_group(conn: sqlite3.Connection, group: list) -> list[tuple[bool, object]]:
    """On the writer's thread: the group in one transaction, each unit in a SAVEPOINT."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        outcomes = _run_units(conn, group, isolate=True)
    except BaseException:
        _rollback_if_open(conn)
        raise
    _commit(conn)
    return outcomes


def _run_units(conn: sqlite3.Connection, group: list, isolate: bool) -> list[tuple[bool, object]]:
    """The units of a group, in an open transaction. Not `isolate`d, the first failure
    raises _UnitFailed (the caller rolls back); isolated, it is undone and kept as its
    unit's outcome."""
    outcomes: list[tuple[bool, object]] = []
    for work, _ in group:
        if isolate:
            conn.execute("SAVEPOINT grouped")
        try:
            value = work(conn)
        except Exception as exc:
            if not isolate:
                raise _UnitFailed from exc
            conn.execute("ROLLBACK TO grouped")  # this unit only: undo it, keep the others
            conn.execute("RELEASE grouped")
            outcomes.append((False, exc))
        else:
            if isolate:
                conn.execute("RELEASE grouped")
            outcomes.append((True, value))
    return outcomes


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every file in store/migrations, in order."""
    found = []
    for entry in resources.files("feedserver.store").joinpath("migrations").iterdir():
        if entry.name.endswith(".sql"):
            number, _, rest = entry.name.partition("_")
            found.append((int(number), rest.removesuffix(".sql"), entry.read_text("utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(versions) != len(set(versions)):
        raise RuntimeError(f"two migrations share a number: {versions}")
    return found
