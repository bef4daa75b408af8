"""What feeds show that the posts table does not say: when an answer's entry changed because
it became or stopped being the accepted one, and which tags a deleted post carried.

Both are written in the same transaction as the change they record (called from domain/).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from feedserver.models import FaqPage, Post, ReadScope, Tombstone
from feedserver.store import pages as page_store
from feedserver.store import rows
from feedserver.store.db import Connection
from feedserver.store.scope import group_condition

# Entries changed by one accept are stamped apart by this much, so no two entries of a thread
# share an `updated` (Atom readers and the W3C validator treat equal values as one change).
TICK = timedelta(microseconds=1)


async def mark_changed(conn: Connection, post_ids: list[str], now: datetime) -> None:
    """The entries of these posts changed at `now` (+1, +2 ticks... in the order given)."""
    await conn.executemany(
        "INSERT INTO feed_entry_changes (post_id, changed_at) VALUES (?, ?)"
        " ON CONFLICT (post_id) DO UPDATE SET changed_at = excluded.changed_at",
        [(post_id, rows.ts(now + TICK * (n + 1))) for n, post_id in enumerate(post_ids)],
    )


async def changed_at(conn: Connection, post_ids: list[str]) -> dict[str, datetime]:
    if not post_ids:
        return {}
    marks = ", ".join("?" for _ in post_ids)
    found = await conn.execute_fetchall(
        f"SELECT post_id, changed_at FROM feed_entry_changes WHERE post_id IN ({marks})",
        post_ids,
    )
    return {r[0]: rows.parse_ts(r[1]) for r in found}


async def remember_tags(conn: Connection, post: Post, now: datetime) -> None:
    """Before a top-level post is deleted: its tags, for the tombstones of tag feeds."""
    if post.parent_id is not None or not post.tags:
        return
    await conn.executemany(
        "INSERT INTO tombstone_tags (tag, post_id, group_id, deleted_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        [(tag, post.id, post.group_id, rows.ts(now)) for tag in post.tags],
    )


async def tag_tombstones(
    conn: Connection, tag: str, scope: ReadScope, since: datetime, limit: int
) -> list[Tombstone]:
    """Top-level posts that carried `tag`, deleted since `since` in the groups a scope reads."""
    where, params = group_condition(scope, "t.group_id", "g.visibility")
    found = await conn.execute_fetchall(
        "SELECT t.post_id, t.group_id, t.deleted_at FROM tombstone_tags t"
        f" JOIN groups g ON g.id = t.group_id WHERE t.tag = ? AND t.deleted_at >= ? AND {where}"
        " ORDER BY t.deleted_at DESC LIMIT ?",
        (tag, rows.ts(since), *params, limit),
    )
    return [Tombstone(r[0], r[1], None, rows.parse_ts(r[2])) for r in found]


async def tag_pages(
    conn: Connection, tag: str, scope: ReadScope, since: datetime, limit: int
) -> list[FaqPage]:
    """FAQ pages with a tag, changed since `since`, in the groups a scope reads; newest first.
    Reads the scope's recently changed pages by the (group, updated_at) index."""
    where, params = group_condition(scope, "pg.group_id", "g.visibility")
    found = await conn.execute_fetchall(
        f"SELECT {page_store.COLUMNS} FROM pages pg {page_store.JOINS}"
        f" WHERE pg.updated_at >= ? AND {where} AND instr(' ' || pg.tags || ' ', ?) > 0"
        " ORDER BY pg.updated_at DESC, pg.id DESC LIMIT ?",
        (rows.ts(since), *params, f" {tag} ", limit),
    )
    return [page_store.page(r) for r in found]
