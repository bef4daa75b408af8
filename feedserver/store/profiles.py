"""Expertise profiles, their declared topics and endorsements."""

from __future__ import annotations

from datetime import datetime

from feedserver.models import DeclaredTopic, Member, Profile
from feedserver.store import rows
from feedserver.store.db import Connection


async def get(conn: Connection, member: Member, default_ask_cap: int) -> Profile:
    """The member's profile; defaults (shared with the org) when they never wrote one."""
    async with conn.execute("SELECT * FROM profiles WHERE member_id = ?", (member.id,)) as cur:
        row = await cur.fetchone()
    async with conn.execute(
        "SELECT topic, level FROM profile_topics WHERE member_id = ? ORDER BY topic",
        (member.id,),
    ) as cur:
        topics = tuple(DeclaredTopic(r["topic"], r["level"]) for r in await cur.fetchall())
    if row is None:
        return Profile(member, "", "", "", "", "org", default_ask_cap, topics)
    return Profile(
        member=member,
        headline=row["headline"],
        field=row["field"],
        team=row["team"],
        location=row["location"],
        sharing=row["sharing"],
        weekly_ask_cap=row["weekly_ask_cap"],
        topics=topics,
    )


async def sharing_and_cap(
    conn: Connection, member_id: str, default_ask_cap: int
) -> tuple[str, int]:
    async with conn.execute(
        "SELECT sharing, weekly_ask_cap FROM profiles WHERE member_id = ?", (member_id,)
    ) as cur:
        row = await cur.fetchone()
    return (row[0], row[1]) if row else ("org", default_ask_cap)


async def member_and_sharing(conn: Connection, username: str) -> tuple[Member, str] | None:
    """A member and their profile's sharing in one query, so that answering for a member
    who exists costs what answering for one who does not does (no username enumeration by
    timing on public discovery endpoints)."""
    async with conn.execute(
        "SELECT m.*, coalesce(p.sharing, 'org') AS sharing FROM members m"
        " LEFT JOIN profiles p ON p.member_id = m.id"
        " WHERE m.username = ? AND m.home_host IS NULL",
        (username,),
    ) as cur:
        row = await cur.fetchone()
    return (rows.member(row), row["sharing"]) if row else None


async def put(conn: Connection, profile: Profile, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO profiles (member_id, headline, field, team, location, sharing,"
        " weekly_ask_cap, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (member_id) DO UPDATE SET headline = excluded.headline,"
        " field = excluded.field, team = excluded.team, location = excluded.location,"
        " sharing = excluded.sharing, weekly_ask_cap = excluded.weekly_ask_cap,"
        " updated_at = excluded.updated_at",
        (
            profile.member.id, profile.headline, profile.field, profile.team, profile.location,
            profile.sharing, profile.weekly_ask_cap, rows.ts(now),
        ),
    )  # fmt: skip
    await conn.execute("DELETE FROM profile_topics WHERE member_id = ?", (profile.member.id,))
    await conn.executemany(
        "INSERT INTO profile_topics (member_id, topic, level) VALUES (?, ?, ?)",
        [(profile.member.id, t.topic, t.level) for t in profile.topics],
    )


async def add_endorsement(
    conn: Connection, member_id: str, topic: str, endorser_id: str, now: datetime
) -> bool:
    """False when this endorser had already endorsed this member on this topic."""
    cur = await conn.execute(
        "INSERT INTO endorsements (member_id, topic, endorser_id, created_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (member_id, topic, endorser_id) DO NOTHING",
        (member_id, topic, endorser_id, rows.ts(now)),
    )
    return cur.rowcount == 1


async def delete_endorsement(
    conn: Connection, member_id: str, topic: str, endorser_id: str
) -> bool:
    cur = await conn.execute(
        "DELETE FROM endorsements WHERE member_id = ? AND topic = ? AND endorser_id = ?",
        (member_id, topic, endorser_id),
    )
    return cur.rowcount == 1


async def endorsement_counts(
    conn: Connection, member_id: str, viewer_id: str
) -> dict[str, tuple[int, bool]]:
    """topic -> (endorsers, whether the viewer is one of them)."""
    async with conn.execute(
        "SELECT topic, COUNT(*) AS n, MAX(CASE WHEN endorser_id = ? THEN 1 ELSE 0 END) AS mine"
        " FROM endorsements"
        " WHERE member_id = ? GROUP BY topic",
        (viewer_id, member_id),
    ) as cur:
        return {r["topic"]: (r["n"], bool(r["mine"])) for r in await cur.fetchall()}


async def shared_with_partners(conn: Connection) -> list[str]:
    """Ids of members whose profile is shared with partners."""
    async with conn.execute(
        "SELECT member_id FROM profiles WHERE sharing = 'partners' ORDER BY member_id"
    ) as cur:
        return [r[0] for r in await cur.fetchall()]
