"""Helpful marks on a shared group's posts, the member side: the host announces each mark
made in its group (an `Announce` of a `Like` of the post) and each one taken back (of an
`Undo` of that `Like`). The `Like`'s id is the host's name for the mark and names no one:
a copy shows how many marks a post has, and a mark on a post our member wrote is evidence
on their profile here (`cached_groups.marked`)."""

from __future__ import annotations

from typing import Any

from feedserver.domain import cached_groups
from feedserver.federation import copy_units, inbox
from feedserver.federation.client import host_of
from feedserver.federation.context import Federation
from feedserver.federation.errors import BadActivity

MAX_ID = 2000


async def receive(fed: Federation, signed: inbox.Signed, activity: dict[str, Any]) -> bool:
    """False when applied before."""
    inner = activity.get("object")
    helpful = isinstance(inner, dict) and inner.get("type") == "Like"
    if isinstance(inner, dict) and inner.get("type") == "Undo":
        inner = inner.get("object")
    like = inner if isinstance(inner, dict) and inner.get("type") == "Like" else None
    mark_id, object_id = (like.get("id"), like.get("object")) if like else (None, None)
    if not (isinstance(mark_id, str) and isinstance(object_id, str)):
        raise BadActivity("Announce carries a Like of a post, or the Undo of one")
    if host_of(mark_id) != signed.key.host or len(mark_id) > MAX_ID:
        raise BadActivity("a host names only its own marks")
    services = fed.services
    async with services.db.write() as conn:
        if not await conn.run_sync(copy_units.begin, signed, activity, services.clock()):
            return False
        await cached_groups.marked(
            conn, services, activity["audience"], object_id, mark_id, helpful, services.clock()
        )
    return True
