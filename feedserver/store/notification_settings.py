"""Who hears about a group (levels), how each member gets mail (prefs), and their address."""

from __future__ import annotations

from datetime import datetime

from feedserver.models import Member, Membership, ReadScope
from feedserver.store import rows
from feedserver.store.db import Connection
from feedserver.store.scope import group_condition


async def levels(conn: Connection, member_id: str, scope: ReadScope) -> dict[str, str]:
    """Group name -> level, for the groups where the member chose one and `scope` reads."""
    where, params = group_condition(scope, "l.group_id", "g.visibility")
    async with conn.execute(
        "SELECT g.name, l.level FROM notification_levels l JOIN groups g ON g.id = l.group_id"
        f" WHERE l.member_id = ? AND {where} ORDER BY g.name",
        (member_id, *params),
    ) as cur:
        return {r[0]: r[1] for r in await cur.fetchall()}


async def levels_in_group(conn: Connection, group_id: str, level: str) -> list[str]:
    """Members who chose `level` in the group (the watchers, or the muted)."""
    async with conn.execute(
        "SELECT member_id FROM notification_levels WHERE group_id = ? AND level = ?",
        (group_id, level),
    ) as cur:
        return [r[0] for r in await cur.fetchall()]


async def level(conn: Connection, member_id: str, group_id: str) -> str:
    async with conn.execute(
        "SELECT level FROM notification_levels WHERE member_id = ? AND group_id = ?",
        (member_id, group_id),
    ) as cur:
        row = await cur.fetchone()
    return str(row[0]) if row else "normal"


async def set_level(conn: Connection, member_id: str, group_id: str, value: str) -> None:
    if value == "normal":  # the default is no row
        await conn.execute(
            "DELETE FROM notification_levels WHERE member_id = ? AND group_id = ?",
            (member_id, group_id),
        )
        return
    await conn.execute(
        "INSERT INTO notification_levels (member_id, group_id, level) VALUES (?, ?, ?)"
        " ON CONFLICT (group_id, member_id) DO UPDATE SET level = excluded.level",
        (member_id, group_id, value),
    )


async def moderators(conn: Connection, group_id: str) -> list[str]:
    async with conn.execute(
        "SELECT member_id FROM memberships WHERE group_id = ? AND role IN ('owner', 'mentor')",
        (group_id,),
    ) as cur:
        return [r[0] for r in await cur.fetchall()]


async def email_mode(conn: Connection, member_id: str) -> tuple[str, datetime | None]:
    """The member's mail mode and when their digest period started (None: never chose)."""
    async with conn.execute(
        "SELECT email_mode, last_digest_at FROM notification_prefs WHERE member_id = ?",
        (member_id,),
    ) as cur:
        row = await cur.fetchone()
    if row is None:
        return "immediately", None
    return str(row[0]), rows.parse_ts(row[1])


async def set_email_mode(conn: Connection, member_id: str, mode: str, now: datetime) -> None:
    """Choosing the digest (again) starts its day now; other changes keep the digest time."""
    await conn.execute(
        "INSERT INTO notification_prefs (member_id, email_mode, last_digest_at) VALUES (?, ?, ?)"
        " ON CONFLICT (member_id) DO UPDATE SET email_mode = excluded.email_mode,"
        " last_digest_at = CASE WHEN excluded.email_mode = 'digest'"
        " AND notification_prefs.email_mode != 'digest' THEN excluded.last_digest_at"
        " ELSE notification_prefs.last_digest_at END",
        (member_id, mode, rows.ts(now)),
    )


async def digests_due(conn: Connection, before: datetime, limit: int) -> list[str]:
    """Members in digest mode whose day has passed and who have something waiting."""
    async with conn.execute(
        "SELECT p.member_id FROM notification_prefs p WHERE p.email_mode = 'digest'"
        " AND p.last_digest_at <= ? AND EXISTS (SELECT 1 FROM notifications n"
        " WHERE n.member_id = p.member_id AND n.digest = 1) LIMIT ?",
        (rows.ts(before), limit),
    ) as cur:
        return [r[0] for r in await cur.fetchall()]


