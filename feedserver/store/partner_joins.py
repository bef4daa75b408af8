"""Asking to join a shared group from a member server: on the hosting server the requests
partners' members sent (`partner_join_requests`) and which of its groups a partner is
offered; on the member server what our own members asked (`partner_join_asks`)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from feedserver.models import Group
from feedserver.store import rows
from feedserver.store.db import Connection


@dataclass(frozen=True, slots=True)
class PartnerJoinRequest:
    group_id: str
    host: str
    username: str
    actor_id: str
    activity_id: str
    state: str
    requested_at: datetime
    decided_at: datetime | None


@dataclass(frozen=True, slots=True)
class JoinAsk:
    member_id: str
    group_actor: str
    host: str
    name: str
    title: str
    activity_id: str
    state: str
    asked_at: datetime
    decided_at: datetime | None


def _maybe(text: str | None) -> datetime | None:
    return rows.parse_ts(text) if text else None


# --- hosting side ------------------------------------------------------------------------


async def offered_groups(conn: Connection, host: str) -> list[Group]:
    """Our `partners` groups listed as shared with `host`, while its partnership has the
    groups scope (the caller asks the access policy again about each)."""
    async with conn.execute(
        "SELECT g.* FROM groups g JOIN group_partners gp ON gp.group_id = g.id"
        " JOIN partners p ON p.host = gp.host"
        " WHERE gp.host = ? AND p.groups = 1 AND g.visibility = 'partners' ORDER BY g.name",
        (host,),
    ) as cur:
        return [rows.group(r) for r in await cur.fetchall()]


def _request(row: sqlite3.Row) -> PartnerJoinRequest:
    return PartnerJoinRequest(
        row["group_id"], row["host"], row["username"], row["actor_id"], row["activity_id"],
        row["state"], rows.parse_ts(row["requested_at"]), _maybe(row["decided_at"]),
    )  # fmt: skip


async def request(
    conn: Connection, group_id: str, host: str, username: str
) -> PartnerJoinRequest | None:
    async with conn.execute(
        "SELECT * FROM partner_join_requests WHERE group_id = ? AND host = ? AND username = ?",
        (group_id, host, username),
    ) as cur:
        row = await cur.fetchone()
    return None if row is None else _request(row)


async def pending_count(conn: Connection, group_id: str, host: str) -> int:
    async with conn.execute(
        "SELECT count(*) FROM partner_join_requests"
        " WHERE group_id = ? AND host = ? AND state = 'pending'",
        (group_id, host),
    ) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def put_pending(
    conn: Connection, *, group_id: str, host: str, username: str, actor_id: str,
    activity_id: str, now: datetime,
) -> None:  # fmt: skip
    await conn.execute(
        "INSERT INTO partner_join_requests (group_id, host, username, actor_id, activity_id,"
        " state, requested_at, decided_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, NULL)"
        " ON CONFLICT (group_id, host, username) DO UPDATE SET actor_id = excluded.actor_id,"
        " activity_id = excluded.activity_id, state = 'pending',"
        " requested_at = excluded.requested_at, decided_at = NULL",
        (group_id, host, username, actor_id, activity_id, rows.ts(now)),
    )


async def pending(conn: Connection, group_id: str, limit: int) -> list[PartnerJoinRequest]:
    async with conn.execute(
        "SELECT * FROM partner_join_requests r WHERE r.group_id = ? AND r.state = 'pending'"
        # a partner the group is no longer shared with cannot be let in: not listed
        " AND r.host IN (SELECT gp.host FROM group_partners gp WHERE gp.group_id = r.group_id)"
        " ORDER BY r.requested_at, r.host, r.username LIMIT ?",
        (group_id, limit),
    ) as cur:
        return [_request(r) for r in await cur.fetchall()]


async def decline(conn: Connection, group_id: str, host: str, username: str, now: datetime) -> None:
    await conn.execute(
        "UPDATE partner_join_requests SET state = 'declined', decided_at = ?"
        " WHERE group_id = ? AND host = ? AND username = ?",
        (rows.ts(now), group_id, host, username),
    )


async def delete_request(conn: Connection, group_id: str, host: str, username: str) -> None:
    await conn.execute(
        "DELETE FROM partner_join_requests WHERE group_id = ? AND host = ? AND username = ?",
        (group_id, host, username),
    )


async def withdraw(
    conn: Connection, group_id: str, host: str, actor_id: str, activity_id: str
) -> None:
    await conn.execute(
        "DELETE FROM partner_join_requests WHERE group_id = ? AND host = ? AND actor_id = ?"
        " AND activity_id = ? AND state = 'pending'",
        (group_id, host, actor_id, activity_id),
    )


# --- member side -------------------------------------------------------------------------


def _ask(row: sqlite3.Row) -> JoinAsk:
    return JoinAsk(
        row["member_id"], row["group_actor"], row["host"], row["name"], row["title"],
        row["activity_id"], row["state"], rows.parse_ts(row["asked_at"]),
        _maybe(row["decided_at"]),
    )  # fmt: skip


async def asks_of(conn: Connection, member_id: str) -> list[JoinAsk]:
    async with conn.execute(
        "SELECT * FROM partner_join_asks WHERE member_id = ? ORDER BY host, name", (member_id,)
    ) as cur:
        return [_ask(r) for r in await cur.fetchall()]


async def ask(conn: Connection, member_id: str, group_actor: str) -> JoinAsk | None:
    async with conn.execute(
        "SELECT * FROM partner_join_asks WHERE member_id = ? AND group_actor = ?",
        (member_id, group_actor),
    ) as cur:
        row = await cur.fetchone()
    return None if row is None else _ask(row)


async def ask_by_activity(conn: Connection, activity_id: str) -> JoinAsk | None:
    async with conn.execute(
        "SELECT * FROM partner_join_asks WHERE activity_id = ?", (activity_id,)
    ) as cur:
        row = await cur.fetchone()
    return None if row is None else _ask(row)


async def put_ask(
    conn: Connection, *, member_id: str, group_actor: str, host: str, name: str, title: str,
    activity_id: str, now: datetime,
) -> None:  # fmt: skip
    await conn.execute(
        "INSERT INTO partner_join_asks (member_id, group_actor, host, name, title, activity_id,"
        " state, asked_at, decided_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, NULL)"
        " ON CONFLICT (member_id, group_actor) DO UPDATE SET title = excluded.title,"
        " activity_id = excluded.activity_id, state = 'pending', asked_at = excluded.asked_at,"
        " decided_at = NULL",
        (member_id, group_actor, host, name, title, activity_id, rows.ts(now)),
    )


async def answer_ask(conn: Connection, activity_id: str, state: str | None, now: datetime) -> None:
    """The host's answer to our Join: `declined`, or None (accepted: the row goes)."""
    if state is None:
        await conn.execute("DELETE FROM partner_join_asks WHERE activity_id = ?", (activity_id,))
        return
    await conn.execute(
        "UPDATE partner_join_asks SET state = ?, decided_at = ?"
        " WHERE activity_id = ? AND state = 'pending'",
        (state, rows.ts(now), activity_id),
    )


async def delete_ask(conn: Connection, member_id: str, group_actor: str) -> None:
    await conn.execute(
        "DELETE FROM partner_join_asks WHERE member_id = ? AND group_actor = ?",
        (member_id, group_actor),
    )


async def refuse(conn: Connection, activity_id: str, now: datetime) -> None:
    """The host would not take our Join (its delivery failed for good)."""
    await answer_ask(conn, activity_id, "refused", now)
