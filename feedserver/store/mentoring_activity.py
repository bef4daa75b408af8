"""What happened in cohort groups: per-pair counts for reports, and a mentor's oversight
(unanswered questions, silent members, recent posts). Counted from the posts themselves, so a
report can never disagree with the groups."""

from __future__ import annotations

from datetime import datetime

from feedserver.models import Group, PairActivity, Post, SilentMember
from feedserver.store import rows
from feedserver.store.db import Connection
from feedserver.store.mentoring import pairings
from feedserver.store.programs import member_columns, member_of

_SELECT_POSTS = f"SELECT {rows.POST_COLUMNS} FROM {rows.POST_FROM}"


async def pair_activity(conn: Connection, program_id: str) -> list[PairActivity]:
    """Every pairing of a program (any status) with its activity in its cohort group."""
    found = await pairings(conn, program_id)
    if not found:
        return []
    async with conn.execute(
        "SELECT p.id,"
        " (SELECT count(*) FROM posts x WHERE x.group_id = p.group_id"
        "  AND x.author_id = p.mentee_id AND x.parent_id IS NULL) AS posts,"
        " (SELECT count(*) FROM posts a JOIN posts q ON q.id = a.parent_id"
        "  WHERE q.group_id = p.group_id AND q.author_id = p.mentee_id"
        "  AND a.kind = 'answer') AS answers,"
        " (SELECT count(*) FROM posts a JOIN posts q ON q.id = a.parent_id"
        "  WHERE q.group_id = p.group_id AND q.author_id = p.mentee_id"
        "  AND a.kind = 'answer' AND a.author_id = p.mentor_id) AS mentor_answers,"
        " (SELECT count(*) FROM posts q WHERE q.group_id = p.group_id"
        "  AND q.author_id = p.mentee_id AND q.parent_id IS NULL AND q.kind = 'question'"
        "  AND q.accepted_answer_id IS NOT NULL) AS accepted"
        " FROM mentoring_pairings p WHERE p.program_id = ?",
        (program_id,),
    ) as cur:
        counts = {r["id"]: r for r in await cur.fetchall()}
    return [
        PairActivity(
            p,
            counts[p.id]["posts"],
            counts[p.id]["answers"],
            counts[p.id]["mentor_answers"],
            counts[p.id]["accepted"],
        )  # fmt: skip
        for p in found
    ]


async def overseen_cohorts(
    conn: Connection, mentor_id: str, roles: tuple[str, ...]
) -> list[tuple[str, Group]]:
    """(program id, group) of the cohorts this member leads and still holds one of `roles`
    in (the access policy says which roles oversee)."""
    marks = ", ".join("?" for _ in roles)
    async with conn.execute(
        "SELECT c.program_id, g.* FROM mentoring_cohorts c JOIN groups g ON g.id = c.group_id"
        " JOIN memberships ms ON ms.group_id = c.group_id AND ms.member_id = c.mentor_id"
        f" WHERE c.mentor_id = ? AND ms.role IN ({marks}) ORDER BY c.created_at, g.name",
        (mentor_id, *roles),
    ) as cur:
        return [(r["program_id"], rows.group(r)) for r in await cur.fetchall()]


async def unanswered(conn: Connection, group_id: str, limit: int) -> list[Post]:
    async with conn.execute(
        f"{_SELECT_POSTS} WHERE p.group_id = ? AND p.parent_id IS NULL AND p.kind = 'question'"
        " AND p.reply_count = 0 ORDER BY p.id LIMIT ?",
        (group_id, limit),
    ) as cur:
        return [rows.post(r) for r in await cur.fetchall()]


async def recent(conn: Connection, group_id: str, limit: int) -> list[Post]:
    async with conn.execute(
        f"{_SELECT_POSTS} WHERE p.group_id = ? ORDER BY p.id DESC LIMIT ?", (group_id, limit)
    ) as cur:
        return [rows.post(r) for r in await cur.fetchall()]


async def silent_members(
    conn: Connection, group_id: str, since: datetime, limit: int
) -> list[SilentMember]:
    """Members (role `member`) who joined before `since` and have posted nothing in the group
    (posts or replies) since then; longest silent first."""
    stamp = rows.ts(since)
    async with conn.execute(
        f"SELECT {member_columns('m', 'm_')}, ms.joined_at,"
        " (SELECT max(x.created_at) FROM posts x WHERE x.group_id = ms.group_id"
        "  AND x.author_id = ms.member_id) AS last_post"
        " FROM memberships ms JOIN members m ON m.id = ms.member_id"
        " WHERE ms.group_id = ? AND ms.role = 'member' AND ms.joined_at < ?",
        (group_id, stamp),
    ) as cur:
        found = [
            SilentMember(
                member_of(r),
                rows.parse_ts(r["joined_at"]),
                rows.parse_ts(r["last_post"]) if r["last_post"] else None,
            )
            for r in await cur.fetchall()
            if r["last_post"] is None or r["last_post"] < stamp
        ]
    found.sort(key=lambda s: (s.last_posted_at or s.joined_at, s.member.username))
    return found[:limit]
