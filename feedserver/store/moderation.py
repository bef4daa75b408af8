"""SQL of moderation: standing (suspended, deleted), revoking credentials, admins, the audit
log, and stripping a deleted member of everything personal."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from feedserver.models import AuditEntry, MemberStanding
from feedserver.store import rows
from feedserver.store.db import Connection


def _standing(row: sqlite3.Row) -> MemberStanding:
    return MemberStanding(
        rows.member(row),
        rows.parse_ts(row["suspended_at"]) if row["suspended_at"] else None,
        rows.parse_ts(row["deleted_at"]) if row["deleted_at"] else None,
    )


async def standing(conn: Connection, username: str) -> MemberStanding | None:
    """A local member by username: a partner's member's account (`home_host`, the name
    username@host it writes under in our shared groups) is not ours to promote, suspend,
    reset or delete; the group's owners remove them from the group instead."""
    found = list(
        await conn.execute_fetchall(
            "SELECT * FROM members WHERE username = ? AND home_host IS NULL", (username,)
        )
    )
    return _standing(found[0]) if found else None


async def standing_by_id(conn: Connection, member_id: str) -> MemberStanding | None:
    found = list(await conn.execute_fetchall("SELECT * FROM members WHERE id = ?", (member_id,)))
    return _standing(found[0]) if found else None


async def list_page(
    conn: Connection, *, after: str | None, limit: int, state: str | None
) -> list[MemberStanding]:
    condition = {
        None: "1 = 1",
        "active": "suspended_at IS NULL AND deleted_at IS NULL",
        "suspended": "suspended_at IS NOT NULL AND deleted_at IS NULL",
        "deleted": "deleted_at IS NOT NULL",
    }[state]
    found = await conn.execute_fetchall(
        f"SELECT * FROM members WHERE {condition} AND home_host IS NULL AND username > ?"
        " ORDER BY username LIMIT ?",
        (after or "", limit),
    )
    return [_standing(r) for r in found]


async def revoke_credentials(conn: Connection, member_id: str, now: datetime) -> int:
    """Every bearer token and login session of the member, their feed secret (so every feed
    URL they were given stops working) and the unused invitation links they made (whoever
    held the account could have made some to let themselves back in). Returns how many
    tokens went."""
    cur = await conn.execute("DELETE FROM sessions WHERE member_id = ?", (member_id,))
    await conn.execute("DELETE FROM feed_secrets WHERE member_id = ?", (member_id,))
    await conn.execute(
        "UPDATE invitations SET revoked_at = ?"
        " WHERE created_by = ? AND used_at IS NULL AND revoked_at IS NULL",
        (rows.ts(now), member_id),
    )
    return cur.rowcount


async def set_suspended(conn: Connection, member_id: str, at: datetime | None) -> None:
    await conn.execute(
        "UPDATE members SET suspended_at = ? WHERE id = ?",
        (rows.ts(at) if at else None, member_id),
    )


async def set_admin(conn: Connection, member_id: str, is_admin: bool) -> None:
    await conn.execute("UPDATE members SET is_admin = ? WHERE id = ?", (int(is_admin), member_id))


async def active_admins(conn: Connection) -> int:
    """Admins who can still act: not suspended, not deleted."""
    async with conn.execute(
        "SELECT count(*) FROM members"
        " WHERE is_admin = 1 AND suspended_at IS NULL AND deleted_at IS NULL"
    ) as cur:
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def authored_posts(conn: Connection, member_id: str) -> list[str]:
    """Ids of the member's posts and replies, replies first (a reply goes with its thread)."""
    found = await conn.execute_fetchall(
        "SELECT id FROM posts WHERE author_id = ? ORDER BY parent_id IS NULL, id", (member_id,)
    )
    return [r["id"] for r in found]


async def authored_groups(conn: Connection, member_id: str) -> list[str]:
    """Groups holding the member's posts, pages or page revisions: their feeds show the name."""
    found = await conn.execute_fetchall(
        "SELECT group_id FROM posts WHERE author_id = ?"
        " UNION SELECT group_id FROM pages WHERE created_by = ? OR updated_by = ?",
        (member_id, member_id, member_id),
    )
    return [r["group_id"] for r in found]


async def strip_member(
    conn: Connection, member_id: str, *, username: str, display_name: str, now: datetime
) -> None:
    """Rename the member, drop the password and everything that describes them or lets them
    act: credentials (as revoke_credentials), profile, topics, expertise, endorsements
    received, memberships, join requests and routed questions."""
    await conn.execute(
        "UPDATE members SET username = ?, display_name = ?, password_hash = NULL, is_admin = 0,"
        " email = NULL,"
        " deleted_at = ?, suspended_at = coalesce(suspended_at, ?) WHERE id = ?",
        (username, display_name, rows.ts(now), rows.ts(now), member_id),
    )
    await revoke_credentials(conn, member_id, now)
    for table, column in _PERSONAL:
        await conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (member_id,))  # noqa: S608


# (table, column naming the member) of rows that are about the member and go with them.
# What they gave others (helpful marks, endorsements) stays: it is counted in others' posts
# and expertise, and shows no name.
_PERSONAL = (
    ("profiles", "member_id"),
    ("profile_topics", "member_id"),
    ("endorsements", "member_id"),
    ("expertise_evidence", "member_id"),
    ("expertise_scores", "member_id"),
    ("evidence_kind_counts", "member_id"),
    ("evidence_group_counts", "member_id"),
    ("evidence_day_counts", "member_id"),
    ("asks", "expert_id"),
    ("asks", "asker_id"),
    ("join_requests", "member_id"),
    ("memberships", "member_id"),
    ("notifications", "member_id"),
    ("notification_levels", "member_id"),
    ("notification_prefs", "member_id"),
    ("email_confirmations", "member_id"),
    ("mail_outbox", "member_id"),
)


async def audit(
    conn: Connection, *, at: datetime, actor: str, action: str, subject: str, detail: str = ""
) -> None:
    await conn.execute(
        "INSERT INTO admin_audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
        (rows.ts(at), actor, action, subject, detail),
    )


async def audit_page(conn: Connection, *, before: int | None, limit: int) -> list[AuditEntry]:
    """Newest first."""
    found = await conn.execute_fetchall(
        "SELECT * FROM admin_audit WHERE seq < ? ORDER BY seq DESC LIMIT ?",
        (before if before is not None else 2**62, limit),
    )
    return [
        AuditEntry(r["seq"], rows.parse_ts(r["at"]), r["actor"], r["action"], r["subject"],
                   r["detail"])
        for r in found
    ]  # fmt: skip
