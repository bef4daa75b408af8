"""Mentoring programs, their owners and enrolments (mentors and mentees)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from feedserver.models import Member, MenteeEnrolment, MentorEnrolment, Program
from feedserver.store import rows
from feedserver.store.db import Connection

# Members' columns under an alias, so an enrolment row carries its member.
_MEMBER = (
    "m.id AS m_id, m.username AS m_username, m.display_name AS m_display_name,"
    " m.is_admin AS m_is_admin, m.created_at AS m_created_at"
)


def member_of(row: sqlite3.Row, prefix: str = "m_") -> Member:
    return Member(
        id=row[f"{prefix}id"], username=row[f"{prefix}username"],
        display_name=row[f"{prefix}display_name"], is_admin=bool(row[f"{prefix}is_admin"]),
        created_at=rows.parse_ts(row[f"{prefix}created_at"]),
    )  # fmt: skip


def member_columns(alias: str, prefix: str) -> str:
    return ", ".join(
        f"{alias}.{c} AS {prefix}{c}"
        for c in ("id", "username", "display_name", "is_admin", "created_at")
    )


def _maybe_ts(moment: datetime | None) -> str | None:
    return rows.ts(moment) if moment else None


def _maybe_parse(text: str | None) -> datetime | None:
    return rows.parse_ts(text) if text else None


async def insert(conn: Connection, program: Program) -> None:
    await conn.execute(
        "INSERT INTO programs (id, name, description, enrol_opens_at, enrol_closes_at,"
        " default_capacity, weights, exclude_reporting_line, created_by, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            program.id, program.name, program.description, _maybe_ts(program.enrol_opens_at),
            _maybe_ts(program.enrol_closes_at), program.default_capacity,
            json.dumps(program.weights, sort_keys=True), int(program.exclude_reporting_line),
            program.created_by, rows.ts(program.created_at),
        ),
    )  # fmt: skip
    await conn.executemany(
        "INSERT INTO program_owners (program_id, member_id) VALUES (?, ?)"
        " ON CONFLICT (program_id, member_id) DO NOTHING",
        [(program.id, owner) for owner in program.owner_ids],
    )


def _program(row: sqlite3.Row, owners: tuple[str, ...]) -> Program:
    return Program(
        id=row["id"], name=row["name"], description=row["description"],
        enrol_opens_at=_maybe_parse(row["enrol_opens_at"]),
        enrol_closes_at=_maybe_parse(row["enrol_closes_at"]),
        default_capacity=row["default_capacity"], weights=json.loads(row["weights"]),
        exclude_reporting_line=bool(row["exclude_reporting_line"]),
        created_by=row["created_by"], created_at=rows.parse_ts(row["created_at"]),
        owner_ids=owners,
    )  # fmt: skip


async def get(conn: Connection, program_id: str) -> Program | None:
    async with conn.execute("SELECT * FROM programs WHERE id = ?", (program_id,)) as cur:
        row = await cur.fetchone()
    if row is None:
        return None
    async with conn.execute(
        "SELECT member_id FROM program_owners WHERE program_id = ? ORDER BY member_id",
        (program_id,),
    ) as cur:
        owners = tuple(r[0] for r in await cur.fetchall())
    return _program(row, owners)


async def page(conn: Connection, *, before: str | None, limit: int) -> list[Program]:
    """Newest first (ids are time-ordered), keyset-paged on the id."""
    async with conn.execute(
        "SELECT p.*, (SELECT group_concat(member_id, ' ') FROM program_owners o"
        " WHERE o.program_id = p.id) AS owners FROM programs p"
        " WHERE p.id < ? ORDER BY p.id DESC LIMIT ?",
        (before or "~", limit),
    ) as cur:
        found = await cur.fetchall()
    return [_program(r, tuple(sorted((r["owners"] or "").split()))) for r in found]


async def put_mentor(
    conn: Connection, *, program_id: str, member_id: str, topics: tuple[str, ...],
    capacity: int, manager_id: str | None, now: datetime,
) -> bool:  # fmt: skip
    """Enrol or update; True when the enrolment is new."""
    cur = await conn.execute(
        "INSERT INTO program_mentors (program_id, member_id, topics, capacity, manager_id,"
        " enrolled_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (program_id, member_id) DO NOTHING",
        (program_id, member_id, " ".join(topics), capacity, manager_id, rows.ts(now)),
    )
    if cur.rowcount == 1:
        return True
    await conn.execute(
        "UPDATE program_mentors SET topics = ?, capacity = ?, manager_id = ?"
        " WHERE program_id = ? AND member_id = ?",
        (" ".join(topics), capacity, manager_id, program_id, member_id),
    )
    return False


async def put_mentee(
    conn: Connection, *, program_id: str, member_id: str, goals: tuple[str, ...],
    same_team: str, priority: str, avoid: tuple[str, ...], manager_id: str | None,
    now: datetime,
) -> bool:  # fmt: skip
    """Enrol or update; True when the enrolment is new."""
    values = (" ".join(goals), same_team, priority, " ".join(avoid), manager_id)
    cur = await conn.execute(
        "INSERT INTO program_mentees (goals, same_team, priority, avoid, manager_id,"
        " program_id, member_id, enrolled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (program_id, member_id) DO NOTHING",
        (*values, program_id, member_id, rows.ts(now)),
    )
    if cur.rowcount == 1:
        return True
    await conn.execute(
        "UPDATE program_mentees SET goals = ?, same_team = ?, priority = ?, avoid = ?,"
        " manager_id = ? WHERE program_id = ? AND member_id = ?",
        (*values, program_id, member_id),
    )
    return False


# The team comes from the member's expertise profile (store/profiles.py owns that table).
_TEAM = "COALESCE((SELECT team FROM profiles pr WHERE pr.member_id = m.id), '') AS team"


async def _enrolments(
    conn: Connection, table: str, program_id: str, member_id: str | None
) -> list[sqlite3.Row]:
    """Rows of one enrolment table (mentors or mentees) with the member and their team."""
    sql = (
        f"SELECT e.*, {_MEMBER}, {_TEAM} FROM {table} e"
        " JOIN members m ON m.id = e.member_id WHERE e.program_id = ?"
    )
    params: list[object] = [program_id]
    if member_id is not None:
        sql += " AND e.member_id = ?"
        params.append(member_id)
    async with conn.execute(sql + " ORDER BY e.member_id", params) as cur:
        return list(await cur.fetchall())


async def mentors(
    conn: Connection, program_id: str, member_id: str | None = None
) -> list[MentorEnrolment]:
    return [
        MentorEnrolment(
            program_id=r["program_id"], member=member_of(r),
            topics=tuple(r["topics"].split()), capacity=r["capacity"],
            manager_id=r["manager_id"], team=r["team"],
            enrolled_at=rows.parse_ts(r["enrolled_at"]),
        )
        for r in await _enrolments(conn, "program_mentors", program_id, member_id)
    ]  # fmt: skip


async def mentees(
    conn: Connection, program_id: str, member_id: str | None = None
) -> list[MenteeEnrolment]:
    return [
        MenteeEnrolment(
            program_id=r["program_id"], member=member_of(r),
            goals=tuple(r["goals"].split()), same_team=r["same_team"],
            priority=r["priority"], avoid=tuple(r["avoid"].split()),
            manager_id=r["manager_id"], team=r["team"],
            enrolled_at=rows.parse_ts(r["enrolled_at"]),
        )
        for r in await _enrolments(conn, "program_mentees", program_id, member_id)
    ]  # fmt: skip


async def counts(conn: Connection, program_id: str) -> tuple[int, int]:
    """(mentors, mentees) enrolled."""
    async with conn.execute(
        "SELECT (SELECT count(*) FROM program_mentors WHERE program_id = ?),"
        " (SELECT count(*) FROM program_mentees WHERE program_id = ?)",
        (program_id, program_id),
    ) as cur:
        row = rows.aggregate(await cur.fetchone())
    return row[0], row[1]


async def mentor_scores(
    conn: Connection, program_id: str, topics: list[str], mentor_ids: list[str] | None = None
) -> list[tuple[str, str, float, int, str]]:
    """(mentor id, topic, stored score, evidence count, profile sharing) for every enrolled
    mentor (or these) on these topics (the mentees' goals): what the matching needs, in one
    query."""
    if not topics or mentor_ids == []:
        return []
    marks = ", ".join("?" for _ in topics)
    sql = (
        "SELECT s.member_id, s.topic, s.score, s.evidence_count,"
        " COALESCE(pr.sharing, 'org') AS sharing FROM expertise_scores s"
        " JOIN program_mentors pm ON pm.member_id = s.member_id AND pm.program_id = ?"
        " LEFT JOIN profiles pr ON pr.member_id = s.member_id"
        f" WHERE s.topic IN ({marks}) AND s.evidence_count > 0"
    )
    params = [program_id, *topics]
    if mentor_ids is not None:
        sql += f" AND s.member_id IN ({', '.join('?' for _ in mentor_ids)})"
        params += mentor_ids
    async with conn.execute(sql, params) as cur:
        return [(r[0], r[1], r[2], r[3], r[4]) for r in await cur.fetchall()]
