"""Notification rows and per-group levels. Reads take the access policy's ReadScope and show
only what it allows, whatever rows exist."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from feedserver.models import Notification, ReadScope
from feedserver.store import rows
from feedserver.store.db import Connection
from feedserver.store.scope import copy_condition, group_condition

EXCERPT_CHARS = 280

# About a copy of a partner's group (cached_group): the group is name@host, shared with
# partners; the post is the cached one, its thread's title its first post's, and who wrote
# an answer, a reply or a mention is its author there (username@host).
_SELECT = (
    "SELECT n.seq, n.kind, n.post_id, n.thread_id, n.subject, n.count, n.created_at, n.read_at,"
    " coalesce(g.name, cg.name || '@' || cg.host) AS group_name,"
    " coalesce(g.title, cg.title) AS group_title,"
    " coalesce(g.visibility, CASE WHEN cg.actor_id IS NULL THEN NULL ELSE 'partners' END)"
    " AS group_visibility, a.username AS actor_username,"
    " coalesce(a.display_name,"
    " CASE WHEN n.kind IN ('answer', 'reply', 'mention') THEN cp.author END)"
    " AS actor_display_name, coalesce(t.title, ct.title, '') AS thread_title,"
    " substr(coalesce(p.body, ''), 1, ?) AS excerpt"
    " FROM notifications n"
    " LEFT JOIN groups g ON g.id = n.group_id"
    " LEFT JOIN members a ON a.id = n.actor_id"
    " LEFT JOIN posts t ON t.id = n.thread_id"
    " LEFT JOIN posts p ON p.id = n.post_id"
    " LEFT JOIN cached_groups cg ON cg.actor_id = n.cached_group"
    " LEFT JOIN cached_posts cp ON cp.object_id = n.cached_post"
    " LEFT JOIN cached_posts ct ON ct.object_id = coalesce(cp.parent_id, cp.object_id)"
)


def _visible(scope: ReadScope, moderators_only: tuple[str, ...]) -> tuple[str, list[object]]:
    """Rows of groups the scope reads (or of no group); `moderators_only` kinds also need
    the member to be an owner or mentor of the group still."""
    where, params = group_condition(scope, "n.group_id", "g.visibility")
    sql = f"(n.group_id IS NULL OR {where}) AND {copy_condition('n.cached_group', 'n.member_id')}"
    if moderators_only:
        marks = ", ".join("?" for _ in moderators_only)
        sql += (
            f" AND (n.kind NOT IN ({marks}) OR EXISTS (SELECT 1 FROM memberships ms"
            " WHERE ms.group_id = n.group_id AND ms.member_id = n.member_id"
            " AND ms.role IN ('owner', 'mentor')))"
        )
        params = [*params, *moderators_only]
    return sql, params


def _row(r: sqlite3.Row) -> Notification:
    return Notification(
        seq=r["seq"], kind=r["kind"], group_name=r["group_name"], group_title=r["group_title"],
        group_visibility=r["group_visibility"], post_id=r["post_id"], thread_id=r["thread_id"],
        thread_title=r["thread_title"], actor_username=r["actor_username"],
        actor_display_name=r["actor_display_name"], subject=r["subject"], count=r["count"],
        created_at=rows.parse_ts(r["created_at"]), read=r["read_at"] is not None,
        excerpt=r["excerpt"],
    )  # fmt: skip


async def insert(
    conn: Connection, *, member_id: str, kind: str, group_id: str | None, post_id: str | None,
    thread_id: str | None, actor_id: str | None, subject: str, now: datetime, digest: bool,
    count: int = 1, cached_group: str | None = None, cached_post: str | None = None,
) -> int:  # fmt: skip
    # RETURNING, not lastrowid: PostgreSQL has no rowid to report.
    async with conn.execute(
        "INSERT INTO notifications (member_id, kind, group_id, post_id, thread_id, actor_id,"
        " subject, count, created_at, digest, cached_group, cached_post)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
        (member_id, kind, group_id, post_id, thread_id, actor_id, subject, count,
         rows.ts(now), int(digest), cached_group, cached_post),
    ) as cur:  # fmt: skip
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def take_unread(conn: Connection, member_id: str, kind: str, post_id: str) -> int:
    """Delete the member's unread notification of `kind` about `post_id` (a batch that grows
    is written again, newest); returns the count it had, 0 if none."""
    async with conn.execute(
        "SELECT seq, count FROM notifications WHERE member_id = ? AND kind = ? AND post_id = ?"
        " AND read_at IS NULL",
        (member_id, kind, post_id),
    ) as cur:
        found = await cur.fetchone()
    if found is None:
        return 0
    await conn.execute("DELETE FROM notifications WHERE seq = ?", (found["seq"],))
    return int(found["count"])


async def page(
    conn: Connection, member_id: str, scope: ReadScope, moderators_only: tuple[str, ...], *,
    before: int | None, limit: int, unread_only: bool = False,
) -> list[Notification]:  # fmt: skip
    where, params = _visible(scope, moderators_only)
    if before is not None:
        where, params = f"{where} AND n.seq < ?", [*params, before]
    if unread_only:
        where += " AND n.read_at IS NULL"
    async with conn.execute(
        f"{_SELECT} WHERE n.member_id = ? AND {where} ORDER BY n.seq DESC LIMIT ?",
        (EXCERPT_CHARS, member_id, *params, limit),
    ) as cur:
        return [_row(r) for r in await cur.fetchall()]


async def by_seqs(
    conn: Connection, member_id: str, scope: ReadScope, moderators_only: tuple[str, ...],
    seqs: tuple[int, ...],
) -> list[Notification]:  # fmt: skip
    if not seqs:
        return []
    where, params = _visible(scope, moderators_only)
    marks = ", ".join("?" for _ in seqs)
    async with conn.execute(
        f"{_SELECT} WHERE n.member_id = ? AND n.seq IN ({marks}) AND {where} ORDER BY n.seq",
        (EXCERPT_CHARS, member_id, *seqs, *params),
    ) as cur:
        return [_row(r) for r in await cur.fetchall()]


async def unread_count(
    conn: Connection, member_id: str, scope: ReadScope, moderators_only: tuple[str, ...]
) -> int:
    where, params = _visible(scope, moderators_only)
    async with conn.execute(
        "SELECT count(*) FROM notifications n LEFT JOIN groups g ON g.id = n.group_id"
        f" WHERE n.member_id = ? AND n.read_at IS NULL AND {where}",
        (member_id, *params),
    ) as cur:
        return int(rows.aggregate(await cur.fetchone())[0])


async def mark_read(conn: Connection, member_id: str, seq: int | None, now: datetime) -> int:
    """One notification (seq) or all of the member's; returns how many rows it touched."""
    sql = "UPDATE notifications SET read_at = ? WHERE member_id = ? AND read_at IS NULL"
    params: list[object] = [rows.ts(now), member_id]
    if seq is not None:
        sql, params = sql + " AND seq = ?", [*params, seq]
    cur = await conn.execute(sql, params)
    return cur.rowcount


