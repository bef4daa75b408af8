"""Read-only views across groups for the web pages: recent activity, unanswered questions and
a group's tags. Always restricted to the scope the access policy gave."""

from __future__ import annotations

from feedserver.models import Post, ReadScope
from feedserver.store import rows
from feedserver.store.db import Connection
from feedserver.store.scope import group_condition

_PARENT = "LEFT JOIN posts q ON q.id = p.parent_id"


async def recent_activity(
    conn: Connection, scope: ReadScope, *, limit: int, before: str | None = None
) -> list[tuple[Post, str]]:
    """Newest posts and replies in the scope's groups (older than `before`, an id, if given),
    each with its thread's title."""
    where, params = group_condition(scope, "p.group_id", "g.visibility")
    if before is not None:
        where, params = f"{where} AND p.id < ?", [*params, before]
    async with conn.execute(
        f"SELECT {rows.POST_COLUMNS}, coalesce(q.title, p.title) AS thread_title"
        f" FROM {rows.POST_FROM} {_PARENT} WHERE {where} ORDER BY p.id DESC LIMIT ?",
        (*params, limit),
    ) as cur:
        return [(rows.post(r), r["thread_title"]) for r in await cur.fetchall()]


async def unanswered(conn: Connection, scope: ReadScope, *, limit: int) -> list[Post]:
    """Questions nobody has answered yet, oldest first: they have waited longest."""
    where, params = group_condition(scope, "p.group_id", "g.visibility")
    async with conn.execute(
        f"SELECT {rows.POST_COLUMNS} FROM {rows.POST_FROM}"
        f" WHERE {where} AND p.parent_id IS NULL AND p.kind = 'question' AND p.reply_count = 0"
        " ORDER BY p.id LIMIT ?",
        (*params, limit),
    ) as cur:
        return [rows.post(r) for r in await cur.fetchall()]


async def group_tags(conn: Connection, group_id: str, *, limit: int) -> list[tuple[str, int]]:
    """The group's most used tags with their post counts."""
    async with conn.execute(
        "SELECT tag, count(*) AS n FROM post_tags WHERE group_id = ?"
        " GROUP BY tag ORDER BY n DESC, tag LIMIT ?",
        (group_id, limit),
    ) as cur:
        return [(r["tag"], r["n"]) for r in await cur.fetchall()]
