"""Database.write_grouped: concurrent units share a transaction, yet each succeeds or fails
alone, and nothing is returned before the group's COMMIT."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from feedserver.store.db import Database


@pytest.fixture
async def db(tmp_path):
    database = Database(tmp_path / "db.sqlite3", readers=1)
    await database.open()
    yield database
    await database.close()


def _insert(key: str, fail_after_write: bool = False):
    def work(conn: sqlite3.Connection) -> str:
        conn.execute("INSERT INTO seen_signatures (created, signature_hash) VALUES (0, ?)", (key,))
        if fail_after_write:
            raise ValueError(f"unit {key} fails after writing")
        return key

    return work


async def _keys(db: Database) -> set[str]:
    async with db.read() as conn, conn.execute("SELECT signature_hash FROM seen_signatures") as cur:
        return {row[0] for row in await cur.fetchall()}


async def test_units_that_arrive_together_commit_together(db):
    before = db.generation
    results = await asyncio.gather(*(db.write_grouped(_insert(f"k{i}")) for i in range(20)))
    assert results == [f"k{i}" for i in range(20)]
    assert await _keys(db) == {f"k{i}" for i in range(20)}
    # Fewer commits than units: they were grouped.
    assert 1 <= db.generation - before < 20


async def test_a_failing_unit_leaves_nothing_and_fails_alone(db):
    units = [_insert("a"), _insert("b", fail_after_write=True), _insert("c"), _insert("a")]
    results = await asyncio.gather(*(db.write_grouped(u) for u in units), return_exceptions=True)
    assert results[0] == "a" and results[2] == "c"
    assert isinstance(results[1], ValueError)  # its own error, to its own caller
    # The duplicate key fails on the constraint, after "a" was written in the same group.
    assert isinstance(results[3], sqlite3.IntegrityError)
    assert await _keys(db) == {"a", "c"}


async def test_the_writer_stays_usable_after_a_failed_group(db):
    await asyncio.gather(db.write_grouped(_insert("x", fail_after_write=True)),
                         return_exceptions=True)  # fmt: skip
    assert await db.write_grouped(_insert("y")) == "y"
    async with db.write() as conn:
        await conn.execute("INSERT INTO seen_signatures (created, signature_hash) VALUES (0, 'z')")
    assert await _keys(db) == {"y", "z"}


async def test_waiting_for_another_process_lock_does_not_block_the_event_loop(db):
    # Units run on the event loop; waiting for a write lock held elsewhere (the CLI, another
    # process) must not: the group waits on the writer's thread instead.
    other = sqlite3.connect(db.path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO seen_signatures (created, signature_hash) VALUES (0, 'other')")
        unit = asyncio.create_task(db.write_grouped(_insert("ours")))
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.sleep(0.2)  # the loop keeps turning while the unit waits for the lock
        assert loop.time() - started < 1.0
        assert not unit.done()
        other.execute("COMMIT")
    finally:
        other.close()
    assert await asyncio.wait_for(unit, 10) == "ours"
    assert await _keys(db) == {"other", "ours"}
