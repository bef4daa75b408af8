"""The engine the tests run on: SQLite (`make test`), or PostgreSQL when `make test-postgres`
(tests/pg_cluster.py) sets FEEDSERVER_TEST_ENGINE=postgresql and FEEDSERVER_TEST_PG_URL.

On PostgreSQL each test gets a database of its own, copied from a template that has every
migration applied (CREATE DATABASE ... TEMPLATE: a file copy), dropped after the test.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import itertools
import os
import threading
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

ENGINE = os.environ.get("FEEDSERVER_TEST_ENGINE", "sqlite")
ON_POSTGRESQL = ENGINE == "postgresql"
ADMIN_URL = os.environ.get("FEEDSERVER_TEST_PG_URL", "")
TEMPLATE = "feedserver_template"
_names = itertools.count(1)
_template_ready = False


def url_of(database: str) -> str:
    parts = urlsplit(ADMIN_URL)
    return urlunsplit(parts._replace(path=f"/{database}"))


def run_on_thread(work: Callable[[], Awaitable[Any]]) -> Any:
    """Run a coroutine to its end on a loop of its own, on a thread: the test's loop (set
    but not running while sync fixtures run) is left alone."""
    box: list[Any] = []

    def target() -> None:
        try:
            box.append((True, asyncio.run(work())))
        except BaseException as exc:  # handed to the caller
            box.append((False, exc))

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    ok, value = box[0]
    if not ok:
        raise value
    return value


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _ensure_template() -> None:
    global _template_ready
    if _template_ready:
        return
    from feedserver.store.pg import PgDatabase

    async def build() -> None:
        await _admin(f"DROP DATABASE IF EXISTS {TEMPLATE}")
        await _admin(f"CREATE DATABASE {TEMPLATE}")
        db = PgDatabase(url_of(TEMPLATE), readers=1)
        await db.open()
        await db.close()

    run_on_thread(build)
    _template_ready = True


class _Databases:
    """Test databases copied from the template on a thread of their own, a few ahead of the
    tests that take them, and dropped there after their test without the suite waiting: a
    copy and a drop take 0.1-0.4 s of the server's time each, about a third of the whole
    PostgreSQL run when each test waited for them. One admin operation at a time."""

    AHEAD = 2

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, name="pgtest-databases", daemon=True).start()
        self.lock = asyncio.Lock()
        self.ahead: collections.deque[concurrent.futures.Future[str]] = collections.deque()
        self.drops: list[concurrent.futures.Future[None]] = []

    async def _create(self) -> str:
        name = f"t_{os.getpid()}_{next(_names)}"
        async with self.lock:
            await _admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE} STRATEGY FILE_COPY")
        return url_of(name)

    async def _drop(self, name: str) -> None:
        async with self.lock:
            await _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def take(self) -> str:
        while len(self.ahead) <= self.AHEAD:
            self.ahead.append(asyncio.run_coroutine_threadsafe(self._create(), self.loop))
        return self.ahead.popleft().result()

    def drop(self, url: str) -> None:
        name = urlsplit(url).path.lstrip("/")
        self.drops.append(asyncio.run_coroutine_threadsafe(self._drop(name), self.loop))
        for done in [f for f in self.drops if f.done()]:
            self.drops.remove(done)
            done.result()  # a drop that failed fails the test that follows it

    def finish(self) -> None:
        """Drop what was made ahead and wait for every drop (a developer's cluster keeps
        nothing of the run)."""
        while self.ahead:
            self.drop(self.ahead.popleft().result())
        for future in self.drops:
            future.result()
        self.drops.clear()


_databases: _Databases | None = None


def create_database() -> str:
    """A new database with the schema; its URL."""
    global _databases
    _ensure_template()
    if _databases is None:
        _databases = _Databases()
    return _databases.take()


def drop_database(url: str) -> None:
    assert _databases is not None, "drop_database before create_database"
    _databases.drop(url)


def finish() -> None:
    if _databases is not None:
        _databases.finish()


_created: list[str] = []


def database_url() -> str:
    """The `database_url` a test's Config gets: "" (SQLite in its data_dir), or on
    PostgreSQL a new database, dropped after the test (drop_created)."""
    if not ON_POSTGRESQL:
        return ""
    url = create_database()
    _created.append(url)
    return url


def drop_created() -> None:
    while _created:
        drop_database(_created.pop())
