"""What a member's data export reads: everything they wrote, by author, oldest first."""

from __future__ import annotations

from typing import Any

from feedserver.models import Post
from feedserver.store import rows
from feedserver.store.db import Connection


async def posts_by_author(conn: Connection, member_id: str) -> list[Post]:
    """The member's posts, answers and replies (current text), oldest first."""
    found = await conn.execute_fetchall(
        f"SELECT {rows.POST_COLUMNS} FROM {rows.POST_FROM} WHERE p.author_id = ? ORDER BY p.id",
        (member_id,),
    )
    return [rows.post(r) for r in found]


async def page_revisions_by_editor(conn: Connection, member_id: str) -> list[dict[str, Any]]:
    """Every FAQ page revision the member wrote, with the page it belongs to."""
    found = await conn.execute_fetchall(
        "SELECT g.name AS group_name, p.slug, r.revision, r.title, r.body, r.tags, r.created_at"
        " FROM page_revisions r JOIN pages p ON p.id = r.page_id"
        " JOIN groups g ON g.id = p.group_id"
        " WHERE r.editor_id = ? ORDER BY r.created_at, p.slug, r.revision",
        (member_id,),
    )
    return [
        {"group": r["group_name"], "slug": r["slug"], "revision": r["revision"],
         "title": r["title"], "body": r["body"], "tags": r["tags"].split(),
         "created_at": r["created_at"]}
        for r in found
    ]  # fmt: skip
