"""The SQLite engine: one writer connection, a small pool of readers, migrations at start-up.

Writes are serialized through one connection with BEGIN IMMEDIATE, so SQLite never sees two
writers and never answers SQLITE_BUSY under load; readers run in parallel thanks to WAL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)

Connection = aiosqlite.Connection


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

    async def _connect(self, *, query_only: bool) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        await conn.execute("PRAGMA busy_timeout = 10000")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute(f"PRAGMA synchronous = {self._synchronous}")
        if query_only:
            await conn.execute("PRAGMA query_only = ON")
        return conn

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await self._connect(query_only=False)
        await self._writer.execute("PRAGMA journal_mode = WAL")
        await self._migrate()
        for _ in range(self._reader_count):
            conn = await self._connect(query_only=True)
            self._all_readers.append(conn)
            self._readers.put_nowait(conn)

    async def close(self) -> None:
        for conn in self._all_readers:
            await conn.close()
        self._all_readers.clear()
        if self._writer is not None:
            # Fold the WAL back so a copied data directory is one self-contained file.
            await self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            await self._writer.close()
            self._writer = None

    @asynccontextmanager
    async def write(self) -> AsyncIterator[aiosqlite.Connection]:
        """One transaction on the writer connection; committed when the block ends cleanly."""
        assert self._writer is not None, "database is not open"
        async with self._write_lock:
            try:
                await self._writer.execute("BEGIN IMMEDIATE")
            except BaseException:
                # Cancelled while waiting: the BEGIN still runs on aiosqlite's thread, and
                # without this ROLLBACK (queued after it) the one writer would stay inside a
                # transaction: every later write fails. A BEGIN that failed leaves none open.
                with contextlib.suppress(sqlite3.OperationalError):
                    await self._writer.execute("ROLLBACK")
                raise
            try:
                yield self._writer
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            await self._writer.execute("COMMIT")
            self.generation += 1

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        conn = await self._readers.get()
        try:
            yield conn
        finally:
            self._readers.put_nowait(conn)

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
