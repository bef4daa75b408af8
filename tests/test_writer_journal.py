"""The SQLite writer keeps statement journals in memory once the migrations have run: a
post's INSERT touches more pages than SQLite keeps in memory before it opens a temporary
file, which cost every post a file (docs/architecture.md, "Statement journals in memory")."""

from __future__ import annotations

import pytest

from feedserver.store.db import Database

pytestmark = pytest.mark.sqlite_only("about the SQLite writer connection's settings")

MEMORY = 2  # PRAGMA temp_store: 0 default, 1 file, 2 memory


async def test_the_writer_journals_statements_in_memory(tmp_path):
    db = Database(tmp_path / "db.sqlite3")
    await db.open()
    try:
        async with db.write() as conn:
            (row,) = await conn.execute_fetchall("PRAGMA temp_store")
            assert row[0] == MEMORY
    finally:
        await db.close()
