"""Matching proposals under review, published pairings and mentors' cohort groups."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from feedserver.models import Pairing, ProgramProposal, ProposalEntry
from feedserver.store import rows
from feedserver.store.db import Connection
from feedserver.store.programs import member_columns, member_of

# --- proposals ---------------------------------------------------------------------------------


async def insert_proposal(
    conn: Connection, *, id: str, program_id: str, created_by: str, now: datetime,
    entries: list[tuple[str, str | None, float, tuple[str, ...]]],
) -> None:  # fmt: skip
    """A new draft (older drafts of the program are superseded); entries are
    (mentee id, mentor id or None, score, reasons)."""
    await conn.execute(
        "UPDATE program_proposals SET status = 'superseded'"
        " WHERE program_id = ? AND status = 'draft'",
        (program_id,),
    )
    await conn.execute(
        "INSERT INTO program_proposals (id, program_id, status, created_by, created_at)"
        " VALUES (?, ?, 'draft', ?, ?)",
        (id, program_id, created_by, rows.ts(now)),
    )
    await conn.executemany(
        "INSERT INTO proposal_entries (proposal_id, mentee_id, mentor_id, score, reasons)"
        " VALUES (?, ?, ?, ?, ?)",
        [
            (id, mentee, mentor, score, json.dumps(list(why)))
            for mentee, mentor, score, why in entries
        ],
    )


async def set_entry(
    conn: Connection, proposal_id: str, mentee_id: str, mentor_id: str | None, score: float,
    reasons: tuple[str, ...],
) -> None:  # fmt: skip
    await conn.execute(
        "UPDATE proposal_entries SET mentor_id = ?, score = ?, reasons = ?"
        " WHERE proposal_id = ? AND mentee_id = ?",
        (mentor_id, score, json.dumps(list(reasons)), proposal_id, mentee_id),
    )


async def set_proposal_status(conn: Connection, proposal_id: str, status: str) -> None:
    await conn.execute(
        "UPDATE program_proposals SET status = ? WHERE id = ?", (status, proposal_id)
    )


async def proposal(conn: Connection, program_id: str, proposal_id: str) -> ProgramProposal | None:
    async with conn.execute(
        "SELECT * FROM program_proposals WHERE id = ? AND program_id = ?",
        (proposal_id, program_id),
    ) as cur:
        head = await cur.fetchone()
    if head is None:
        return None
    async with conn.execute(
        f"SELECT e.score, e.reasons, {member_columns('a', 'a_')},"
        f" {member_columns('o', 'o_')} FROM proposal_entries e"
        " JOIN members a ON a.id = e.mentee_id LEFT JOIN members o ON o.id = e.mentor_id"
        " WHERE e.proposal_id = ? ORDER BY a.username",
        (proposal_id,),
    ) as cur:
        entries = tuple(
            ProposalEntry(
                mentee=member_of(r, "a_"),
                mentor=member_of(r, "o_") if r["o_id"] is not None else None,
                score=r["score"],
                reasons=tuple(json.loads(r["reasons"])),
            )
            for r in await cur.fetchall()
        )
    return ProgramProposal(
        head["id"], head["program_id"], head["status"], rows.parse_ts(head["created_at"]), entries
    )


# --- cohorts and pairings ---------------------------------------------------------------------


async def cohort_group(conn: Connection, program_id: str, mentor_id: str) -> str | None:
    async with conn.execute(
        "SELECT group_id FROM mentoring_cohorts WHERE program_id = ? AND mentor_id = ?",
        (program_id, mentor_id),
    ) as cur:
        row = await cur.fetchone()
    return row[0] if row else None


async def insert_cohort(
    conn: Connection, *, program_id: str, mentor_id: str, group_id: str, now: datetime
) -> None:
    await conn.execute(
        "INSERT INTO mentoring_cohorts (program_id, mentor_id, group_id, created_at)"
        " VALUES (?, ?, ?, ?)",
        (program_id, mentor_id, group_id, rows.ts(now)),
    )


async def insert_pairing(
    conn: Connection, *, id: str, program_id: str, mentor_id: str, mentee_id: str,
    group_id: str, score: float, reasons: tuple[str, ...], now: datetime,
) -> None:  # fmt: skip
    await conn.execute(
        "INSERT INTO mentoring_pairings (id, program_id, mentor_id, mentee_id, group_id, score,"
        " reasons, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?)",
        (id, program_id, mentor_id, mentee_id, group_id, score, json.dumps(list(reasons)),
         rows.ts(now)),
    )  # fmt: skip


async def close_pairing(
    conn: Connection, pairing_id: str, status: str, note: str, now: datetime
) -> bool:
    """False when the pairing was no longer active (closed twice, or raced)."""
    cur = await conn.execute(
        "UPDATE mentoring_pairings SET status = ?, close_note = ?, closed_at = ?"
        " WHERE id = ? AND status = 'active'",
        (status, note, rows.ts(now), pairing_id),
    )
    return cur.rowcount == 1


_PAIRING = (
    f"SELECT p.*, g.name AS group_name, {member_columns('o', 'o_')}, {member_columns('a', 'a_')}"
    " FROM mentoring_pairings p JOIN groups g ON g.id = p.group_id"
    " JOIN members o ON o.id = p.mentor_id JOIN members a ON a.id = p.mentee_id"
)


def _pairing(r: sqlite3.Row) -> Pairing:
    return Pairing(
        id=r["id"], program_id=r["program_id"], mentor=member_of(r, "o_"),
        mentee=member_of(r, "a_"), group_id=r["group_id"], group_name=r["group_name"],
        score=r["score"], reasons=tuple(json.loads(r["reasons"])), status=r["status"],
        created_at=rows.parse_ts(r["created_at"]),
        closed_at=rows.parse_ts(r["closed_at"]) if r["closed_at"] else None,
        close_note=r["close_note"],
    )  # fmt: skip


async def pairing(conn: Connection, program_id: str, pairing_id: str) -> Pairing | None:
    async with conn.execute(
        f"{_PAIRING} WHERE p.id = ? AND p.program_id = ?", (pairing_id, program_id)
    ) as cur:
        row = await cur.fetchone()
    return _pairing(row) if row else None


async def pairings(
    conn: Connection, program_id: str, *, member_id: str | None = None,
    status: str | None = None,
) -> list[Pairing]:  # fmt: skip
    """A program's pairings, optionally those a member is in (either side) or of a status."""
    sql, params = f"{_PAIRING} WHERE p.program_id = ?", [program_id]
    if member_id is not None:
        sql += " AND (p.mentor_id = ? OR p.mentee_id = ?)"
        params += [member_id, member_id]
    if status is not None:
        sql += " AND p.status = ?"
        params.append(status)
    async with conn.execute(sql + " ORDER BY p.id", params) as cur:
        return [_pairing(r) for r in await cur.fetchall()]


