"""A member anonymized here, the member side: their posts in partners' groups move to their
new name on every server (erasure.py calls this in the deletion's write transaction).

The host of each group they belong to or wrote in knows them as the actor of their old
name. It is sent, first, a `Move` from our server actor: `object` the old actor, `target`
the new one (`actor_moves`, on the host, renames the account and the membership that
actor had there); then, for each post they wrote there, an `Update` by the new actor of
the post signed again by us (FEP-8b32) with the new actor as its `attributedTo` and a later
`updated`. The host keeps that object and relays it to every copy of the group, proof
intact, so no server keeps the old name in its rows or in the objects it keeps. One queue
per host, first in first out (delivery.py): the `Move` is applied before the `Update`s
that need it. Our own copy shows the new name at once. A write the host refused never left
here and only its writer saw it: it goes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from feedserver.domain.events import MemberDeleted
from feedserver.domain.ids import new_id
from feedserver.domain.services import Services
from feedserver.federation.delivery import enqueue
from feedserver.federation.documents import member_url, our_host
from feedserver.federation.objects import OBJECT_CONTEXT, sign
from feedserver.federation.server_keys import actor_url
from feedserver.models import CachedPost
from feedserver.store import cached_groups as cached_store
from feedserver.store import federation as fed_store
from feedserver.store.db import Connection

STAMP = "%Y-%m-%dT%H:%M:%SZ"


def _activity(services: Services, kind: str, actor: str, **fields: Any) -> dict[str, Any]:
    return {
        "@context": OBJECT_CONTEXT,
        "id": f"{services.config.public_url}/activities/{new_id()}",
        "type": kind,
        "actor": actor,
        **fields,
    }


def _later(held: Any, now: datetime) -> datetime:
    """A stamp later than the version the host and copies hold: only a newer one applies."""
    try:
        stamp = datetime.fromisoformat(str(held))
    except ValueError:
        return now
    return max(now, stamp + timedelta(seconds=1)) if stamp.tzinfo else now


async def _renamed(
    conn: Connection, services: Services, post: CachedPost, actor: str, author: str
) -> dict[str, Any] | None:
    """The post's object signed again under the new name, kept in our copy; None when we
    hold no object of it or have no key to sign with."""
    held = await cached_store.object_of(conn, post.object_id)
    if held is None:
        return None
    obj = {k: v for k, v in held.items() if k != "proof"}
    obj["attributedTo"] = actor
    obj["updated"] = _later(held.get("updated"), services.clock()).strftime(STAMP)
    signed = sign(services, obj)
    if signed is not None:
        await cached_store.rename_write(
            conn, post.object_id, author=author, updated=signed["updated"], obj=signed
        )
    return signed


async def move_writes(conn: Connection, services: Services, event: MemberDeleted) -> bool:
    """Queue the `Move` and the renamed posts to each host concerned; whether anything was."""
    config = services.config
    old, new = member_url(config, event.old_username), member_url(config, event.new_username)
    author = f"{event.new_username}@{our_host(config)}"
    # The hosts of the groups they belong to (their membership there is renamed too).
    hosts = {g.actor_id: g.host for g in await cached_store.of_member(conn, event.member_id)}
    updates: dict[str, list[dict[str, Any]]] = {host: [] for host in hosts.values()}
    for post in await cached_store.writes_of(conn, event.member_id):
        if post.state == "refused":  # it never left here, and only its writer saw it
            await cached_store.forget_refused(conn, post.object_id)
            continue
        host = hosts.get(post.group_actor) or await _host_of(conn, post.group_actor)
        signed = await _renamed(conn, services, post, new, author)
        if host is None or signed is None:
            continue
        update = _activity(services, "Update", new, audience=post.group_actor, object=signed)
        updates.setdefault(host, []).append(update)
    sent = False
    now = services.clock()
    for host, activities in updates.items():
        partner = await fed_store.partner(conn, host)
        if partner is None:
            continue
        move = _activity(services, "Move", actor_url(config), object=old, target=new)
        for i, activity in enumerate((move, *activities)):
            # A host's queue goes in (created_at, id) order, and ids made in one instant
            # are not ordered: a microsecond apart, the Move goes before the Updates.
            await enqueue(conn, activity, [partner], now + timedelta(microseconds=i))
        sent = True
    return sent


async def _host_of(conn: Connection, group_actor: str) -> str | None:
    """The host of a group our member wrote in and no longer belongs to."""
    writer: Any = conn  # a write's connection, either engine's, runs the store's sync units
    found: str | None = await writer.run_sync(cached_store.group_host, group_actor)
    return found
