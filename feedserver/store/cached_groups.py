"""The member side of shared groups: a partner's group as its host last told us, which of
our members belong to it, and its posts as received (the signed object kept whole).

Writes run in the inbox's unit of work on the writer's thread (plain sqlite3); reads are
the usual async connection. Only newer state applies: a group's version, a post's
`updated`, so a late or replayed older copy changes nothing."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from feedserver.models import CachedGroup, CachedPost, CachedTombstone
from feedserver.store import rows
from feedserver.store.cached_feed_keys import feed_key, put_tags
from feedserver.store.db import Connection
from feedserver.store.html_text import text_of


def put_group(
    conn: sqlite3.Connection, *, actor_id: str, host: str, name: str, title: str,
    description: str, version: int, members: Iterable[tuple[str, str]], now: datetime,
) -> bool:  # fmt: skip
    """Insert or replace the group and its members here [(member id, role)]; False (nothing
    changed) when what we hold is newer."""
    if holds_newer(conn, actor_id, version):
        return False
    conn.execute(
        "INSERT INTO cached_groups (actor_id, host, name, title, description, version,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (actor_id) DO UPDATE SET"
        " title = excluded.title, description = excluded.description,"
        " version = excluded.version, updated_at = excluded.updated_at",
        (actor_id, host, name, title, description, version, rows.ts(now)),
    )
    conn.execute("DELETE FROM cached_group_members WHERE group_actor = ?", (actor_id,))
    conn.executemany(
        "INSERT INTO cached_group_members (group_actor, member_id, role) VALUES (?, ?, ?)"
        " ON CONFLICT (group_actor, member_id) DO UPDATE SET role = excluded.role",
        [(actor_id, member_id, role) for member_id, role in members],
    )
    return True


def holds_newer(conn: sqlite3.Connection, actor_id: str, version: int) -> bool:
    """Whether the copy held is of a newer version than `version`."""
    row = conn.execute(
        "SELECT version FROM cached_groups WHERE actor_id = ?", (actor_id,)
    ).fetchone()
    return row is not None and int(row[0]) > version


def delete_group(conn: sqlite3.Connection, host: str, actor_id: str) -> None:
    """The group, its members here, its posts and their tombstones (cascade): nothing of
    it stays readable."""
    conn.execute("DELETE FROM cached_groups WHERE actor_id = ? AND host = ?", (actor_id, host))


def group_host(conn: sqlite3.Connection, actor_id: str) -> str | None:
    row = conn.execute("SELECT host FROM cached_groups WHERE actor_id = ?", (actor_id,)).fetchone()
    return row[0] if row else None


def put_post(
    conn: sqlite3.Connection, *, object_id: str, group_actor: str, parent_id: str | None,
    kind: str, author: str, title: str, body_html: str, tags: str, published: str,
    updated: str, obj: dict[str, Any], now: datetime, writer_id: str | None = None,
) -> bool:  # fmt: skip
    """Insert or replace a post unless the one held is newer, or it was deleted (a late relay
    of it brings nothing back); `writer_id`: our member who wrote it, when we signed it. It
    keeps its feed key (store/cached_feed_keys.py) once it has one, so an edit does not move
    it in a feed's pages; `now` is when we took it."""
    if conn.execute("SELECT 1 FROM cached_tombstones WHERE object_id = ?", (object_id,)).fetchone():
        return False
    row = conn.execute(
        "SELECT updated, group_actor, feed_key FROM cached_posts WHERE object_id = ?",
        (object_id,),
    ).fetchone()
    if row is not None and (row[0] > updated or row[1] != group_actor):
        return False
    key = (row[2] if row is not None else None) or feed_key(published)
    conn.execute(
        "INSERT INTO cached_posts (object_id, group_actor, parent_id, kind, author,"
        " title, body_html, tags, published, updated, object, writer_id, feed_key, received_at,"
        " body_text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (object_id) DO UPDATE SET"
        " group_actor = excluded.group_actor, parent_id = excluded.parent_id,"
        " kind = excluded.kind, author = excluded.author, title = excluded.title,"
        " body_html = excluded.body_html, body_text = excluded.body_text, tags = excluded.tags,"
        " published = excluded.published,"
        " updated = excluded.updated, object = excluded.object, state = 'accepted',"
        " writer_id = coalesce(cached_posts.writer_id, excluded.writer_id),"
        " feed_key = excluded.feed_key, received_at = excluded.received_at",
        (object_id, group_actor, parent_id, kind, author, title, body_html, tags, published,
         updated, json.dumps(obj, ensure_ascii=False, separators=(",", ":")), writer_id, key,
         rows.ts(now), text_of(body_html)),
    )  # fmt: skip
    put_tags(conn, group_actor, object_id, key, tags.split() if parent_id is None else [])
    return True


