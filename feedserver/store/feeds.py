"""Feed secrets, the member's groups, and the pages feeds read.

Every page query reads an index range from a cursor (`before`, a post id: ids sort by time),
so a page costs the same at a thousand or a million posts.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from feedserver.models import Group, Member, Membership, Post, ReadScope, Tombstone
from feedserver.store import rows
from feedserver.store.db import Connection
from feedserver.store.scope import group_condition, readable_groups

_POST_SELECT = f"SELECT {rows.POST_COLUMNS} FROM {rows.POST_FROM}"
_NEWEST = "~"  # sorts after every post id (lowercase base32): "no cursor"


# -- secrets ---------------------------------------------------------------------------------


async def key_of(conn: Connection, member_id: str) -> tuple[str, bytes] | None:
    """(key_id, secret) of a member, or None before the first feed URL was asked for."""
    found = await conn.execute_fetchall(
        "SELECT key_id, secret FROM feed_secrets WHERE member_id = ?", (member_id,)
    )
    row = next(iter(found), None)  # execute_fetchall's list is typed as a mere Iterable
    return (row[0], bytes.fromhex(row[1])) if row is not None else None


async def insert_key(
    conn: Connection, member_id: str, key_id: str, secret: bytes, now: datetime
) -> None:
    """Creates the member's first key; keeps an existing one (two first requests may race)."""
    await conn.execute(
        "INSERT INTO feed_secrets (member_id, key_id, secret, created_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (member_id) DO NOTHING",
        (member_id, key_id, secret.hex(), rows.ts(now)),
    )


async def replace_key(
    conn: Connection, member_id: str, key_id: str, secret: bytes, now: datetime
) -> None:
    await conn.execute(
        "INSERT INTO feed_secrets (member_id, key_id, secret, created_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (member_id) DO UPDATE SET key_id = excluded.key_id,"
        " secret = excluded.secret, created_at = excluded.created_at",
        (member_id, key_id, secret.hex(), rows.ts(now)),
    )


async def member_by_key(conn: Connection, key_id: str) -> tuple[Member, bytes] | None:
    """The member a feed key belongs to, and the secret to check the token's mac with."""
    found = await conn.execute_fetchall(
        "SELECT m.*, s.secret FROM feed_secrets s JOIN members m ON m.id = s.member_id"
        " WHERE s.key_id = ? AND m.suspended_at IS NULL",
        (key_id,),
    )
    row = next(iter(found), None)
    if row is None:
        return None
    return rows.member(row), bytes.fromhex(row["secret"])


async def group_by_key(
    conn: Connection, key_id: str, name: str
) -> tuple[Member, bytes, Group | None, Membership | None] | None:
    """The hot path of a group feed in one round trip: the key's member and secret, the group
    by name (None when there is none) and the member's membership in it (None when not one).
    """
    found = await conn.execute_fetchall(
        "SELECT s.secret, m.id AS m_id, m.username AS m_username,"
        " m.display_name AS m_display_name, m.is_admin AS m_is_admin,"
        " m.created_at AS m_created_at, g.*, ms.role, ms.joined_at"
        " FROM feed_secrets s JOIN members m ON m.id = s.member_id"
        " LEFT JOIN groups g ON g.name = ?"
        " LEFT JOIN memberships ms ON ms.group_id = g.id AND ms.member_id = s.member_id"
        " WHERE s.key_id = ? AND m.suspended_at IS NULL",
        (name, key_id),
    )
    row = next(iter(found), None)
    if row is None:
        return None
    member = Member(
        id=row["m_id"], username=row["m_username"], display_name=row["m_display_name"],
        is_admin=bool(row["m_is_admin"]), created_at=rows.parse_ts(row["m_created_at"]),
    )  # fmt: skip
    group = None
    if row["id"] is not None:
        group = Group(
            id=row["id"], name=row["name"], title=row["title"], description=row["description"],
            visibility=row["visibility"], created_at=rows.parse_ts(row["created_at"]),
            version=row["version"], language=row["language"],
        )  # fmt: skip
    membership = None
    if group is not None and row["role"] is not None:
        membership = Membership(group.id, member.id, row["role"], rows.parse_ts(row["joined_at"]))
    return member, bytes.fromhex(row["secret"]), group, membership


