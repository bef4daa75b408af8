"""The PostgreSQL engine: the same interface as the SQLite `Database` (store/db.py), so no
caller knows which one it has.

One writer connection per process, behind a lock, as on SQLite: a `write()` block is one
transaction on it, so the blocks of a process are serialized and a block sees its own
writes. Readers come from an asyncpg pool. PostgreSQL does its own group commit, so blocks
are not grouped here; `write_grouped(work)` runs the synchronous unit in a transaction of
its own (see `PgConnection.run_sync`).

Several processes (workers) may share one database: each has its own writer, and
PostgreSQL's row locks and the claim's FOR UPDATE SKIP LOCKED keep them apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import asyncpg

from feedserver.store import migrate, pg_migrate
from feedserver.store.admission import SEARCH_READERS, SEARCH_WAITING, Gate
from feedserver.store.pg_conn import PgConnection
from feedserver.store.pg_readers import SETTINGS, bounded, read_pool, setup
from feedserver.store.search_process import SearchProcess

log = logging.getLogger("feedserver.store.db")

T = TypeVar("T")
Observe = Callable[[str, float], None]


# Each write transaction notifies it; every process listens (data_version).
CHANNEL = "feedserver_data"


class PgDatabase:
    dialect = "postgresql"

    def __init__(
        self, url: str, readers: int = 4, *, observe: Observe | None = None,
        search_readers: int = SEARCH_READERS, search_waiting: int = SEARCH_WAITING,
        search_process: bool = False, search_nice: int = 0,
    ) -> None:  # fmt: skip
        self.url = url
        # Searches in a process of their own (store/search_process.py), with its own loop
        # and pool; made at open().
        self._search_in_process = (search_process, search_nice)
        self.search_process: SearchProcess | None = None
        self.path: Path | None = None  # no file: backups are pg_dump's job
        self._reader_count = max(1, readers)
        self._observe = observe
        self._writer: PgConnection | None = None
        self._pool: asyncpg.Pool | None = None
        # A pool of its own for searches, let in through the gate: as on SQLite, a burst of
        # searches never takes the connections every other page needs.
        self._search_pool: asyncpg.Pool | None = None
        self.search_gate = Gate(search_readers, search_waiting)
        self._write_lock = asyncio.Lock()
        self.generation = 0
        # Writes committed by other processes, as their NOTIFY reached our listener.
        self._notified = 0
        self._listener: asyncpg.Connection | None = None
        # Set while no LISTEN connection is up (PostgreSQL ended it: idle_session_timeout,
        # a restart): another process's write would go unseen, so nothing is remembered.
        self._deaf = False
        self._relisten: asyncio.Task[None] | None = None
        self._writer_pid = 0  # the writer's server process: its NOTIFYs are ours
        self._topics: dict[str, int] = {}

    def data_version(self) -> int:
        """Moves with every write this process commits and with every NOTIFY of another's
        (each write transaction sends one, delivered at its commit). Exact within the time a
        notification takes over the local socket: the cross-process counterpart of SQLite's
        `PRAGMA data_version`, with no round trip per request. While no LISTEN connection
        is up, each call returns a value never returned before, so no cached answer is
        reused (as SQLite's when it cannot read the version)."""
        if self._deaf:
            self._notified += 1
        return self.generation + self._notified

    def _on_notify(self, _conn: object, pid: int, _channel: str, _payload: str) -> None:
        # Our own commits already moved `generation`: counting their NOTIFY too would move
        # data_version a second time, a moment later, and drop answers cached in between.
        if pid != self._writer_pid:
            self._notified += 1

    def topic_generation(self, topic: str) -> int:
        return self._topics.get(topic, 0)

    def touch(self, topic: str) -> None:
        self._topics[topic] = self._topics.get(topic, 0) + 1

    async def _connect(self) -> asyncpg.Connection:
        conn = await asyncpg.connect(self.url, statement_cache_size=1024, server_settings=SETTINGS)
        await setup(conn)
        return conn

    async def open(self) -> None:
        try:
            raw = await self._connect()
            self._writer = PgConnection(raw)
            self._writer_pid = raw.get_server_pid()
            await self._listen()
            await pg_migrate.apply(raw, migrate.migrations(pg_migrate.DIRECTORY))
            self._pool = await read_pool(self.url, self._reader_count)
            self._search_pool = await read_pool(self.url, self.search_gate.slots)
            if self._search_in_process[0]:
                slots, nice = self.search_gate.slots, self._search_in_process[1]
                self.search_process = SearchProcess("postgresql", self.url, slots, nice)
        except BaseException:
            await self.close()
            raise

    async def _listen(self) -> None:
        listener = await self._connect()
        await listener.add_listener(CHANNEL, self._on_notify)
        listener.add_termination_listener(self._on_listener_closed)
        self._listener = listener

    def _on_listener_closed(self, closed: object) -> None:
        if closed is not self._listener:
            return  # closed by close()
        self._listener, self._deaf = None, True
        log.warning("LISTEN connection lost: cached answers are not reused until it is back")
        self._relisten = asyncio.get_running_loop().create_task(self._listen_again())

    async def _listen_again(self) -> None:
        delay = 0.5
        while self._writer is not None:
            try:
                await self._listen()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("LISTEN connection not back yet: %s", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            # Listening again: what was written while nobody listened moves the version once.
            self._notified += 1
            self._deaf = False
            return

    async def close(self, *, checkpoint: bool = True) -> None:
        del checkpoint  # nothing to fold back: PostgreSQL checkpoints by itself
        relisten, self._relisten = self._relisten, None
        if relisten is not None:
            relisten.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await relisten
        process, self.search_process = self.search_process, None
        if process is not None:
            await process.close()
        async with self._write_lock:
            writer, self._writer = self._writer, None
            pools = [self._pool, self._search_pool]
            self._pool = self._search_pool = None
            listener, self._listener = self._listener, None
            if listener is not None:
                await listener.close()
            for pool in pools:
                if pool is not None:
                    await pool.close()
            if writer is not None:
                await writer.raw.close()

    def _open_writer(self) -> PgConnection:
        if self._writer is None:
            raise RuntimeError("the database is not open")
        return self._writer

    @asynccontextmanager
    async def write(self) -> AsyncIterator[PgConnection]:
        """One transaction on the writer, committed when the block ends; undone if it raises."""
        started = time.perf_counter()
        try:
            async with self._write_lock:
                writer = self._open_writer()
                transaction = writer.raw.transaction()
                await transaction.start()
                try:
                    yield writer
                except BaseException:
                    await self._rollback(transaction)
                    raise
                try:
                    # Every process's caches of answers move on at this commit.
                    await writer.raw.execute(f"NOTIFY {CHANNEL}")
                    await transaction.commit()
                finally:
                    # Even when the COMMIT's awaiter was cancelled, caches must not outlive it.
                    self.generation += 1
        finally:
            if self._observe is not None:
                self._observe("transaction", time.perf_counter() - started)

    async def _rollback(self, transaction: Any) -> None:
        try:
            await asyncio.shield(transaction.rollback())
        except Exception as exc:  # a statement cut short by a cancel: start a clean writer
            log.warning("writer connection reset after a failed rollback: %s", exc)
            writer = self._open_writer()
            writer.raw.terminate()
            self._writer = PgConnection(await self._connect())

    async def write_grouped(self, work: Callable[[Any], T]) -> T:
        """`work(conn)` (synchronous, written for a sqlite3 connection) in a transaction."""
        started = time.perf_counter()
        try:
            async with self.write() as conn:
                return await conn.run_sync(work)
        finally:
            if self._observe is not None:
                self._observe("grouped", time.perf_counter() - started)

    @asynccontextmanager
    async def read(
        self, *, seconds: float | None = None, abandoned: Callable[[], bool] | None = None,
        search: bool = False,
    ) -> AsyncIterator[PgConnection]:  # fmt: skip
        """A pooled read connection for one block. With `seconds`, its statements stop
        (QueryStopped) once that long has passed, by PostgreSQL's statement_timeout.
        `abandoned` is not polled while a statement runs: a cancelled block cancels its
        running query (asyncpg sends PostgreSQL a cancel request).

        `search`: a connection of the searches' own pool, through `search_gate` (the wait
        counts against `seconds`, and `abandoned` is asked while waiting; ReadersBusy when
        the line is full or the time is up)."""
        if not search:
            async with bounded(self._pool, seconds) as conn:
                yield conn
            return
        async with (
            self.search_gate.enter(seconds, abandoned) as left,
            bounded(self._search_pool, left) as conn,
        ):
            yield conn

    async def check_reader(self) -> None:
        async with self.read() as conn:
            await conn.execute_fetchall("SELECT 1")

    async def check_writer(self, within: float) -> None:
        """Raise unless the writer answers within `within` s, writes already made first."""
        await asyncio.wait_for(self._write_lock.acquire(), within)
        try:
            await asyncio.wait_for(self._open_writer().execute_fetchall("SELECT 1"), within)
        finally:
            self._write_lock.release()

    async def backup(self, dest: Path) -> None:
        raise RuntimeError("a PostgreSQL database is backed up with pg_dump (see the README)")
