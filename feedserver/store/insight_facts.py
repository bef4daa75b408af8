"""The per-question and per-ask facts insight figures are computed from (tables
insight_questions, insight_asks), read and written by key in the write transactions."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from feedserver.store import rows
from feedserver.store.db import Connection


@dataclass(frozen=True, slots=True)
class QuestionFacts:
    question_id: str
    group_id: str
    asker_id: str
    tags: tuple[str, ...]
    asked_at: datetime
    first_answer_at: datetime | None = None
    accepted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AskFacts:
    question_id: str
    expert_id: str
    group_id: str
    asked_at: datetime
    answered_at: datetime | None = None


def _maybe(text: str | None) -> datetime | None:
    return rows.parse_ts(text) if text else None


async def question(conn: Connection, question_id: str) -> QuestionFacts | None:
    async with conn.execute(
        "SELECT * FROM insight_questions WHERE question_id = ?", (question_id,)
    ) as cur:
        r = await cur.fetchone()
    if r is None:
        return None
    return QuestionFacts(
        r["question_id"], r["group_id"], r["asker_id"], tuple(r["tags"].split()),
        rows.parse_ts(r["asked_at"]), _maybe(r["first_answer_at"]), _maybe(r["accepted_at"]),
    )  # fmt: skip


async def put_question(conn: Connection, q: QuestionFacts) -> None:
    await conn.execute(
        "INSERT INTO insight_questions (question_id, group_id, asker_id, tags,"
        " asked_at, first_answer_at, accepted_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (question_id) DO UPDATE SET group_id = excluded.group_id,"
        " asker_id = excluded.asker_id, tags = excluded.tags, asked_at = excluded.asked_at,"
        " first_answer_at = excluded.first_answer_at, accepted_at = excluded.accepted_at",
        (
            q.question_id, q.group_id, q.asker_id, " ".join(q.tags), rows.ts(q.asked_at),
            rows.ts(q.first_answer_at) if q.first_answer_at else None,
            rows.ts(q.accepted_at) if q.accepted_at else None,
        ),
    )  # fmt: skip


async def delete_question(conn: Connection, question_id: str) -> None:
    await conn.execute("DELETE FROM insight_questions WHERE question_id = ?", (question_id,))


def _ask(r: sqlite3.Row) -> AskFacts:
    return AskFacts(
        r["question_id"], r["expert_id"], r["group_id"], rows.parse_ts(r["asked_at"]),
        _maybe(r["answered_at"]),
    )  # fmt: skip


async def asks(conn: Connection, question_id: str) -> list[AskFacts]:
    async with conn.execute(
        "SELECT * FROM insight_asks WHERE question_id = ?", (question_id,)
    ) as cur:
        return [_ask(r) for r in await cur.fetchall()]


async def put_ask(conn: Connection, a: AskFacts) -> None:
    await conn.execute(
        "INSERT INTO insight_asks (question_id, expert_id, group_id, asked_at, answered_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (question_id, expert_id) DO UPDATE SET"
        " group_id = excluded.group_id, asked_at = excluded.asked_at,"
        " answered_at = excluded.answered_at",
        (
            a.question_id, a.expert_id, a.group_id, rows.ts(a.asked_at),
            rows.ts(a.answered_at) if a.answered_at else None,
        ),
    )  # fmt: skip


async def delete_asks(conn: Connection, question_id: str) -> None:
    await conn.execute("DELETE FROM insight_asks WHERE question_id = ?", (question_id,))


async def recent_load(
    conn: Connection, group_ids: list[str] | None, since: datetime, limit: int
) -> list[dict[str, Any]]:
    """The `limit` most asked experts since `since` in these groups (None: the whole server),
    with their names, profile sharing and weekly cap (None: no profile, the default). A week
    of asks: bounded by the experts' weekly caps, not by the posts."""
    params: list[object] = [rows.ts(since)]
    where = "a.asked_at >= ?"
    if group_ids is not None:
        where += f" AND a.group_id IN ({', '.join('?' for _ in group_ids)})"
        params += group_ids
    async with conn.execute(
        "SELECT a.expert_id, count(*) AS asks, m.username, m.display_name,"
        " coalesce(p.sharing, 'org') AS sharing, p.weekly_ask_cap"
        " FROM insight_asks a JOIN members m ON m.id = a.expert_id"
        " LEFT JOIN profiles p ON p.member_id = a.expert_id"
        f" WHERE {where} GROUP BY a.expert_id, m.username, m.display_name, p.sharing,"
        " p.weekly_ask_cap ORDER BY asks DESC, a.expert_id LIMIT ?",
        [*params, limit],
    ) as cur:
        return [dict(r) for r in await cur.fetchall()]
