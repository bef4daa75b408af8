"""The start of every unit of work that applies what a partner sent about a shared group:
what a group's host sends about our copy, a partner's member asking to join one of ours
(`group_joins`), and a partner moving one of its members to a new name (`actor_moves`):
the signature spent, the partnership still sharing groups, the activity id recorded (all
with the effect that follows, or nothing)."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from feedserver.federation import inbox
from feedserver.federation.errors import NotAPartner
from feedserver.store import federation_inbox as inbox_store


def shares_groups(conn: sqlite3.Connection, host: str) -> bool:
    row = conn.execute("SELECT groups FROM partners WHERE host = ?", (host,)).fetchone()
    return bool(row and row[0])


def begin(
    conn: sqlite3.Connection, signed: inbox.Signed, activity: dict[str, Any], now: datetime
) -> bool:
    """On the writer's thread (`run_sync`), in the caller's unit of work; False when the
    activity was applied before."""
    host = signed.key.host
    inbox.spend_signature(conn, signed, inbox.signature_hash(signed.signature), host, now)
    if not shares_groups(conn, host):
        raise NotAPartner("groups are not shared in this partnership")
    return inbox_store.record_activity(conn, activity["id"], host, activity["type"], now)
