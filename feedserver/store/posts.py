"""Learning posts, replies, revisions, helpful marks and tombstones.

Every write here runs inside the caller's transaction and bumps the group's change counter,
so a feed or a partner sees a change exactly when it is committed.
"""

from __future__ import annotations

from datetime import datetime

from feedserver.models import Post, Revision, Tombstone
from feedserver.store import rows
from feedserver.store.db import Connection
from feedserver.store.groups import bump_version

_SELECT = f"SELECT {rows.POST_COLUMNS} FROM {rows.POST_FROM}"


async def insert(
    conn: Connection,
    *,
    id: str,
    group_id: str,
    parent_id: str | None,
    kind: str,
    author_id: str,
    title: str,
    body: str,
    body_html: str,
    tags: tuple[str, ...],
    now: datetime,
) -> None:
    stamp = rows.ts(now)
    tag_text = " ".join(tags)
    await conn.execute(
        "INSERT INTO posts (id, group_id, parent_id, kind, author_id, title, body, body_html,"
        " tags, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (id, group_id, parent_id, kind, author_id, title, body, body_html, tag_text, stamp, stamp),
    )
    if tags:
        await conn.executemany(
            "INSERT INTO post_tags (tag, post_id, group_id) VALUES (?, ?, ?)",
            [(tag, id, group_id) for tag in tags],
        )
    await conn.execute(
        "INSERT INTO post_revisions (post_id, revision, title, body, tags, editor_id, created_at)"
        " VALUES (?, 1, ?, ?, ?, ?, ?)",
        (id, title, body, tag_text, author_id, stamp),
    )
    if parent_id is not None:
        await conn.execute(
            "UPDATE posts SET reply_count = reply_count + 1 WHERE id = ?", (parent_id,)
        )
    await bump_version(conn, group_id)


async def insert_post(conn: Connection, post: Post) -> None:
    await insert(
        conn, id=post.id, group_id=post.group_id, parent_id=post.parent_id, kind=post.kind,
        author_id=post.author_id, title=post.title, body=post.body, body_html=post.body_html,
        tags=post.tags, now=post.created_at,
    )  # fmt: skip


async def get(conn: Connection, post_id: str) -> Post | None:
    async with conn.execute(f"{_SELECT} WHERE p.id = ?", (post_id,)) as cur:
        row = await cur.fetchone()
    return rows.post(row) if row else None


async def group_page(
    conn: Connection,
    group_id: str,
    *,
    kind: str | None,
    tag: str | None,
    before: str | None,
    limit: int,
    after: str | None = None,
) -> list[Post]:
    """Top-level posts of a group, newest first, read by index range from `before`; with
    `after` instead, the `limit` posts just newer than it (paging back towards the newest)."""
    sql = _SELECT
    params: list[object] = []
    if tag is not None:
        sql += " JOIN post_tags t ON t.post_id = p.id AND t.group_id = ? AND t.tag = ?"
        params += [group_id, tag]
    sql += " WHERE p.group_id = ? AND p.parent_id IS NULL"
    params.append(group_id)
    if kind is not None:
        sql += " AND p.kind = ?"
        params.append(kind)
    if before is not None:
        sql += " AND p.id < ?"
        params.append(before)
    if after is not None:
        sql += " AND p.id > ? ORDER BY p.id LIMIT ?"
        params += [after, limit]
        async with conn.execute(sql, params) as cur:
            return [rows.post(r) for r in reversed(list(await cur.fetchall()))]
    sql += " ORDER BY p.id DESC LIMIT ?"
    params.append(limit)
    async with conn.execute(sql, params) as cur:
        return [rows.post(r) for r in await cur.fetchall()]


async def replies(conn: Connection, parent_id: str, *, after: str | None, limit: int) -> list[Post]:
    """Replies oldest first, as a thread reads."""
    async with conn.execute(
        f"{_SELECT} WHERE p.parent_id = ? AND p.id > ? ORDER BY p.id LIMIT ?",
        (parent_id, after or "", limit),
    ) as cur:
        return [rows.post(r) for r in await cur.fetchall()]


async def update(
    conn: Connection,
    post: Post,
    *,
    title: str,
    body: str,
    body_html: str,
    tags: tuple[str, ...],
    editor_id: str,
    now: datetime,
) -> int:
    """Store a new revision; returns its number."""
    revision = post.revision + 1
    stamp = rows.ts(now)
    tag_text = " ".join(tags)
    await conn.execute(
        "UPDATE posts SET title = ?, body = ?, body_html = ?, tags = ?, updated_at = ?,"
        " revision = ? WHERE id = ?",
        (title, body, body_html, tag_text, stamp, revision, post.id),
    )
    await conn.execute("DELETE FROM post_tags WHERE post_id = ?", (post.id,))
    await conn.executemany(
        "INSERT INTO post_tags (tag, post_id, group_id) VALUES (?, ?, ?)",
        [(tag, post.id, post.group_id) for tag in tags],
    )
    await conn.execute(
        "INSERT INTO post_revisions (post_id, revision, title, body, tags, editor_id, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (post.id, revision, title, body, tag_text, editor_id, stamp),
    )
    await bump_version(conn, post.group_id)
    return revision


