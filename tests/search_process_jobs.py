"""A search job for tests/test_search_process.py, in a module of its own: the search process
imports a job by its module's name, and this one imports nothing of the tests."""

from __future__ import annotations

from typing import Any

# A query that never ends on either engine (one row at a time, in constant memory): only a
# stop ends it.
ENDLESS = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n"


async def endless(conn: Any) -> int:
    rows = await conn.execute_fetchall(ENDLESS)
    return int(rows[0][0])
