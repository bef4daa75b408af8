"""Full-text search (FTS5, bm25), always restricted to the scope the access policy gave."""

from __future__ import annotations

from feedserver.models import Post, ReadScope
from feedserver.store import rows, search_pg
from feedserver.store.db import Connection
from feedserver.store.dialect import POSTGRESQL, dialect
from feedserver.store.scope import group_condition

# Private-use characters mark the hit in a snippet, so the caller can escape the text first
# and only then turn the markers into <mark>: user text never reaches the page unescaped.
HIT_START, HIT_END = "\ue000", "\ue001"


async def posts(
    conn: Connection, scope: ReadScope, match: str, *, offset: int, limit: int
) -> list[tuple[Post, str, float]]:
    if dialect(conn) == POSTGRESQL:
        return await search_pg.posts(
            conn, scope, match, HIT_START, HIT_END, offset=offset, limit=limit
        )
    where, params = group_condition(scope, "p.group_id", "g.visibility")
    sql = (
        f"SELECT {rows.POST_COLUMNS},"
        f" snippet(posts_fts, -1, '{HIT_START}', '{HIT_END}', '…', 16) AS snippet,"
        " bm25(posts_fts, 4.0, 1.0, 2.0) AS rank"
        f" FROM posts_fts JOIN posts p ON p.seq = posts_fts.rowid {rows.POST_JOINS}"
        f" WHERE posts_fts MATCH ? AND {where}"
        " ORDER BY rank, p.id DESC LIMIT ? OFFSET ?"
    )
    async with conn.execute(sql, (match, *params, limit, offset)) as cur:
        return [(rows.post(r), r["snippet"], r["rank"]) for r in await cur.fetchall()]
