"""What deleting a member sends across servers (`MemberDeleted`, in the deletion's write
transaction; deliveries go through the durable queue after it commits).

- *Hosting side.* A member anonymized here (deleted, their posts kept under a new name):
  each of their posts in a group of ours that partners hold a copy of is signed again with
  the new name as its `attributedTo` and a later `updated`, and sent to the copies as an
  `Update`, so no copy keeps showing the old name, in its rows or in the object it keeps. We
  re-sign only what we signed: a post a partner's member wrote on their own server carries
  that server's proof, which we cannot change (its account here is not one an admin of ours
  deletes; their server renames it, `actor_moves`). A member deleted with their posts needs
  nothing more: each deletion sends its `Delete` (`group_sharing.send_post`).
- *Member side.* A member deleted here with their posts: each post they wrote in a
  partner's group leaves our copy at once (with its tombstone, as when the host deletes it)
  and its host is sent a `Delete` of it in their name, which it applies under its own
  policy (the author removes their post) and relays to every copy. A member anonymized here:
  their posts there move to their new name (`renamed_writes`): each host is sent a `Move`
  of the old actor to the new one from our server actor, which renames the account and
  membership it knows them by (`actor_moves`), then each post signed again by us under the
  new name, which it keeps and relays to every copy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any, Protocol, cast

from feedserver.domain import cached_groups
from feedserver.domain.events import MemberDeleted
from feedserver.domain.ids import new_id
from feedserver.domain.services import Services
from feedserver.federation import group_sharing, renamed_writes
from feedserver.federation.context import Federation
from feedserver.federation.delivery import enqueue
from feedserver.federation.documents import member_url
from feedserver.federation.objects import OBJECT_CONTEXT, post_object, sign
from feedserver.store import cached_groups as cached_store
from feedserver.store import federation as fed_store
from feedserver.store import federation_objects as object_store
from feedserver.store import group_sharing as sharing_store
from feedserver.store import moderation as moderation_store
from feedserver.store import partner_posts as partner_store
from feedserver.store import posts as post_store
from feedserver.store.db import Connection


class _SyncWork(Protocol):
    """A write's connection runs the store's synchronous units of work (the inbox's, such as
    `cached_groups.delete_post`) in its transaction: both engines' writers do."""

    async def run_sync(self, work: Callable[..., Any], *args: Any) -> Any: ...


async def resend_renamed(conn: Connection, services: Services, member_id: str) -> bool:
    """Send each copy holding one of the member's posts that post under their new name;
    whether anything was queued."""
    sent = False
    now = services.clock()
    for post_id in await moderation_store.authored_posts(conn, member_id):
        post = await post_store.get(conn, post_id)
        if post is None or post.written_elsewhere:
            continue
        url = group_sharing.group_url(services, post.group_name)
        if not await sharing_store.copies(conn, url):
            continue  # no partner holds its group: nothing to sign again
        # Later than the version the copies hold: they apply only a newer one, and a feed
        # reader refreshes an entry (its author) only when its `updated` moves.
        stamp = max(now, post.updated_at + timedelta(seconds=1))
        parent = (
            await partner_store.object_of_post(conn, post.parent_id) if post.parent_id else None
        )
        signed = sign(services, post_object(services, replace(post, updated_at=stamp), parent))
        if signed is None:
            continue
        if await group_sharing.send_to_copies(conn, services, url, "Update", signed):
            await object_store.put_post_object(conn, post.id, signed)  # what a backfill sends
            sent = True
    return sent


async def withdraw_writes(conn: Connection, services: Services, event: MemberDeleted) -> bool:
    """Take the member's posts in partners' groups out of our copies, and ask each group's
    host to delete them (a `Delete` in their name: the actor its host knows them by);
    whether anything was queued."""
    sent = False
    now = services.clock()
    actor = member_url(services.config, event.old_username)
    for post in await cached_store.writes_of(conn, event.member_id):
        if post.state == "refused":  # it never left here
            await cached_store.forget_refused(conn, post.object_id)
            continue
        await cached_groups.post_deleted(conn, services, post.group_actor, post.object_id)
        writer = cast(_SyncWork, conn)  # a write's connection, either engine's
        await writer.run_sync(cached_store.delete_post, post.group_actor, post.object_id, now)
        host = await writer.run_sync(cached_store.group_host, post.group_actor)
        partner = await fed_store.partner(conn, host) if host else None
        if partner is None:
            continue
        activity = {
            "@context": OBJECT_CONTEXT,
            "id": f"{services.config.public_url}/activities/{new_id()}",
            "type": "Delete",
            "actor": actor,
            "audience": post.group_actor,
            "object": post.object_id,
        }
        await enqueue(conn, activity, [partner], now)
        sent = True
    return sent


def subscribe(fed: Federation) -> None:
    services = fed.services

    async def on_member_deleted(conn: Connection, event: MemberDeleted) -> None:
        if event.content == "anonymize":
            queued = await resend_renamed(conn, services, event.member_id)
            queued = await renamed_writes.move_writes(conn, services, event) or queued
        else:  # "remove": their posts here went with them, each sending its own Delete
            queued = await withdraw_writes(conn, services, event)
        if queued:
            fed.wake()

    services.events.subscribe(MemberDeleted, on_member_deleted)