async def revisions(conn: Connection, post_id: str) -> list[Revision]:
    async with conn.execute(
        "SELECT r.*, m.username FROM post_revisions r JOIN members m ON m.id = r.editor_id"
        " WHERE r.post_id = ? ORDER BY r.revision DESC",
        (post_id,),
    ) as cur:
        return [
            Revision(
                post_id=r["post_id"],
                revision=r["revision"],
                title=r["title"],
                body=r["body"],
                tags=tuple(r["tags"].split()),
                editor_username=r["username"],
                created_at=rows.parse_ts(r["created_at"]),
            )
            for r in await cur.fetchall()
        ]


async def delete(conn: Connection, post: Post, now: datetime) -> list[str]:
    """Delete a post and its replies, leaving tombstones; returns the deleted ids."""
    async with conn.execute(
        "SELECT id, parent_id, kind FROM posts WHERE id = ? OR parent_id = ?",
        (post.id, post.id),
    ) as cur:
        doomed = await cur.fetchall()
    stamp = rows.ts(now)
    await conn.executemany(
        "INSERT INTO tombstones (post_id, group_id, parent_id, kind, deleted_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (post_id) DO NOTHING",
        [(r["id"], post.group_id, r["parent_id"], r["kind"], stamp) for r in doomed],
    )
    # Replies first: they reference the post.
    await conn.execute("DELETE FROM posts WHERE parent_id = ?", (post.id,))
    await conn.execute("DELETE FROM posts WHERE id = ?", (post.id,))
    if post.parent_id is not None:
        await conn.execute(
            "UPDATE posts SET reply_count = reply_count - 1,"
            " accepted_answer_id = CASE WHEN accepted_answer_id = ? THEN NULL"
            " ELSE accepted_answer_id END WHERE id = ?",
            (post.id, post.parent_id),
        )
    await bump_version(conn, post.group_id)
    return [r["id"] for r in doomed]


async def tombstones_since(conn: Connection, group_id: str, since: datetime) -> list[Tombstone]:
    async with conn.execute(
        "SELECT * FROM tombstones WHERE group_id = ? AND deleted_at >= ? ORDER BY deleted_at DESC",
        (group_id, rows.ts(since)),
    ) as cur:
        return [
            Tombstone(r["post_id"], r["group_id"], r["parent_id"], rows.parse_ts(r["deleted_at"]))
            for r in await cur.fetchall()
        ]


async def set_accepted(
    conn: Connection, question: Post, answer_id: str | None, now: datetime
) -> None:
    await conn.execute(
        "UPDATE posts SET accepted_answer_id = ?, updated_at = ? WHERE id = ?",
        (answer_id, rows.ts(now), question.id),
    )
    await bump_version(conn, question.group_id)


async def mark_helpful(conn: Connection, post: Post, member_id: str, now: datetime) -> bool:
    """False when this member had already marked it."""
    cur = await conn.execute(
        "INSERT INTO helpful_marks (post_id, member_id, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT (post_id, member_id) DO NOTHING",
        (post.id, member_id, rows.ts(now)),
    )
    if cur.rowcount != 1:
        return False
    await conn.execute(
        "UPDATE posts SET helpful_count = helpful_count + 1 WHERE id = ?", (post.id,)
    )
    await bump_version(conn, post.group_id)
    return True


async def unmark_helpful(conn: Connection, post: Post, member_id: str) -> bool:
    cur = await conn.execute(
        "DELETE FROM helpful_marks WHERE post_id = ? AND member_id = ?", (post.id, member_id)
    )
    if cur.rowcount != 1:
        return False
    await conn.execute(
        "UPDATE posts SET helpful_count = helpful_count - 1 WHERE id = ?", (post.id,)
    )
    await bump_version(conn, post.group_id)
    return True


async def marked_helpful(conn: Connection, post_ids: list[str], member_id: str) -> set[str]:
    if not post_ids:
        return set()
    marks = ", ".join("?" for _ in post_ids)
    async with conn.execute(
        f"SELECT post_id FROM helpful_marks WHERE member_id = ? AND post_id IN ({marks})",
        (member_id, *post_ids),
    ) as cur:
        return {r[0] for r in await cur.fetchall()}
