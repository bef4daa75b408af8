"""A member's write into a partner's group that will not arrive: the member server's side.

The delivery worker calls `refused` when a delivery fails for good (the host answered that
it will not take it, or could not be reached for `delivery_give_up_hours`). When it carried
one of our members' writes into a group we hold a copy of, the post it created is marked
refused (the writer sees it so on the copy), and `PartnerWriteRefused` tells the writer,
whatever it was (an accept, a removal, an edit or a helpful mark leave no post behind to
mark), as long as they still belong to the group. A member's `Join` (asking to join a
partner's group) that will not arrive marks their ask refused, and they may ask again."""

from __future__ import annotations

import json
from datetime import datetime

from feedserver.domain import access
from feedserver.domain.events import PartnerWriteRefused
from feedserver.domain.services import Services
from feedserver.federation.documents import member_url
from feedserver.models import Viewer
from feedserver.store import cached_groups as cached_store
from feedserver.store import members as member_store
from feedserver.store import partner_joins as join_store
from feedserver.store.db import Connection


async def refused(
    conn: Connection, services: Services, activity_id: str, body: str, now: datetime
) -> None:
    """In the transaction that gives the delivery up."""
    await join_store.refuse(conn, activity_id, now)  # a member's Join: they may ask again
    post_kind = await cached_store.refuse(conn, activity_id)
    activity = json.loads(body)
    audience, actor = activity.get("audience"), activity.get("actor")
    if not isinstance(audience, str) or not isinstance(actor, str):
        return  # not a member's write into a group
    prefix = member_url(services.config, "")
    if not actor.startswith(prefix):
        return  # the host's relay of its own group, not a write of ours
    member = await member_store.by_username(conn, actor[len(prefix) :])
    if member is None:
        return
    group = await cached_store.by_actor(conn, audience, member.id)
    if group is None or not access.cached_group_access(Viewer(member), group).can_read:
        return  # nothing to say about a group they no longer read
    what = post_kind or _WHAT.get(str(activity.get("type")), "write")
    await services.events.publish(
        conn, PartnerWriteRefused(member.id, group.actor_id, group.address, what)
    )


# What a write that created no post was, by its activity type (a Create created one).
_WHAT = {"Update": "edit", "Accept": "accept", "Delete": "removal", "Like": "helpful",
         "Undo": "helpful"}  # fmt: skip