# -- groups ----------------------------------------------------------------------------------


async def member_group_ids(conn: Connection, member_id: str) -> list[str]:
    found = await conn.execute_fetchall(
        "SELECT group_id FROM memberships WHERE member_id = ? ORDER BY group_id", (member_id,)
    )
    return [r[0] for r in found]


async def member_group_names(conn: Connection, member_id: str) -> list[str]:
    found = await conn.execute_fetchall(
        "SELECT g.name FROM memberships ms JOIN groups g ON g.id = ms.group_id"
        " WHERE ms.member_id = ? ORDER BY g.name",
        (member_id,),
    )
    return [r[0] for r in found]


# -- pages -----------------------------------------------------------------------------------


# Which posts a page over groups lists; each has a partial index on (group_id, id).
PAGE_KINDS = {
    "top": "parent_id IS NULL",
    "replies": "parent_id IS NOT NULL",
    "unanswered": "parent_id IS NULL AND kind = 'question' AND reply_count = 0",
}


async def groups_page(
    conn: Connection, group_ids: list[str], *, before: str | None, limit: int, which: str = "top"
) -> list[Post]:
    """Posts of several groups, newest first: the newest `limit` of each group read by index
    range, then merged, so the cost is groups x page, not the posts in them. `which` is a key
    of PAGE_KINDS: top-level posts, answers and replies, or unanswered questions."""
    if not group_ids:
        return []
    branch = (
        f"SELECT * FROM (SELECT id FROM posts WHERE group_id = ? AND {PAGE_KINDS[which]}"
        " AND id < ? ORDER BY id DESC LIMIT ?) AS page"
    )
    union = " UNION ALL ".join(branch for _ in group_ids)
    params: list[object] = []
    for group_id in group_ids:
        params += [group_id, before or _NEWEST, limit]
    found = await conn.execute_fetchall(
        f"{_POST_SELECT} WHERE p.id IN ({union}) ORDER BY p.id DESC LIMIT ?", (*params, limit)
    )
    return [rows.post(r) for r in found]


async def posts_by_ids(conn: Connection, ids: list[str]) -> list[Post]:
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    found = await conn.execute_fetchall(f"{_POST_SELECT} WHERE p.id IN ({marks})", ids)
    return [rows.post(r) for r in found]


async def author_page(
    conn: Connection, author_id: str, scope: ReadScope, *, before: str | None, limit: int
) -> list[Post]:
    """A member's posts and replies in the groups a scope reads, newest first."""
    where, params = group_condition(scope, "p.group_id", "g.visibility")
    found = await conn.execute_fetchall(
        f"{_POST_SELECT} WHERE p.author_id = ? AND p.id < ? AND {where} ORDER BY p.id DESC LIMIT ?",
        (author_id, before or _NEWEST, *params, limit),
    )
    return [rows.post(r) for r in found]


# Most groups a page reads branch by branch (SQLite allows 500 terms in a compound SELECT);
# a viewer who reads more groups than this reads most of them, and the walk in tag order
# meets a full page early.
MAX_BRANCHES = 200


