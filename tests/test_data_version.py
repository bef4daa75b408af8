"""Database.data_version(): moves with a write committed by any connection of any process,
and is read once per turn of the event loop (a request received before the read may use it;
one received after gets a fresh read)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from feedserver.store.db import Database


def _commit_elsewhere(path: Path) -> None:
    """A write by another connection, as another worker or the command line makes it."""
    with sqlite3.connect(path, isolation_level=None) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS elsewhere (n INTEGER)")
        conn.execute("INSERT INTO elsewhere VALUES (1)")
    conn.close()


async def test_another_connections_commit_moves_the_version_from_the_next_turn(
    tmp_path: Path,
) -> None:
    db = Database(tmp_path / "db.sqlite3", readers=1, synchronous="NORMAL")
    await db.open()
    try:
        before = db.data_version()
        _commit_elsewhere(db.path)
        assert db.data_version() == before  # this turn's requests came in before the write
        await asyncio.sleep(0)
        after = db.data_version()
        assert after != before
        await asyncio.sleep(0)
        assert db.data_version() == after  # nothing written since: the same
    finally:
        await db.close()


async def test_this_processs_own_writes_move_it_too(tmp_path: Path) -> None:
    db = Database(tmp_path / "db.sqlite3", readers=1, synchronous="NORMAL")
    await db.open()
    try:
        before = db.data_version()
        async with db.write() as conn:
            await conn.execute("CREATE TABLE mine (n INTEGER)")
        await asyncio.sleep(0)
        assert db.data_version() != before
    finally:
        await db.close()