async def digest_sent(conn: Connection, member_id: str, now: datetime) -> None:
    await conn.execute(
        "UPDATE notification_prefs SET last_digest_at = ? WHERE member_id = ?",
        (rows.ts(now), member_id),
    )


async def email(conn: Connection, member_id: str) -> str | None:
    async with conn.execute("SELECT email FROM members WHERE id = ?", (member_id,)) as cur:
        row = await cur.fetchone()
    return str(row[0]) if row and row[0] else None


async def set_email(conn: Connection, member_id: str, address: str | None) -> None:
    await conn.execute("UPDATE members SET email = ? WHERE id = ?", (address, member_id))


async def page_editors(conn: Connection, page_id: str) -> list[str]:
    async with conn.execute(
        "SELECT DISTINCT editor_id FROM page_revisions WHERE page_id = ?", (page_id,)
    ) as cur:
        return [r[0] for r in await cur.fetchall()]


async def active_member(conn: Connection, member_id: str) -> Member | None:
    """The member, unless suspended or deleted (they hear about nothing)."""
    async with conn.execute(
        "SELECT * FROM members WHERE id = ? AND suspended_at IS NULL AND deleted_at IS NULL",
        (member_id,),
    ) as cur:
        row = await cur.fetchone()
    return rows.member(row) if row else None


async def active_by_usernames(conn: Connection, usernames: list[str]) -> list[Member]:
    if not usernames:
        return []
    marks = ", ".join("?" for _ in usernames)
    async with conn.execute(
        f"SELECT * FROM members WHERE username IN ({marks})"
        " AND suspended_at IS NULL AND deleted_at IS NULL",
        usernames,
    ) as cur:
        return [rows.member(r) for r in await cur.fetchall()]


async def pending_email(conn: Connection, member_id: str) -> str | None:
    async with conn.execute(
        "SELECT email FROM email_confirmations WHERE member_id = ?", (member_id,)
    ) as cur:
        row = await cur.fetchone()
    return str(row[0]) if row else None


async def put_pending_email(conn: Connection, member_id: str, address: str, now: datetime) -> None:
    """A new address waiting for its link to be opened (replaces an earlier one)."""
    await conn.execute(
        "INSERT INTO email_confirmations (member_id, email, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT (member_id) DO UPDATE SET email = excluded.email,"
        " created_at = excluded.created_at",
        (member_id, address, rows.ts(now)),
    )


async def take_pending_email(conn: Connection, member_id: str, address: str) -> bool:
    """Use up the member's pending address if it is `address`."""
    cur = await conn.execute(
        "DELETE FROM email_confirmations WHERE member_id = ? AND email = ?", (member_id, address)
    )
    return cur.rowcount == 1


async def recipient(
    conn: Connection, member_id: str, group_id: str | None
) -> tuple[Member, Membership | None, str, str, str | None] | None:
    """All a notification needs of its recipient in one read: the member (None if suspended
    or deleted), their membership of the group, their level there, mail mode and address."""
    async with conn.execute(
        "SELECT m.*, ms.role AS ms_role, ms.joined_at AS ms_joined,"
        " coalesce(l.level, 'normal') AS level, coalesce(p.email_mode, 'immediately') AS mode"
        " FROM members m"
        " LEFT JOIN memberships ms ON ms.member_id = m.id AND ms.group_id = ?"
        " LEFT JOIN notification_levels l ON l.member_id = m.id AND l.group_id = ?"
        " LEFT JOIN notification_prefs p ON p.member_id = m.id"
        " WHERE m.id = ? AND m.suspended_at IS NULL AND m.deleted_at IS NULL",
        (group_id, group_id, member_id),
    ) as cur:
        row = await cur.fetchone()
    if row is None:
        return None
    membership = None
    if row["ms_role"] is not None and group_id is not None:
        membership = Membership(
            group_id, member_id, row["ms_role"], rows.parse_ts(row["ms_joined"])
        )
    email = str(row["email"]) if row["email"] else None
    return rows.member(row), membership, str(row["level"]), str(row["mode"]), email
