"""Federation identities: the server's public keys, invites, partners and their pinned keys."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from feedserver.models import Partner
from feedserver.store import rows
from feedserver.store.db import Connection


def _maybe(text: str | None) -> datetime | None:
    return rows.parse_ts(text) if text else None


async def server_keys(conn: Connection) -> list[sqlite3.Row]:
    async with conn.execute("SELECT * FROM server_keys ORDER BY created_at, name") as cur:
        return list(await cur.fetchall())


async def insert_server_key(
    conn: Connection, name: str, public_multibase: str, now: datetime
) -> None:
    await conn.execute(
        "INSERT INTO server_keys (name, public_multibase, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT (name) DO NOTHING",
        (name, public_multibase, rows.ts(now)),
    )


async def expire_server_keys(conn: Connection, keep: str, expires_at: datetime) -> None:
    await conn.execute(
        "UPDATE server_keys SET expires_at = ? WHERE name <> ? AND expires_at IS NULL",
        (rows.ts(expires_at), keep),
    )


async def insert_invite(
    conn: Connection, secret_hash: str, profiles: bool, now: datetime, expires_at: datetime,
    groups: bool = False,
) -> None:  # fmt: skip
    await conn.execute(
        "INSERT INTO partner_invites (secret_hash, profiles, groups, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (secret_hash, int(profiles), int(groups), rows.ts(now), rows.ts(expires_at)),
    )


@dataclass(frozen=True, slots=True)
class Invite:
    """An unexpired invite: the scope it offers, and when and by which host it was used."""

    profiles: bool
    used_at: datetime | None
    used_by: str | None
    groups: bool = False


async def unexpired_invite(conn: Connection, secret_hash: str, now: datetime) -> Invite | None:
    """An unexpired invite, used or not, or None; nothing is marked. The caller decides what
    a used one allows (its own user finishing its handshake again)."""
    async with conn.execute(
        "SELECT profiles, used_at, used_by, groups FROM partner_invites WHERE secret_hash = ?"
        " AND expires_at > ?",
        (secret_hash, rows.ts(now)),
    ) as cur:
        row = await cur.fetchone()
    return Invite(bool(row[0]), _maybe(row[1]), row[2], bool(row[3])) if row else None


async def use_invite(
    conn: Connection, secret_hash: str, now: datetime, used_by: str | None = None
) -> bool | None:
    """Mark an open invite used (by host `used_by`); its `profiles` scope, or None when
    unknown, used or expired."""
    async with conn.execute(
        "UPDATE partner_invites SET used_at = ?, used_by = ? WHERE secret_hash = ?"
        " AND used_at IS NULL AND expires_at > ? RETURNING profiles",
        (rows.ts(now), used_by, secret_hash, rows.ts(now)),
    ) as cur:
        row = await cur.fetchone()
    return bool(row[0]) if row else None


def _partner(row: sqlite3.Row) -> Partner:
    keys = set(row.keys())  # a set: an asyncpg Record's keys() is a one-pass iterator
    return Partner(
        host=row["host"],
        base_url=row["base_url"],
        actor_id=row["actor_id"],
        inbox_url=row["inbox_url"],
        name=row["name"],
        profiles=bool(row["profiles"]),
        created_at=rows.parse_ts(row["created_at"]),
        failures=row["failures"],
        paused_until=_maybe(row["paused_until"]),
        last_success_at=_maybe(row["last_success_at"]),
        last_error=row["last_error"],
        pending=row["pending"] if "pending" in keys else 0,
        failed=row["failed"] if "failed" in keys else 0,
        groups=bool(row["groups"]) if "groups" in keys else False,
    )


async def upsert_partner(conn: Connection, p: Partner) -> None:
    await conn.execute(
        "INSERT INTO partners (host, base_url, actor_id, inbox_url, name, profiles, groups,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (host) DO UPDATE SET"
        " base_url = excluded.base_url, actor_id = excluded.actor_id,"
        " inbox_url = excluded.inbox_url, name = excluded.name, profiles = excluded.profiles,"
        " groups = excluded.groups",
        (p.host, p.base_url, p.actor_id, p.inbox_url, p.name, int(p.profiles), int(p.groups),
         rows.ts(p.created_at)),
    )  # fmt: skip


async def partner_key(conn: Connection, key_id: str, now: datetime) -> tuple[str, str] | None:
    """(host, public multibase) of a pinned, unexpired key."""
    async with conn.execute(
        "SELECT host, public_multibase FROM partner_keys WHERE key_id = ?"
        " AND (expires_at IS NULL OR expires_at > ?)",
        (key_id, rows.ts(now)),
    ) as cur:
        row = await cur.fetchone()
    return (row[0], row[1]) if row else None


async def all_partner_keys(conn: Connection) -> list[tuple[str, str, str, datetime | None]]:
    """(key id, host, public multibase, expires at) of every pinned key, for the key cache."""
    async with conn.execute(
        "SELECT key_id, host, public_multibase, expires_at FROM partner_keys"
    ) as cur:
        return [(r[0], r[1], r[2], _maybe(r[3])) for r in await cur.fetchall()]


async def partner_key_row(
    conn: Connection, key_id: str
) -> tuple[str, str, str, datetime | None] | None:
    async with conn.execute(
        "SELECT key_id, host, public_multibase, expires_at FROM partner_keys WHERE key_id = ?",
        (key_id,),
    ) as cur:
        r = await cur.fetchone()
    return (r[0], r[1], r[2], _maybe(r[3])) if r else None


_PARTNER_HEALTH = (
    "SELECT p.*,"
    " (SELECT count(*) FROM deliveries d WHERE d.host = p.host AND d.state = 'pending')"
    " AS pending,"
    " (SELECT count(*) FROM deliveries d WHERE d.host = p.host AND d.state = 'failed')"
    " AS failed FROM partners p"
)


async def partners(conn: Connection) -> list[Partner]:
    """Every partner with its delivery health (counts of its queue: for admins)."""
    async with conn.execute(f"{_PARTNER_HEALTH} ORDER BY p.host") as cur:
        return [_partner(r) for r in await cur.fetchall()]


async def partner_count(conn: Connection) -> int:
    async with conn.execute("SELECT count(*) FROM partners") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def profile_partners(conn: Connection) -> list[Partner]:
    """The partners whose scope includes profiles, without health counts: asked on every
    change of a shared profile, so it must not count queues."""
    async with conn.execute("SELECT * FROM partners WHERE profiles = 1 ORDER BY host") as cur:
        return [_partner(r) for r in await cur.fetchall()]


async def partners_by_host(conn: Connection, hosts: Collection[str]) -> dict[str, Partner]:
    """These partners, by host, without the health counts (which count their queues): what
    the delivery worker needs on every pass."""
    if not hosts:
        return {}
    marks = ", ".join("?" * len(hosts))
    async with conn.execute(f"SELECT * FROM partners WHERE host IN ({marks})", [*hosts]) as cur:
        return {r["host"]: _partner(r) for r in await cur.fetchall()}


async def partner(conn: Connection, host: str) -> Partner | None:
    """One partner, without the health counts: the inbox, the handshake and removal look a
    partner up, and none of them needs its queue counted."""
    async with conn.execute("SELECT * FROM partners WHERE host = ?", (host,)) as cur:
        row = await cur.fetchone()
    return _partner(row) if row else None


async def delete_partner_profiles(conn: Connection, host: str) -> None:
    """Forget every profile we cached of this partner."""
    await conn.execute("DELETE FROM partner_profiles WHERE host = ?", (host,))


async def record_success(conn: Connection, host: str, now: datetime) -> None:
    await conn.execute(
        "UPDATE partners SET failures = 0, paused_until = NULL, last_success_at = ?,"
        " last_error = NULL WHERE host = ?",
        (rows.ts(now), host),
    )


async def record_failure(
    conn: Connection, host: str, error: str, pause_after: int, paused_until: datetime
) -> None:
    """Count a consecutive failure; pause the host once it reaches `pause_after`."""
    await conn.execute(
        "UPDATE partners SET failures = failures + 1, last_error = ?,"
        " paused_until = CASE WHEN failures + 1 >= ? THEN ? ELSE paused_until END"
        " WHERE host = ?",
        (error[:500], pause_after, rows.ts(paused_until), host),
    )