async def exists(conn: Connection, member_id: str, seq: int) -> bool:
    async with conn.execute(
        "SELECT 1 FROM notifications WHERE member_id = ? AND seq = ?", (member_id, seq)
    ) as cur:
        return await cur.fetchone() is not None


async def delete_about_posts(conn: Connection, post_ids: list[str]) -> None:
    """A deleted post takes its notifications (and its replies') with it."""
    marks = ", ".join("?" for _ in post_ids)
    await conn.execute(
        f"DELETE FROM notifications WHERE post_id IN ({marks}) OR thread_id IN ({marks})",
        (*post_ids, *post_ids),
    )


async def delete_in_group(conn: Connection, member_id: str, group_id: str) -> None:
    await conn.execute(
        "DELETE FROM notifications WHERE member_id = ? AND group_id = ?", (member_id, group_id)
    )


async def take_digest(conn: Connection, member_id: str) -> tuple[int, ...]:
    """The member's notifications waiting for the digest, now taken by it."""
    async with conn.execute(
        "SELECT seq FROM notifications WHERE member_id = ? AND digest = 1 ORDER BY seq",
        (member_id,),
    ) as cur:
        seqs = tuple(int(r[0]) for r in await cur.fetchall())
    await conn.execute(
        "UPDATE notifications SET digest = 0 WHERE member_id = ? AND digest = 1", (member_id,)
    )
    return seqs
