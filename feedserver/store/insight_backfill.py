"""What the insight backfill reads and where it got (table insight_backfill, migration 0160):
history's questions by seq in batches, each question's answers and asks by index, and page
revisions summed per group and day. The rebuild itself: domain/insight_backfill.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from feedserver.store.db import Connection


@dataclass(frozen=True, slots=True)
class State:
    tracked_from: str  # rows.ts text: what is older than this was never tracked live
    last_post: int
    last_page: int
    next_post: int


async def claim(conn: Connection) -> State | None:
    """The backfill's state, locked for this write transaction (PostgreSQL's row lock: a
    second worker waits, then sees the batch done); None once it is finished."""
    await conn.execute(
        "UPDATE insight_backfill SET next_post = next_post WHERE id = 1 AND done_at IS NULL"
    )
    async with conn.execute(
        "SELECT tracked_from, last_post, last_page, next_post FROM insight_backfill"
        " WHERE id = 1 AND done_at IS NULL"
    ) as cur:
        r = await cur.fetchone()
    return None if r is None else State(r[0], int(r[1]), int(r[2]), int(r[3]))


async def questions(conn: Connection, after: int, last: int, limit: int) -> list[dict[str, Any]]:
    """History's next questions by seq (the primary key's range)."""
    async with conn.execute(
        "SELECT seq, id, group_id, author_id, tags, created_at, updated_at, accepted_answer_id"
        " FROM posts WHERE seq > ? AND seq <= ? AND parent_id IS NULL AND kind = 'question'"
        " ORDER BY seq LIMIT ?",
        (after, last, limit),
    ) as cur:
        return [dict(r) for r in await cur.fetchall()]


async def answers(conn: Connection, question_id: str, marks_before: str) -> list[dict[str, Any]]:
    """A question's answers, oldest first, each with its helpful marks older than
    `marks_before` (newer ones were counted as they were made)."""
    async with conn.execute(
        "SELECT p.seq, p.id, p.author_id, p.created_at, (SELECT count(*) FROM helpful_marks h"
        " WHERE h.post_id = p.id AND h.created_at < ?) AS marks"
        " FROM posts p WHERE p.parent_id = ? AND p.kind = 'answer' ORDER BY p.created_at, p.id",
        (marks_before, question_id),
    ) as cur:
        return [dict(r) for r in await cur.fetchall()]


async def asks(conn: Connection, question_id: str) -> list[tuple[str, str]]:
    """(expert id, asked at) of each time the question was routed."""
    async with conn.execute(
        "SELECT expert_id, created_at FROM asks WHERE post_id = ? ORDER BY expert_id",
        (question_id,),
    ) as cur:
        return [(r[0], r[1]) for r in await cur.fetchall()]


async def page_edits(
    conn: Connection, last_page: int, before: str
) -> list[tuple[str, str, str, int]]:
    """(page id, group id, day, revisions) of history's pages' revisions older than
    `before`: one row per page and day, however many revisions."""
    async with conn.execute(
        "SELECT p.id, p.group_id, substr(r.created_at, 1, 10) AS day, count(*) AS n"
        " FROM page_revisions r JOIN pages p ON p.id = r.page_id"
        " WHERE p.seq <= ? AND r.created_at < ?"
        " GROUP BY p.id, p.group_id, substr(r.created_at, 1, 10) ORDER BY p.id, day",
        (last_page, before),
    ) as cur:
        return [(r[0], r[1], r[2], int(r[3])) for r in await cur.fetchall()]


async def advance(conn: Connection, next_post: int) -> None:
    await conn.execute("UPDATE insight_backfill SET next_post = ? WHERE id = 1", (next_post,))


async def finish(conn: Connection, at: str) -> None:
    await conn.execute("UPDATE insight_backfill SET done_at = ? WHERE id = 1", (at,))
