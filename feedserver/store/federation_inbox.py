"""The inbox's writes, as synchronous functions on the writer's sqlite3 connection: units of
`Database.write_grouped` (a whole group of deliveries in one transaction and one COMMIT),
and, through `conn.run_sync`, the same SQL for the handshake's and the admin's transactions
(pinning keys, ending a partnership), so each statement is written once.

One delivery is: its signature recorded in the replay cache (only while the key it was
verified with is still pinned: the authoritative check behind the in-memory key cache), its
activity id recorded (an activity is applied once), and its effect applied if it is newer
than what we hold of its object (partners' `updated` stamps, and tombstones of deletes). A
verified delivery that is refused still has its signature recorded (`remember_refused`).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from feedserver.store import rows


def remember_signature(
    conn: sqlite3.Connection, created: int, signature_hash: bytes, *,
    key_id: str, host: str, public_multibase: str, now: datetime,
) -> bool:  # fmt: skip
    """Record a verified request signature by its `created` and hash; False when nothing was
    recorded: a replay, or a key no longer pinned to `host`, expired or changed
    (`signature_seen` tells which)."""
    cur = conn.execute(
        "INSERT INTO seen_signatures (created, signature_hash) SELECT ?, ?"
        " WHERE EXISTS (SELECT 1 FROM partner_keys WHERE key_id = ? AND host = ?"
        " AND public_multibase = ? AND (expires_at IS NULL OR expires_at > ?))"
        " ON CONFLICT (created, signature_hash) DO NOTHING",
        (created, signature_hash, key_id, host, public_multibase, rows.ts(now)),
    )
    return cur.rowcount == 1


def signature_seen(conn: sqlite3.Connection, created: int, signature_hash: bytes) -> bool:
    cur = conn.execute(
        "SELECT 1 FROM seen_signatures WHERE created = ? AND signature_hash = ?",
        (created, signature_hash),
    )
    return cur.fetchone() is not None


def record_activity(
    conn: sqlite3.Connection, activity_id: str, host: str, type_: str, now: datetime
) -> bool:
    """False when this activity id was applied before (the inbox is idempotent)."""
    cur = conn.execute(
        "INSERT INTO inbox_activities (activity_id, host, type, received_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (activity_id) DO NOTHING",
        (activity_id, host, type_, rows.ts(now)),
    )
    return cur.rowcount == 1


def put_partner_profile(
    conn: sqlite3.Connection, *, object_id: str, host: str, actor_id: str, name: str,
    summary: str, topics: list[str], obj: dict[str, Any], updated: datetime, now: datetime,
    counts: dict[str, int] | None = None,
) -> bool:  # fmt: skip
    """Cache the profile and its topics (with the partner's evidence count for each), if it
    is newer (`updated`, the partner's stamp) than what is cached of that object and than its
    tombstone; False when it is not (a replay, or an Update overtaken), and nothing changes."""
    stamp = rows.ts(updated)
    # Only a newer state of a row this partner owns is written (RETURNING says whether).
    written = conn.execute(
        "INSERT INTO partner_profiles (object_id, host, actor_id, name, summary, topics, object,"
        " updated_at, object_updated) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS"
        " (SELECT 1 FROM partner_tombstones t WHERE t.object_id = ? AND t.deleted_at >= ?)"
        " ON CONFLICT (object_id) DO UPDATE SET"
        " actor_id = excluded.actor_id, name = excluded.name, summary = excluded.summary,"
        " topics = excluded.topics, object = excluded.object, updated_at = excluded.updated_at,"
        " object_updated = excluded.object_updated"
        " WHERE partner_profiles.host = excluded.host AND (partner_profiles.object_updated"
        " IS NULL OR partner_profiles.object_updated < excluded.object_updated) RETURNING 1",
        (object_id, host, actor_id, name, summary, " ".join(topics),
         json.dumps(obj, ensure_ascii=False), rows.ts(now), stamp, object_id, stamp),
    ).fetchall()  # fmt: skip
    if not written:
        return False
    conn.execute("DELETE FROM partner_tombstones WHERE object_id = ?", (object_id,))
    conn.execute("DELETE FROM partner_profile_topics WHERE object_id = ?", (object_id,))
    conn.executemany(
        "INSERT INTO partner_profile_topics (object_id, topic, evidence_count) VALUES (?, ?, ?)",
        [(object_id, topic, (counts or {}).get(topic, 0)) for topic in topics],
    )
    return True


def shares_profiles(conn: sqlite3.Connection, host: str) -> bool:
    """Whether this partnership's scope includes expertise profiles (the receiving side's
    own record: a partner cannot widen it by sending)."""
    row = conn.execute("SELECT profiles FROM partners WHERE host = ?", (host,)).fetchone()
    return row is not None and bool(row[0])


def key_is_current(conn: sqlite3.Connection, key_id: str) -> bool:
    row = conn.execute("SELECT expires_at FROM partner_keys WHERE key_id = ?", (key_id,)).fetchone()
    return row is not None and row[0] is None


def delete_partner(conn: sqlite3.Connection, host: str) -> bool:
    """The partnership ended (either side): its keys, queued deliveries and cached profiles
    go with it (cascade). True when there was such a partner."""
    return conn.execute("DELETE FROM partners WHERE host = ?", (host,)).rowcount == 1


def delete_partner_object(
    conn: sqlite3.Connection, host: str, object_id: str, deleted_at: datetime
) -> bool:
    """A partner deleted one of its objects at `deleted_at` (its stamp): what we cached of it
    goes, unless it is newer than the Delete, and a tombstone stays (the latest Delete's time)
    so that an older Update arriving later is refused. False when a newer state is kept."""
    stamp = rows.ts(deleted_at)
    newer = conn.execute(
        "SELECT 1 FROM partner_profiles WHERE host = ? AND object_id = ? AND object_updated > ?",
        (host, object_id, stamp),
    ).fetchone()
    if newer is not None:
        return False
    conn.execute("DELETE FROM partner_profiles WHERE host = ? AND object_id = ?", (host, object_id))
    conn.execute(
        "INSERT INTO partner_tombstones (object_id, host, deleted_at) VALUES (?, ?, ?)"
        " ON CONFLICT (object_id) DO UPDATE SET deleted_at = CASE WHEN excluded.deleted_at >"
        " partner_tombstones.deleted_at THEN excluded.deleted_at ELSE partner_tombstones.deleted_at"
        " END"
        " WHERE partner_tombstones.host = excluded.host",
        (object_id, host, stamp),
    )
    return True


def remember_refused(conn: sqlite3.Connection, created: int, signature_hash: bytes) -> None:
    """A verified request we refused: its signature is spent all the same, so a replay of it
    (after whatever made us refuse it changed) is refused as a replay."""
    conn.execute(
        "INSERT INTO seen_signatures (created, signature_hash) VALUES (?, ?)"
        " ON CONFLICT (created, signature_hash) DO NOTHING",
        (created, signature_hash),
    )


def pin_key(
    conn: sqlite3.Connection, host: str, key_id: str, public_multibase: str, now: datetime
) -> None:
    """Pin a partner key. A key id already pinned to a different key is never replaced."""
    conn.execute(
        "INSERT INTO partner_keys (key_id, host, public_multibase, pinned_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (key_id) DO NOTHING",
        (key_id, host, public_multibase, rows.ts(now)),
    )


def expire_partner_keys(
    conn: sqlite3.Connection, host: str, keep: set[str], expires_at: datetime
) -> None:
    marks = ",".join("?" * len(keep)) or "''"
    conn.execute(
        f"UPDATE partner_keys SET expires_at = ? WHERE host = ? AND expires_at IS NULL"
        f" AND key_id NOT IN ({marks})",
        (rows.ts(expires_at), host, *sorted(keep)),
    )
