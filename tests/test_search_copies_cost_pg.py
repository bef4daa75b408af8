"""On PostgreSQL a search over copies by a viewer who reads none reads no post of them,
at any size: counted in rows of `cached_posts` the transaction read (PostgreSQL's own
per-transaction counters: exact, unlike time)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from feedserver.config import Config
from feedserver.domain import search_copies
from feedserver.store import search as search_store
from feedserver.store.engine import open_engine
from tests import pgtest
from tests.test_search_copies_cost import _database as _sqlite_database
from tests.test_search_copies_cost import _viewer

pytestmark = pytest.mark.skipif(not pgtest.ON_POSTGRESQL, reason="PostgreSQL's search")

_ROWS_READ = (
    "SELECT pg_stat_get_xact_tuples_fetched('cached_posts'::regclass)"
    " + pg_stat_get_xact_tuples_returned('cached_posts'::regclass)"
)


async def _database(config: Config, posts: int) -> Any:
    """The cost test's two copies (tests/test_search_copies_cost.py), on PostgreSQL."""
    db = open_engine(pgtest.database_url(), config.db_path, readers=1, synchronous="NORMAL")
    await db.open()
    await _sqlite_database(Path(), posts, db=db)
    async with db.write() as conn:
        await conn.execute("ANALYZE cached_posts")
    return db


async def _rows_read(db: Any, member_id: str, match: str) -> tuple[int, int]:
    """(rows of cached_posts read, hits) of the copies' part of one page of 20."""
    async with db.read() as conn, conn.raw.transaction():
        hits = await search_copies.found(
            conn, _viewer(member_id), match, search_store.HIT_START, search_store.HIT_END,
            window=search_store.RANK_WINDOW, broad_word=search_store.BROAD_WORD, limit=21,
        )  # fmt: skip
        read = await conn.execute_fetchall(_ROWS_READ)
    return int(read[0][0]), len(hits)


@pytest.fixture
async def small_and_large(config: Config) -> Any:
    dbs = [await _database(config, posts) for posts in (150, 1500)]
    yield dbs
    for db in dbs:
        await db.close()


async def test_a_viewer_who_reads_no_copy_reads_no_post(small_and_large: list[Any]) -> None:
    found = [await _rows_read(db, "m-none", '"payroll"') for db in small_and_large]
    assert found == [(0, 0), (0, 0)]
