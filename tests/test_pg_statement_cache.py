"""On PostgreSQL a store statement is prepared once per connection and then run from
asyncpg's statement cache: one round trip a statement, not a Parse round trip every time
(each write transaction runs a dozen statements one after another). It is still planned for
its values each time: a generic plan, made without them, read every piece of a member's
evidence on a topic to list the newest five (bench/results.md, PostgreSQL read paths)."""

from __future__ import annotations

import pytest

from feedserver.config import Config
from feedserver.store.engine import open_engine
from tests import pgtest

pytestmark = pytest.mark.skipif(not pgtest.ON_POSTGRESQL, reason="PostgreSQL's statements")

PROBE = "SELECT ? + 1 AS statement_cache_probe"


async def test_a_statement_runs_from_one_prepared_statement(config: Config) -> None:
    db = open_engine(config.database_url, config.db_path, readers=1, synchronous="NORMAL")
    await db.open()
    try:
        async with db.write() as conn:
            for n in range(3):
                found = await conn.execute_fetchall(PROBE, (n,))
                assert found[0]["statement_cache_probe"] == n + 1
            runs = await conn.execute_fetchall(
                "SELECT generic_plans + custom_plans AS runs FROM pg_prepared_statements"
                " WHERE statement = ?",
                (PROBE.replace("?", "$1"),),
            )
            writer_mode = await conn.execute_fetchall("SHOW plan_cache_mode")
        # Prepared anew each time, each statement would have run once (if not closed yet).
        assert 3 in [r["runs"] for r in runs], [r["runs"] for r in runs]
        async with db.read() as reader:
            reader_mode = await reader.execute_fetchall("SHOW plan_cache_mode")
        assert [writer_mode[0][0], reader_mode[0][0]] == ["force_custom_plan"] * 2
    finally:
        await db.close()
