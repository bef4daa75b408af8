"""On PostgreSQL a search reads what its page needs, not every match: counted in rows of
`posts` the transaction read (PostgreSQL's own per-transaction counters: exact, unlike time),
at ten times the matches. Before, every match of the words was read from the GIN index (a
heap row each), the newest window taken only then: ~1.1 s of server CPU for a common word at
a million posts, ~600 ms for a word common only in groups the searcher cannot read."""

from __future__ import annotations

from typing import Any

import pytest

from feedserver.config import Config
from feedserver.models import ReadScope
from feedserver.store import search as search_store
from feedserver.store.engine import open_engine
from tests import pgtest, two_groups
from tests.two_groups import ORG, PRIVATE, T

pytestmark = pytest.mark.skipif(not pgtest.ON_POSTGRESQL, reason="PostgreSQL's search")

_ROWS_READ = (
    "SELECT pg_stat_get_xact_tuples_fetched('posts'::regclass)"
    " + pg_stat_get_xact_tuples_returned('posts'::regclass)"
)


async def _database(config: Config, posts: int) -> Any:
    """`posts` posts about payroll in the private group, and one in the org group."""
    url = pgtest.database_url()
    db = open_engine(url, config.db_path, readers=1, synchronous="NORMAL")
    await db.open()
    async with db.write() as conn:
        await two_groups.seed(conn)
        rows = [(f"p{n:08d}", PRIVATE, f"payroll question {n}") for n in range(posts)]
        rows.append(("p-org", ORG, "rota"))
        await conn.executemany(
            "INSERT INTO posts (id, group_id, kind, author_id, title, body, body_html,"
            " created_at, updated_at) VALUES (?, ?, 'question', 'm-author', ?, 'b', '', ?, ?)",
            [(*row, T, T) for row in rows],
        )
        await conn.execute("ANALYZE posts")
    return db


async def _rows_read(db: Any, scope: ReadScope, match: str) -> tuple[int, int]:
    """(rows of posts read, hits) of one page of 20, in one transaction."""
    async with db.read() as conn, conn.raw.transaction():
        hits = await search_store.posts(conn, scope, match, offset=0, limit=21)
        read = await conn.execute_fetchall(_ROWS_READ)
    return int(read[0][0]), len(hits)


@pytest.fixture
async def small_and_large(config: Config) -> Any:
    dbs = [await _database(config, posts) for posts in (150, 1500)]
    yield dbs
    for db in dbs:
        await db.close()


async def test_a_word_only_in_groups_the_viewer_cannot_read_reads_no_post(
    small_and_large: list[Any],
) -> None:
    outsider = ReadScope(member_id="m-nobody", org_groups=True)  # reads the org group only
    found = [await _rows_read(db, outsider, '"payroll"*') for db in small_and_large]
    assert found == [(0, 0), (0, 0)]


async def test_a_word_in_every_post_reads_the_same_rows_at_any_size(
    small_and_large: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A window smaller than the small database, so both rank the same number of matches.
    monkeypatch.setattr(search_store, "RANK_WINDOW", 100)
    member = ReadScope(group_ids=frozenset({PRIVATE}))
    (at_small, hits_small), (at_large, hits_large) = [
        await _rows_read(db, member, '"payroll"*') for db in small_and_large
    ]
    assert hits_small == hits_large == 21
    assert at_large < at_small * 1.5 + 50, (at_small, at_large)
