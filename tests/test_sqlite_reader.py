"""The SQLite reader connection: a statement runs and fetches its first rows in one hand-off
to the reader's thread; a longer result is read out on demand, and no statement left unread
keeps a snapshot once its block has ended (a snapshot would stop the WAL from being
checkpointed and hold every later write's pages in it)."""

from __future__ import annotations

import sqlite3

import pytest

from feedserver.store.db import Database
from feedserver.store.sqlite_reader import FIRST_ROWS

ROWS = FIRST_ROWS * 3 + 7


@pytest.fixture
async def db(tmp_path):
    database = Database(tmp_path / "db.sqlite3", readers=1)
    await database.open()
    async with database.write() as conn:
        await conn.execute("CREATE TABLE numbers (n INTEGER PRIMARY KEY)")
        await conn.executemany("INSERT INTO numbers VALUES (?)", [(n,) for n in range(ROWS)])
    yield database
    await database.close()


async def checkpoint_blocked(db, path) -> bool:
    """Whether a reader's snapshot keeps the WAL from being checkpointed to its end (asked
    on a connection of its own: a checkpoint cannot run inside the writer's transaction)."""
    async with db.write() as conn:
        await conn.execute("INSERT INTO numbers VALUES ((SELECT max(n) + 1 FROM numbers))")
    other = sqlite3.connect(path, timeout=0)
    try:
        (busy, _, _) = other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        other.close()
    return bool(busy)


async def test_every_row_of_a_long_result_is_read(db):
    async with db.read() as conn:
        async with conn.execute("SELECT n FROM numbers ORDER BY n") as cur:
            assert [row[0] for row in await cur.fetchall()] == list(range(ROWS))
        cur = await conn.execute("SELECT n FROM numbers ORDER BY n")
        seen = [(await cur.fetchone())[0] for _ in range(FIRST_ROWS + 2)]
        assert seen == list(range(FIRST_ROWS + 2))
        assert len(await cur.fetchall()) == ROWS - FIRST_ROWS - 2
        assert await cur.fetchone() is None
        assert [r[0] for r in await conn.execute_fetchall("SELECT count(*) FROM numbers")] == [ROWS]


async def test_a_statement_left_unread_holds_no_snapshot_after_its_block(db, tmp_path):
    path = tmp_path / "db.sqlite3"
    async with db.read() as conn:
        cur = await conn.execute("SELECT n FROM numbers ORDER BY n")  # never closed
        assert (await cur.fetchone())[0] == 0
        # The open statement holds its snapshot until the block gives the reader back.
        assert await checkpoint_blocked(db, path)
    assert not await checkpoint_blocked(db, path)
    async with db.read() as conn, conn.execute("SELECT n FROM numbers") as cur:
        assert (await cur.fetchone()) is not None
    assert not await checkpoint_blocked(db, path)  # `async with` closed it at once