async def put_pending(
    conn: Connection, *, object_id: str, group_actor: str, parent_id: str | None, kind: str,
    author: str, title: str, body_html: str, tags: str, published: str, obj: dict[str, Any],
    writer_id: str, activity_id: str,
) -> None:  # fmt: skip
    """One of our members' writes into the group, shown to them until the host relays it."""
    await conn.execute(
        "INSERT INTO cached_posts (object_id, group_actor, parent_id, kind, author, title,"
        " body_html, tags, published, updated, object, state, writer_id, activity_id, feed_key,"
        " body_text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)",
        (object_id, group_actor, parent_id, kind, author, title, body_html, tags, published,
         published, json.dumps(obj, ensure_ascii=False, separators=(",", ":")), writer_id,
         activity_id, feed_key(published), text_of(body_html)),
    )  # fmt: skip


async def set_accepted(conn: Connection, question_id: str, answer_id: str | None) -> None:
    await conn.execute(
        "UPDATE cached_posts SET accepted_answer = ? WHERE object_id = ?", (answer_id, question_id)
    )


async def refuse(conn: Connection, activity_id: str) -> str | None:
    """The host will not take the write that activity carried: the kind of the post it
    marks refused, if it carried one still pending."""
    async with conn.execute(
        "UPDATE cached_posts SET state = 'refused' WHERE activity_id = ? AND state = 'pending'"
        " RETURNING kind",
        (activity_id,),
    ) as cur:
        row = await cur.fetchone()
    return None if row is None else str(row[0])


def delete_post(conn: sqlite3.Connection, group_actor: str, object_id: str, now: datetime) -> None:
    """The post and its replies go; each leaves a tombstone (its id, thread and `now`)."""
    conn.execute(
        "INSERT INTO cached_tombstones (object_id, group_actor, parent_id, deleted_at)"
        " SELECT object_id, group_actor, parent_id, ? FROM cached_posts"
        " WHERE group_actor = ? AND (object_id = ? OR parent_id = ?)"
        " ON CONFLICT (object_id) DO NOTHING",
        (rows.ts(now), group_actor, object_id, object_id),
    )
    conn.execute(
        "DELETE FROM cached_posts WHERE group_actor = ? AND (object_id = ? OR parent_id = ?)",
        (group_actor, object_id, object_id),
    )


# --- reads ----------------------------------------------------------------------------


def _group(row: sqlite3.Row) -> CachedGroup:
    return CachedGroup(
        actor_id=row["actor_id"], host=row["host"], name=row["name"], title=row["title"],
        description=row["description"], version=row["version"],
        organization=row["organization"], role=row["role"],
    )  # fmt: skip


_GROUP_SELECT = (
    "SELECT cg.*, p.name AS organization, cm.role FROM cached_groups cg"
    " JOIN partners p ON p.host = cg.host"
    " LEFT JOIN cached_group_members cm ON cm.group_actor = cg.actor_id AND cm.member_id = ?"
)


async def by_actor(conn: Connection, actor_id: str, member_id: str) -> CachedGroup | None:
    """The cached group, with `member_id`'s role in it."""
    async with conn.execute(_GROUP_SELECT + " WHERE cg.actor_id = ?", (member_id, actor_id)) as cur:
        row = await cur.fetchone()
    return _group(row) if row else None


