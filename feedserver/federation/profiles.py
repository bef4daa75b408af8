"""Shared expertise profiles across partners: the ActivityStreams `Profile` we send and the
cache of partners' profiles we keep. Evidence crosses as aggregate counts only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from feedserver.federation.client import host_of
from feedserver.federation.errors import BadActivity
from feedserver.store import federation_objects as object_store
from feedserver.store.db import Connection

MAX_TOPICS = 50


def _topics(obj: dict[str, Any]) -> list[str]:
    out = []
    for tag in obj.get("tag") or []:
        if isinstance(tag, dict) and isinstance(tag.get("name"), str):
            name = tag["name"].lstrip("#").strip().lower()
            if name and len(name) <= 64 and name not in out:
                out.append(name)
    return out[:MAX_TOPICS]


def evidence_counts(obj: dict[str, Any]) -> dict[str, int]:
    """Only non-negative integer counts survive; any text a partner might send is dropped."""
    raw = obj.get("feedserver:evidence")
    if not isinstance(raw, dict):
        return {}
    return {
        str(k)[:64]: v
        for k, v in raw.items()
        if isinstance(v, int) and not isinstance(v, bool) and v >= 0
    }


async def apply_profile_update(
    conn: Connection, host: str, obj: dict[str, Any], now: datetime
) -> None:
    object_id, describes = obj.get("id"), obj.get("describes")
    if not isinstance(object_id, str) or not isinstance(describes, str):
        raise BadActivity("a Profile needs an id and describes")
    if host_of(object_id) != host or host_of(describes) != host:
        raise BadActivity("a partner shares only its own members' profiles")
    name = obj.get("name") if isinstance(obj.get("name"), str) else ""
    summary = obj.get("summary") if isinstance(obj.get("summary"), str) else ""
    await object_store.put_partner_profile(
        conn, object_id=object_id, host=host, actor_id=describes, name=name[:200],
        summary=summary[:2000], topics=_topics(obj), obj=obj, now=now,
    )  # fmt: skip


async def apply_profile_delete(conn: Connection, host: str, object_id: str) -> None:
    await object_store.delete_partner_profile(conn, host, object_id)
