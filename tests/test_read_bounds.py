"""Database.read(): a time bound, a stop when nobody waits for the answer, and a cancelled
block's statement stopped before its connection serves anyone else."""

from __future__ import annotations

import asyncio
import time

import pytest

from feedserver.store.db import Database
from feedserver.store.read_guard import QueryStopped

# Counts to a billion: minutes of work unless something stops it.
ENDLESS = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000)"
    " SELECT count(*) FROM n"
)
DEADLINE = 20.0  # seconds a stopped query may take to end, on a loaded machine


@pytest.fixture
async def db(tmp_path):
    database = Database(tmp_path / "db.sqlite3", readers=1)
    await database.open()
    yield database
    await database.close()


async def test_a_read_past_its_time_bound_is_stopped(db):
    started = time.monotonic()
    with pytest.raises(QueryStopped) as stopped:
        async with db.read(seconds=0.05) as conn:
            await conn.execute_fetchall(ENDLESS)
    assert not stopped.value.abandoned
    assert time.monotonic() - started < DEADLINE
    async with db.read() as conn:  # the connection serves the next block as before
        assert list(await conn.execute_fetchall("SELECT 42"))[0][0] == 42


async def test_a_read_nobody_waits_for_is_stopped(db):
    gone = False

    async def hang_up() -> None:
        nonlocal gone
        await asyncio.sleep(0.05)
        gone = True

    hanging_up = asyncio.create_task(hang_up())
    with pytest.raises(QueryStopped) as stopped:
        async with db.read(abandoned=lambda: gone) as conn:
            await asyncio.wait_for(conn.execute_fetchall(ENDLESS), DEADLINE)
    await hanging_up
    assert stopped.value.abandoned


async def test_a_cancelled_read_stops_its_statement(db):
    """Before: the cancelled block's statement ran on, and the next reader waited for it."""
    running = asyncio.Event()

    async def search() -> None:
        async with db.read() as conn:
            running.set()
            await conn.execute_fetchall(ENDLESS)

    task = asyncio.create_task(search())
    await running.wait()
    await asyncio.sleep(0.05)  # the statement is under way on the reader's thread
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    async def next_reader() -> int:
        async with db.read() as conn:
            return list(await conn.execute_fetchall("SELECT 7"))[0][0]

    assert await asyncio.wait_for(next_reader(), DEADLINE) == 7


async def test_an_unbounded_read_is_not_stopped(db):
    async with db.read() as conn:
        found = await conn.execute_fetchall(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)"
            " SELECT count(*) FROM n"
        )
    assert list(found)[0][0] == 200000