async def of_member(conn: Connection, member_id: str) -> list[CachedGroup]:
    """The cached groups `member_id` belongs to, by name."""
    async with conn.execute(
        _GROUP_SELECT + " WHERE cm.member_id IS NOT NULL ORDER BY cg.name, cg.host", (member_id,)
    ) as cur:
        return [_group(row) for row in await cur.fetchall()]


async def tags_of(conn: Connection, object_id: str) -> str | None:
    """The tags a held post carries (space-separated); None when we hold no such post."""
    async with conn.execute(
        "SELECT tags FROM cached_posts WHERE object_id = ?", (object_id,)
    ) as cur:
        row = await cur.fetchone()
    return None if row is None else str(row[0])


async def is_pending(conn: Connection, object_id: str) -> bool:
    """Whether the held post is one of our members' writes the host has not relayed yet."""
    async with conn.execute(
        "SELECT 1 FROM cached_posts WHERE object_id = ? AND state = 'pending'", (object_id,)
    ) as cur:
        return await cur.fetchone() is not None


async def writer_of(conn: Connection, object_id: str) -> str | None:
    """Our member who wrote a held post, if one of ours did."""
    async with conn.execute(
        "SELECT writer_id FROM cached_posts WHERE object_id = ?", (object_id,)
    ) as cur:
        row = await cur.fetchone()
    return None if row is None or row[0] is None else str(row[0])


async def post(conn: Connection, group_actor: str, object_id: str) -> CachedPost | None:
    """A post the host relayed (only those may be answered)."""
    async with conn.execute(
        "SELECT * FROM cached_posts WHERE object_id = ? AND group_actor = ? AND state = 'accepted'",
        (object_id, group_actor),
    ) as cur:
        row = await cur.fetchone()
    return _post(row) if row else None


async def post_of_writer(
    conn: Connection, group_actor: str, object_id: str, writer_id: str | None
) -> CachedPost | None:
    """A post the host relayed, or one `writer_id` wrote here that it has not (yet)."""
    async with conn.execute(
        "SELECT * FROM cached_posts WHERE object_id = ? AND group_actor = ?"
        " AND (state = 'accepted' OR writer_id = ?)",
        (object_id, group_actor, writer_id),
    ) as cur:
        row = await cur.fetchone()
    return _post(row) if row else None


async def source(conn: Connection, object_id: str) -> str:
    """The Markdown a post's object carries (our own members' posts carry theirs)."""
    async with conn.execute(
        "SELECT object FROM cached_posts WHERE object_id = ?", (object_id,)
    ) as cur:
        row = await cur.fetchone()
    found = json.loads(row[0]).get("source") if row else None
    text = found.get("content") if isinstance(found, dict) else None
    return text if isinstance(text, str) else ""


async def object_of(conn: Connection, object_id: str) -> dict[str, Any] | None:
    """The signed object a held post keeps."""
    async with conn.execute(
        "SELECT object FROM cached_posts WHERE object_id = ?", (object_id,)
    ) as cur:
        row = await cur.fetchone()
    found = json.loads(row[0]) if row else None
    return found if isinstance(found, dict) else None


async def rename_write(
    conn: Connection, object_id: str, *, author: str, updated: str, obj: dict[str, Any]
) -> None:
    """One of our members' writes, signed again under their new name (they were deleted,
    their posts kept): our copy shows it at once, whatever state it is in."""
    await conn.execute(
        "UPDATE cached_posts SET author = ?, updated = ?, object = ? WHERE object_id = ?",
        (author, updated, json.dumps(obj, ensure_ascii=False, separators=(",", ":")), object_id),
    )