async def pool_state(conn: Connection, program_id: str) -> tuple[dict[str, int], dict[str, str]]:
    """What a new matching round must respect: active pairings per mentor, and the mentees
    already placed (active or finished pairings; a rematch puts a mentee back in the pool),
    mentee id -> status."""
    async with conn.execute(
        "SELECT mentor_id, count(*) FROM mentoring_pairings"
        " WHERE program_id = ? AND status = 'active' GROUP BY mentor_id",
        (program_id,),
    ) as cur:
        busy = {r[0]: r[1] for r in await cur.fetchall()}
    async with conn.execute(
        "SELECT mentee_id, status FROM mentoring_pairings"
        " WHERE program_id = ? AND status <> 'rematch'",
        (program_id,),
    ) as cur:
        placed = {r[0]: r[1] for r in await cur.fetchall()}
    return busy, placed


async def left_mentors(conn: Connection, program_id: str) -> dict[str, set[str]]:
    """mentee id -> mentors they asked to be rematched away from (never proposed again)."""
    async with conn.execute(
        "SELECT mentee_id, mentor_id FROM mentoring_pairings"
        " WHERE program_id = ? AND status = 'rematch'",
        (program_id,),
    ) as cur:
        found: dict[str, set[str]] = {}
        for r in await cur.fetchall():
            found.setdefault(r[0], set()).add(r[1])
    return found
