"""Database.write: blocks that queue while a COMMIT runs share the next transaction and its
one COMMIT, yet each is undone alone when it raises, and none returns before its COMMIT."""

from __future__ import annotations

import asyncio
import threading

import pytest

from feedserver.store.db import Database


@pytest.fixture
async def db(tmp_path):
    database = Database(tmp_path / "db.sqlite3", readers=1)
    await database.open()
    async with database.write() as conn:
        await conn.execute("CREATE TABLE t (k TEXT PRIMARY KEY)")
    yield database
    await database.close()


async def _write(db: Database, key: str, fail: bool = False) -> str:
    async with db.write() as conn:
        await conn.execute("INSERT INTO t VALUES (?)", (key,))
        if fail:
            raise ValueError(f"block {key} fails after writing")
    return key


async def _keys(db: Database) -> set[str]:
    async with db.read() as conn, conn.execute("SELECT k FROM t") as cur:
        return {row[0] for row in await cur.fetchall()}


async def _held_writer(db: Database):
    """Hold the writer's thread, so the next COMMIT waits and writes pile up behind it."""
    gate = threading.Event()
    assert db._writer is not None
    return gate, asyncio.create_task(db._writer.on_thread(gate.wait, 30))


async def test_writes_that_queue_during_a_commit_share_the_next_one(db):
    gate, held = await _held_writer(db)
    before = db.generation
    first = asyncio.create_task(_write(db, "first"))
    rest = [asyncio.create_task(_write(db, f"k{i}")) for i in range(10)]
    await asyncio.sleep(0)
    assert not first.done()  # its COMMIT waits behind the held thread
    gate.set()
    await held
    assert await asyncio.gather(first, *rest) == ["first", *(f"k{i}" for i in range(10))]
    assert await _keys(db) == {"first", *(f"k{i}" for i in range(10))}
    # Far fewer COMMITs than writes: the first alone, or with the others in one batch.
    assert db.generation - before <= 2


async def test_a_failing_block_undoes_only_itself(db):
    gate, held = await _held_writer(db)
    tasks = [
        asyncio.create_task(
            _write(db, f"k{i}", fail=(i in (0, 4)))
        )  # the first one, and one in the middle
        for i in range(8)
    ]
    gate.set()
    await held
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    failed = {i for i, o in enumerate(outcomes) if isinstance(o, ValueError)}
    assert failed == {0, 4}
    assert await _keys(db) == {f"k{i}" for i in range(8)} - {"k0", "k4"}


async def test_a_write_returns_only_once_its_commit_is_durable(db):
    gate, held = await _held_writer(db)
    task = asyncio.create_task(_write(db, "x"))
    for _ in range(50):  # the block has run; its COMMIT waits for the held thread
        await asyncio.sleep(0)
    assert not task.done()
    assert await _keys(db) == set()  # nothing visible to readers before the COMMIT
    gate.set()
    await held
    await task
    assert await _keys(db) == {"x"}