async def sources_of_writer(
    conn: Connection, group_actor: str, writer_id: str, limit: int
) -> dict[str, str]:
    """{object id: Markdown} of the newest `limit` posts `writer_id` wrote in the group that
    its host took: what their edit forms start from."""
    async with conn.execute(
        "SELECT object_id, object FROM cached_posts WHERE group_actor = ? AND writer_id = ?"
        " AND state = 'accepted' ORDER BY published DESC LIMIT ?",
        (group_actor, writer_id, limit),
    ) as cur:
        found = {row[0]: json.loads(row[1]).get("source") for row in await cur.fetchall()}
    return {
        object_id: source["content"]
        for object_id, source in found.items()
        if isinstance(source, dict) and isinstance(source.get("content"), str)
    }


async def writes_of(conn: Connection, writer_id: str) -> list[CachedPost]:
    """Every post `writer_id` wrote here into partners' groups, in any state, replies first
    (a reply goes with its thread)."""
    async with conn.execute(
        "SELECT * FROM cached_posts WHERE writer_id = ?"
        " ORDER BY parent_id IS NULL, published, object_id",
        (writer_id,),
    ) as cur:
        return [_post(row) for row in await cur.fetchall()]


async def forget_refused(conn: Connection, object_id: str) -> None:
    """A write its host refused, removed by its writer: it never left here."""
    await conn.execute(
        "DELETE FROM cached_posts WHERE object_id = ? AND state = 'refused'", (object_id,)
    )


async def by_address(
    conn: Connection, name: str, host: str, member_id: str | None
) -> CachedGroup | None:
    """The group `name` of partner `host`, with `member_id`'s role in it (None: not one)."""
    async with conn.execute(
        _GROUP_SELECT + " WHERE cg.name = ? AND cg.host = ?", (member_id, name, host)
    ) as cur:
        row = await cur.fetchone()
    return _group(row) if row else None


def from_row(row: sqlite3.Row) -> CachedPost:
    """A post from a row of cached_posts (its columns by name), for other stores' reads."""
    return _post(row)


def _post(row: sqlite3.Row, helpful: int = 0) -> CachedPost:
    return CachedPost(
        object_id=row["object_id"], group_actor=row["group_actor"], parent_id=row["parent_id"],
        kind=row["kind"], author=row["author"], title=row["title"], body_html=row["body_html"],
        tags=tuple(row["tags"].split()), published=rows.parse_ts(row["published"]),
        updated=rows.parse_ts(row["updated"]), state=row["state"], writer_id=row["writer_id"],
        accepted_answer=row["accepted_answer"], helpful_count=helpful,
        feed_key=row["feed_key"] or "",
        received_at=rows.parse_ts(row["received_at"]) if row["received_at"] else None,
    )  # fmt: skip


async def posts(
    conn: Connection, group_actor: str, limit: int, writer_id: str | None = None
) -> list[CachedPost]:
    """The group's posts and replies, newest first: those its host relayed, and those
    `writer_id` wrote here that it has not (yet)."""
    async with conn.execute(
        "SELECT p.*, (SELECT count(*) FROM cached_marks m WHERE m.object_id = p.object_id)"
        " AS helpful_count FROM cached_posts p WHERE p.group_actor = ?"
        " AND (p.state = 'accepted' OR p.writer_id = ?) ORDER BY p.published DESC, p.object_id"
        " LIMIT ?",
        (group_actor, writer_id, limit),
    ) as cur:
        return [_post(row, row["helpful_count"]) for row in await cur.fetchall()]


async def tombstones(
    conn: Connection, group_actor: str, since: datetime, limit: int
) -> list[CachedTombstone]:
    """The group's posts and replies deleted since `since`, newest first."""
    async with conn.execute(
        "SELECT object_id, parent_id, deleted_at FROM cached_tombstones"
        " WHERE group_actor = ? AND deleted_at >= ? ORDER BY deleted_at DESC, object_id"
        " LIMIT ?",
        (group_actor, rows.ts(since), limit),
    ) as cur:
        return [
            CachedTombstone(row[0], row[1], rows.parse_ts(row[2])) for row in await cur.fetchall()
        ]


async def count_posts(conn: Connection, group_actor: str) -> int:
    async with conn.execute(
        "SELECT count(*) FROM cached_posts WHERE group_actor = ? AND state = 'accepted'",
        (group_actor,),
    ) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0