async def tag_page(
    conn: Connection,
    tag: str,
    scope: ReadScope,
    *,
    before: str | None,
    limit: int,
    unanswered: bool = False,
) -> list[Post]:
    """Posts with a tag in the groups a scope reads, newest first: the newest `limit` of each
    readable group by its (group, tag, post) index range, then merged, so the cost is groups x
    page, and nothing for a viewer who reads none of the tag's posts (the walk over the whole
    tag cost what the tag holds). Only questions nobody answered yet when `unanswered`."""
    extra = ""
    if unanswered:
        extra = f" AND p.{PAGE_KINDS['unanswered'].replace(' AND ', ' AND p.')}"
    groups = await readable_groups(conn, scope)
    if groups is not None and len(groups) <= MAX_BRANCHES:
        if not groups:
            return []
        # Without a condition on the post, a branch reads its index range alone (covering).
        join = " JOIN posts p ON p.id = t.post_id" if unanswered else ""
        branch = (
            f"SELECT * FROM (SELECT t.post_id FROM post_tags t{join}"
            f" WHERE t.group_id = ? AND t.tag = ? AND t.post_id < ?{extra}"
            " ORDER BY t.post_id DESC LIMIT ?) AS page"
        )
        params: list[object] = []
        for group_id in groups:
            params += [group_id, tag, before or _NEWEST, limit]
        union = " UNION ALL ".join(branch for _ in groups)
        # The page's ids are picked from the branches' before any post is read: groups x page
        # index entries, one page of posts.
        found = await conn.execute_fetchall(
            f"{_POST_SELECT} WHERE p.id IN (SELECT post_id FROM ({union}) AS branches"
            " ORDER BY post_id DESC LIMIT ?) ORDER BY p.id DESC",
            (*params, limit),
        )
        return [rows.post(r) for r in found]
    where, where_params = group_condition(scope, "t.group_id", "g.visibility")
    found = await conn.execute_fetchall(
        f"SELECT {rows.POST_COLUMNS} FROM post_tags t JOIN posts p ON p.id = t.post_id"
        f" {rows.POST_JOINS} WHERE t.tag = ? AND t.post_id < ? AND {where}{extra}"
        " ORDER BY t.post_id DESC LIMIT ?",
        (tag, before or _NEWEST, *where_params, limit),
    )
    return [rows.post(r) for r in found]


async def thread_page(
    conn: Connection, question_id: str, *, before: str | None, limit: int
) -> list[Post]:
    """A thread's replies, newest first (a feed reads newest first; the API oldest first)."""
    found = await conn.execute_fetchall(
        f"{_POST_SELECT} WHERE p.parent_id = ? AND p.id < ? ORDER BY p.id DESC LIMIT ?",
        (question_id, before or _NEWEST, limit),
    )
    return [rows.post(r) for r in found]


# -- tombstones ------------------------------------------------------------------------------


def _tombstone(r: sqlite3.Row) -> Tombstone:
    return Tombstone(r["post_id"], r["group_id"], r["parent_id"], rows.parse_ts(r["deleted_at"]))


async def group_tombstones(
    conn: Connection, group_ids: list[str], since: datetime, limit: int
) -> list[Tombstone]:
    """Top-level posts deleted since `since` in these groups, newest first."""
    return await _tombstones(conn, group_ids, since, limit, "parent_id IS NULL")


async def reply_tombstones(
    conn: Connection, group_ids: list[str], since: datetime, limit: int
) -> list[Tombstone]:
    """Answers and replies deleted since `since` in these groups, newest first."""
    return await _tombstones(conn, group_ids, since, limit, "parent_id IS NOT NULL")


async def _tombstones(
    conn: Connection, group_ids: list[str], since: datetime, limit: int, level: str
) -> list[Tombstone]:
    if not group_ids:
        return []
    marks = ", ".join("?" for _ in group_ids)
    found = await conn.execute_fetchall(
        f"SELECT * FROM tombstones WHERE group_id IN ({marks}) AND {level}"
        " AND deleted_at >= ? ORDER BY deleted_at DESC LIMIT ?",
        (*group_ids, rows.ts(since), limit),
    )
    return [_tombstone(r) for r in found]


async def scope_tombstones(
    conn: Connection, scope: ReadScope, since: datetime, limit: int
) -> list[Tombstone]:
    where, params = group_condition(scope, "t.group_id", "g.visibility")
    found = await conn.execute_fetchall(
        "SELECT t.* FROM tombstones t JOIN groups g ON g.id = t.group_id"
        f" WHERE t.parent_id IS NULL AND t.deleted_at >= ? AND {where}"
        " ORDER BY t.deleted_at DESC LIMIT ?",
        (rows.ts(since), *params, limit),
    )
    return [_tombstone(r) for r in found]


async def thread_tombstones(
    conn: Connection, question_id: str, since: datetime, limit: int
) -> list[Tombstone]:
    found = await conn.execute_fetchall(
        "SELECT * FROM tombstones WHERE parent_id = ? AND deleted_at >= ?"
        " ORDER BY deleted_at DESC LIMIT ?",
        (question_id, rows.ts(since), limit),
    )
    return [_tombstone(r) for r in found]
