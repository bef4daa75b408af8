"""The store's connection interface over an asyncpg connection (see `pg_sql` for the SQL).

Store functions call `conn.execute(sql, params)` and read the cursor, as on SQLite; here each
statement's parameters are coerced to the types PostgreSQL gives them (learnt once per
process), it runs through asyncpg's statement cache (prepared once per connection), and its
rows are fetched whole. Rows are asyncpg Records: like sqlite3.Row they are read
by index or by column name and have `keys()`.

`run_sync(work, *args)` runs a synchronous unit of work (the inbox's, written against a
sqlite3 connection) on a thread, each of its statements sent back to the event loop and
waited for: the same function serves both engines.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Generator, Iterable
from typing import Any, TypeVar

import asyncpg

from feedserver.store import pg_sql

T = TypeVar("T")


class PgCursor:
    """A finished statement: its rows and how many rows it touched."""

    __slots__ = ("_rows", "_next", "rowcount")

    def __init__(self, found: list[Any], rowcount: int) -> None:
        self._rows = found
        self._next = 0
        self.rowcount = rowcount

    @property
    def lastrowid(self) -> int | None:
        return None  # PostgreSQL has no rowid: the store says RETURNING where it needs an id

    def fetchone_now(self) -> Any:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchall_now(self) -> list[Any]:
        rest, self._next = self._rows[self._next :], len(self._rows)
        return rest

    async def fetchone(self) -> Any:
        return self.fetchone_now()

    async def fetchall(self) -> list[Any]:
        return self.fetchall_now()

    async def __aenter__(self) -> PgCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


class _Statement:
    """What `execute` returns: awaited, the cursor; in `async with`, the cursor."""

    __slots__ = ("_run",)

    def __init__(self, run: Any) -> None:
        self._run = run

    def __await__(self) -> Generator[Any, None, PgCursor]:
        cursor: PgCursor = yield from self._run.__await__()
        return cursor

    async def __aenter__(self) -> PgCursor:
        cursor: PgCursor = await self._run
        return cursor

    async def __aexit__(self, *exc: object) -> None:
        return None


# What each statement takes and gives (its parameters' types, for coercion, and whether it
# returns rows), learnt by preparing it once per process. asyncpg's `prepare()` bypasses its
# statement cache: preparing every time cost a second round trip (Parse) and a fresh plan on
# every statement, and statements run one after another inside a write transaction.
_SHAPES: dict[str, tuple[list[str], bool]] = {}
_MAX_SHAPES = 4096


class PgConnection:
    dialect = "postgresql"

    def __init__(self, raw: asyncpg.Connection) -> None:
        self.raw = raw

    @property
    def in_transaction(self) -> bool:
        return bool(self.raw.is_in_transaction())

    async def run(self, sql: str, parameters: Any = ()) -> PgCursor:
        text, shape = pg_sql.compile_sql(sql)
        values = pg_sql.arguments(shape, parameters)
        types, returns_rows = _SHAPES.get(text) or await self._learn(text)
        arguments = pg_sql.coerce(types, values)
        # Through asyncpg's statement cache: one round trip, and one plan per connection.
        if returns_rows:
            found = await self.raw.fetch(text, *arguments)
            return PgCursor(found, len(found))
        return PgCursor([], pg_sql.rowcount(await self.raw.execute(text, *arguments)))

    async def _learn(self, text: str) -> tuple[list[str], bool]:
        statement = await self.raw.prepare(text)
        found = ([t.name for t in statement.get_parameters()], bool(statement.get_attributes()))
        if len(_SHAPES) >= _MAX_SHAPES:  # statements are a fixed set; this bounds a surprise
            _SHAPES.clear()
        _SHAPES[text] = found
        return found

    def execute(self, sql: str, parameters: Any = ()) -> _Statement:
        return _Statement(self.run(sql, parameters))

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> PgCursor:
        text, shape = pg_sql.compile_sql(sql)
        batch = [pg_sql.arguments(shape, p) for p in parameters]
        if batch:
            statement = await self.raw.prepare(text)
            types = [t.name for t in statement.get_parameters()]
            await statement.executemany([pg_sql.coerce(types, v) for v in batch])
        return PgCursor([], -1)

    async def execute_fetchall(self, sql: str, parameters: Any = ()) -> list[Any]:
        return (await self.run(sql, parameters)).fetchall_now()

    async def run_sync(self, work: Callable[..., T], *args: Any) -> T:
        """`work(sync_connection, *args)` on a thread, its statements run here. If the caller
        is cancelled, the work still ends before this returns: the connection is its own
        until then."""
        sync = SyncConnection(self, asyncio.get_running_loop())
        future = asyncio.ensure_future(asyncio.to_thread(work, sync, *args))
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            while not future.done():
                with contextlib.suppress(BaseException):
                    await asyncio.shield(future)
            raise


class SyncCursor:
    __slots__ = ("_cursor",)

    def __init__(self, cursor: PgCursor) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    def fetchone(self) -> Any:
        return self._cursor.fetchone_now()

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall_now()


class SyncConnection:
    """The part of sqlite3.Connection the inbox's synchronous units use, for a thread whose
    statements run on the event loop's connection."""

    def __init__(self, conn: PgConnection, loop: asyncio.AbstractEventLoop) -> None:
        self._conn = conn
        self._loop = loop

    def execute(self, sql: str, parameters: Any = ()) -> SyncCursor:
        run = asyncio.run_coroutine_threadsafe(self._conn.run(sql, parameters), self._loop)
        return SyncCursor(run.result())

    def executemany(self, sql: str, parameters: Iterable[Any]) -> SyncCursor:
        work = self._conn.executemany(sql, list(parameters))
        return SyncCursor(asyncio.run_coroutine_threadsafe(work, self._loop).result())
