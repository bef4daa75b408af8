"""The SQLite engine: one writer connection, a small pool of readers, migrations at start-up.

Writes are serialized through one connection with BEGIN IMMEDIATE, so SQLite never sees two
writers and never answers SQLITE_BUSY under load; readers run in parallel thanks to WAL. The
writer is the project's own (`sqlite_writer.py`); readers are aiosqlite connections
(`sqlite_reader.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Generator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

from feedserver.store import migrate
from feedserver.store.admission import SEARCH_READERS, SEARCH_WAITING, Gate
from feedserver.store.data_version import DataVersion
from feedserver.store.search_process import SearchProcess
from feedserver.store.sqlite_reader import ReaderConnection
from feedserver.store.sqlite_readers import ReaderPool
from feedserver.store.sqlite_writer import (
    Unit,
    UnitFailed,
    WriterConnection,
    backup_to,
    begin,
    begin_without_waiting,
    commit,
    fold_wal,
    rollback_if_open,
    run_group,
    run_units,
    try_write_lock,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

# Most units of work one group commit takes; the rest wait for the next group.
GROUP_MAX = 64


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    @property
    def lastrowid(self) -> int | None: ...

    async def fetchone(self) -> sqlite3.Row | None: ...

    async def fetchall(self) -> Iterable[sqlite3.Row]: ...


class Statement(Protocol):
    """What `execute` returns: awaited, its cursor; in `async with`, the cursor, closed after."""

    def __await__(self) -> Generator[Any, None, Cursor]: ...

    async def __aenter__(self) -> Cursor: ...

    async def __aexit__(self, *exc: Any) -> Any: ...


class Connection(Protocol):
    """What store functions use of a connection: the writer's and the readers' alike."""

    def execute(self, sql: str, parameters: Iterable[Any] = ...) -> Statement: ...

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> Cursor: ...

    async def execute_fetchall(
        self, sql: str, parameters: Iterable[Any] = ...
    ) -> Iterable[sqlite3.Row]: ...


class Database:
    def __init__(
        self, path: Path, readers: int = 4, synchronous: str = "FULL", *,
        search_readers: int = SEARCH_READERS, search_waiting: int = SEARCH_WAITING,
        search_process: bool = False, search_nice: int = 0,
    ) -> None:  # fmt: skip
        self.path = path
        # Searches in a process of their own (store/search_process.py), made at open().
        self._search_in_process = (search_process, search_nice)
        self.search_process: SearchProcess | None = None
        self._synchronous = synchronous.upper()
        self._writer: WriterConnection | None = None
        self._write_lock = asyncio.Lock()
        self._readers = ReaderPool(path, readers)
        self._search_readers = ReaderPool(path, search_readers)
        self.search_gate = Gate(search_readers, search_waiting)
        # Committed write transactions of this process's writer (tests and metrics count
        # them). Caches of answers compare data_version(), which moves with every process's.
        self.generation = 0
        self._version: DataVersion | None = None
        # Named generations for caches of one kind of data (e.g. pinned partner keys): moved
        # by the code that changed that data, after its transaction committed.
        self._topics: dict[str, int] = {}
        # Group commit: units of work waiting for the writer, and the task draining them.
        self._grouped: list[Unit] = []
        self._grouper: asyncio.Task[None] | None = None
        # Group commit of write() blocks: the open transaction's outcome, and the task that
        # will COMMIT it once the blocks waiting for the lock have run.
        self._batch: asyncio.Future[None] | None = None
        self._committer: asyncio.Task[None] | None = None

    def data_version(self) -> int:
        """Moves with every write committed to the database by any process (this one's
        writer, another worker's, the command line's): an answer computed while it had one
        value stays exact until it moves."""
        if self._version is None:
            raise RuntimeError("the database is not open")
        return self._version.read()

    def topic_generation(self, topic: str) -> int:
        return self._topics.get(topic, 0)

    def touch(self, topic: str) -> None:
        """Say that data of `topic` changed (call after the commit), so caches reload."""
        self._topics[topic] = self._topics.get(topic, 0) + 1

    async def open(self) -> None:
        await asyncio.to_thread(_private_file, self.path)
        try:
            self._writer = await WriterConnection.open(self.path, self._synchronous)
            await self._migrate()
            # After the migrations, whose statements may touch a whole table: from here on
            # a write's statements are small, and each one's statement journal (the pages it
            # changed, for its own rollback) stays in memory instead of a temporary file
            # opened and written per statement (the search index's triggers touch ~20 pages,
            # past SQLite's 64 KiB in-memory limit, so every post made one).
            self._writer.raw.execute("PRAGMA temp_store = MEMORY")
            self._version = DataVersion(self.path)
            await self._readers.open()
            await self._search_readers.open()
            if self._search_in_process[0]:
                slots, nice = self.search_gate.slots, self._search_in_process[1]
                self.search_process = SearchProcess("sqlite", str(self.path), slots, nice)
        except BaseException:
            # Each connection owns a thread that only ends when it is closed: leave none
            # behind, or the process cannot exit.
            await self.close(checkpoint=False)
            raise

    async def close(self, *, checkpoint: bool = True) -> None:
        for task in (self._grouper, self._committer):
            if task is not None:
                await asyncio.gather(task, return_exceptions=True)
        writer, self._writer = self._writer, None
        version, self._version = self._version, None
        if version is not None:
            version.close()
        process, self.search_process = self.search_process, None
        if process is not None:
            await process.close()
        try:
            await self._readers.close()
            await self._search_readers.close()
            if writer is not None:
                rollback_if_open(writer.raw)  # a writer cancelled mid-BEGIN at shutdown
                if checkpoint:
                    await writer.on_thread(fold_wal, writer.raw)
        finally:
            if writer is not None:
                await writer.close()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[WriterConnection]:
        """One unit of work on the writer connection, durable when the block has ended and
        this returns; undone if the block raises.

        Group commit: blocks that queue for the writer while a COMMIT (and its fsync) runs
        share the next transaction, each in a SAVEPOINT but the first, and wait for that
        transaction's one COMMIT. A block runs alone on the connection (the write lock), so it
        sees its own writes and those of the blocks before it; a failing block undoes only
        itself. Alone, a write costs what it did: BEGIN, its statements, COMMIT.
        """
        writer = self._open_writer()
        async with self._write_lock:
            if self._batch is None:
                await self._begin(writer)
                self._batch = asyncio.get_running_loop().create_future()
                isolate = False  # the first block: a failure rolls the transaction back
            else:
                isolate = True
                writer.raw.execute("SAVEPOINT unit")
            batch = self._batch
            try:
                yield writer
            except BaseException:
                if isolate:
                    writer.raw.execute("ROLLBACK TO unit")
                    writer.raw.execute("RELEASE unit")
                else:
                    rollback_if_open(writer.raw)
                    self._batch = None
                raise
            if isolate:
                writer.raw.execute("RELEASE unit")
            if self._committer is None:
                # Queued behind the blocks already waiting for the lock: they join this
                # transaction first.
                self._committer = asyncio.create_task(self._commit_when_free())
        # Shielded: a caller that goes away does not take the batch's COMMIT with it.
        await asyncio.shield(batch)

    async def _begin(self, writer: WriterConnection) -> None:
        if begin_without_waiting(writer.raw):
            return
        try:
            await writer.on_thread(begin, writer.raw)  # another process holds the lock
        except BaseException:
            rollback_if_open(writer.raw)  # cancelled, the BEGIN ran all the same
            raise

    async def _commit_when_free(self) -> None:
        async with self._write_lock:
            self._committer = None
            await self._commit_batch()

    async def _commit_batch(self) -> None:
        """COMMIT the open write() transaction, if any; the write lock is held."""
        batch, self._batch = self._batch, None
        if batch is None:
            return
        writer = self._open_writer()
        try:
            await writer.on_thread(commit, writer.raw)
        except BaseException as exc:
            batch.set_exception(exc if isinstance(exc, Exception) else RuntimeError("stopped"))
            batch.exception()  # retrieved: a batch whose callers are gone logs nothing
            if not isinstance(exc, Exception):
                raise
        else:
            batch.set_result(None)
        finally:
            # Even when the COMMIT's awaiter was cancelled, it ran to its end: cached
            # answers must not outlive it (at worst one needless miss).
            self.generation += 1

    def _open_writer(self) -> WriterConnection:
        if self._writer is None:
            raise RuntimeError("the database is not open")
        return self._writer

    async def write_grouped(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work(conn)` in a write transaction shared with concurrent callers.

        Group commit: units of work that arrive while the writer is busy are applied together
        in one transaction, so they share one BEGIN/COMMIT and one fsync. A unit that raises
        leaves nothing behind and raises to its caller alone (the group is then run again
        with a SAVEPOINT per unit, so `work` may run twice and must touch nothing but the
        connection). Returns (or raises) only after the group's COMMIT, so a returned result
        is as durable as `write()`'s.

        `work` is synchronous, gets the writer's sqlite3 connection and runs on the event
        loop (see `sqlite_writer`), so it must be small: a few statements on indexed rows,
        no scans. Use it for hot units of work (the federation inbox).
        """
        self._open_writer()
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._grouped.append((work, future))
        if self._grouper is None or self._grouper.done():
            self._grouper = asyncio.create_task(self._drain_groups())
        return await future

    async def _drain_groups(self) -> None:
        while self._grouped:
            group = [(w, f) for w, f in self._grouped[:GROUP_MAX] if not f.done()]
            del self._grouped[:GROUP_MAX]
            if not group:
                continue
            async with self._write_lock:
                await self._commit_batch()  # write() blocks before these units go first
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

    async def _commit_group(self, group: list[Unit]) -> list[tuple[bool, Any]]:
        """One group in one transaction: its units on the event loop, its COMMIT (and fsync)
        on the writer's thread; if another process holds the write lock, the whole group
        runs on the thread.

        Optimistic: the units run with no SAVEPOINT, whose statement journal costs about as
        much as a small unit. If one raises, the transaction is rolled back and the group runs
        again, on the thread, with one SAVEPOINT per unit, so a failure stays its own unit's.
        This task is never cancelled (`close()` waits for it).
        """
        writer = self._open_writer()
        raw = writer.raw
        if begin_without_waiting(raw):
            try:
                outcomes = run_units(raw, group, isolate=False)
            except UnitFailed:
                raw.execute("ROLLBACK")
            except BaseException:
                raw.execute("ROLLBACK")
                raise
            else:
                await writer.on_thread(commit, raw)
                return outcomes
        return await writer.on_thread(run_group, raw, group)

    @asynccontextmanager
    async def read(
        self, *, seconds: float | None = None, abandoned: Callable[[], bool] | None = None,
        search: bool = False,
    ) -> AsyncIterator[ReaderConnection]:  # fmt: skip
        """A reader connection for one block. With `seconds`, the block's statements stop
        (QueryStopped) once that long has passed; with `abandoned`, as soon as it answers true
        (it is called on the reader's thread: it must only read a flag). A block cancelled
        while its statement runs stops that statement too, and the connection goes back to
        the pool only once its thread is free again.

        `search`: one of the readers set aside for searches, through `search_gate` (the wait
        counts against `seconds`; ReadersBusy when the line is full or the time is up)."""
        if not search:
            async with self._readers.borrow(seconds, abandoned) as conn:
                yield conn
            return
        async with (
            self.search_gate.enter(seconds, abandoned) as left,
            self._search_readers.borrow(left, abandoned) as conn,
        ):
            yield conn

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
        writer = self._open_writer()
        await asyncio.wait_for(self._write_lock.acquire(), within)
        try:
            await self._commit_batch()  # writes already made go first
            await writer.on_thread(try_write_lock, writer.raw, max(1, int(within * 1000)))
        finally:
            self._write_lock.release()

    async def backup(self, dest: Path) -> None:
        """A consistent online copy (SQLite's backup API), taken while writes are held."""
        writer = self._open_writer()
        async with self._write_lock:
            await self._commit_batch()
            await writer.on_thread(backup_to, writer.raw, dest)

    async def _migrate(self) -> None:
        writer = self._open_writer()
        await writer.on_thread(migrate.apply, writer.raw, migrate.migrations())


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
