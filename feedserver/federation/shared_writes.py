"""Writes into a group shared with us, the member side: our member asks, answers or replies
in a partner's group through our own API and pages; we sign the object (FEP-8b32) and
deliver a `Create` to the group's host through the durable queue. The writer sees the post
at once, marked pending; it becomes an ordinary post of the copy when the host relays it
back (`group_copies`), and is marked refused when the delivery fails for good: the host
answered that it will not take it, or could not be reached for `delivery_give_up_hours`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from feedserver.domain import cached_groups
from feedserver.domain.ids import new_id
from feedserver.domain.services import Services
from feedserver.errors import NotFound
from feedserver.federation.context import Federation
from feedserver.federation.delivery import enqueue
from feedserver.federation.documents import member_url, our_host
from feedserver.federation.objects import OBJECT_CONTEXT, note, post_url, sign
from feedserver.federation.server_keys import KeysMissing
from feedserver.models import CachedGroup, CachedPost, Viewer
from feedserver.store import cached_groups as cached_store
from feedserver.store import federation as fed_store
from feedserver.store.db import Connection


async def write(
    fed: Federation, viewer: Viewer, address: str, *, kind: str = "", title: str = "",
    body: str, tags: list[str] | None = None, in_reply_to: str | None = None,
) -> CachedPost:  # fmt: skip
    services = fed.services
    prepared = await cached_groups.prepare_write(
        services, viewer, address, kind=kind, title=title, body=body, tags=tags or [],
        in_reply_to=in_reply_to,
    )  # fmt: skip
    assert viewer.member is not None
    group, now, object_id = prepared.group, services.clock(), post_url(services, new_id())
    author = f"{viewer.member.username}@{our_host(services.config)}"
    obj = note(
        services, object_id=object_id, kind=prepared.kind,
        author_username=viewer.member.username, group_url=group.actor_id,
        title=prepared.title, body=prepared.body, html=prepared.body_html, tags=prepared.tags,
        published=now, updated=now,
        in_reply_to=prepared.parent.object_id if prepared.parent else None,
    )  # fmt: skip
    signed = sign(services, obj)
    if signed is None:
        raise KeysMissing("The server's signing key is not loaded")
    activity = _activity(services, viewer, group, "Create", signed)
    async with services.db.write() as conn:
        await cached_store.put_pending(
            conn, object_id=object_id, group_actor=group.actor_id,
            parent_id=obj.get("inReplyTo"), kind=prepared.kind,
            author=author,
            title=prepared.title, body_html=prepared.body_html, tags=" ".join(prepared.tags),
            published=obj["published"], obj=signed, writer_id=viewer.member.id,
            activity_id=activity["id"],
        )  # fmt: skip
        await _queue(conn, services, group, activity)
    fed.wake()
    return CachedPost(
        object_id=object_id, group_actor=group.actor_id, parent_id=obj.get("inReplyTo"),
        kind=prepared.kind, author=author,
        title=prepared.title, body_html=prepared.body_html, tags=prepared.tags, published=now,
        updated=now, state="pending",
    )  # fmt: skip


async def edit(
    fed: Federation,
    viewer: Viewer,
    address: str,
    post_id: str,
    *,
    title: str | None = None,
    body: str | None = None,
    tags: list[str] | None = None,
) -> None:
    """Our member's new version of their post: the same object, signed again with a later
    `updated`, goes to the group's host as an `Update`; its relay updates the copy."""
    services = fed.services
    prepared, post = await cached_groups.prepare_edit(
        services, viewer, address, post_id, title=title, body=body, tags=tags
    )
    assert viewer.member is not None
    # Stamps are to the second and only a newer one applies: never the same as the last.
    updated = max(services.clock(), post.updated + timedelta(seconds=1))
    signed = sign(services, note(
        services, object_id=post.object_id, kind=post.kind,
        author_username=viewer.member.username, group_url=prepared.group.actor_id,
        title=prepared.title, body=prepared.body, html=prepared.body_html, tags=prepared.tags,
        published=post.published, updated=updated, in_reply_to=post.parent_id,
    ))  # fmt: skip
    if signed is None:
        raise KeysMissing("The server's signing key is not loaded")
    await _send(fed, viewer, prepared.group, "Update", signed)


async def accept(fed: Federation, viewer: Viewer, address: str, answer_id: str) -> None:
    """Our member accepts an answer in a partner's group: an `Accept` of it goes to the
    group's host, whose relay of it marks the copy (`group_copies`)."""
    group = await cached_groups.check_accept(fed.services, viewer, address, answer_id)
    await _send(fed, viewer, group, "Accept", answer_id)


async def delete(fed: Federation, viewer: Viewer, address: str, post_id: str) -> str:
    """Our member removes a post of a partner's group (theirs, or any as a mentor or owner):
    a `Delete` of it goes to the group's host, whose relay of it removes it from the copy.
    A write the host refused never left here: it goes at once. Returns "pending" or
    "deleted"."""
    group, post = await cached_groups.check_delete(fed.services, viewer, address, post_id)
    if post.state == "refused":
        async with fed.services.db.write() as conn:
            await cached_store.forget_refused(conn, post.object_id)
        return "deleted"
    await _send(fed, viewer, group, "Delete", post.object_id)
    return "pending"


async def helpful(
    fed: Federation, viewer: Viewer, address: str, post_id: str, *, marked: bool = True
) -> None:
    """Our member marks a post of a partner's group helpful (a `Like` to its host), or takes
    the mark back (an `Undo` of it); the host keeps the marks and the evidence they earn."""
    group = await cached_groups.check_helpful(fed.services, viewer, address, post_id)
    await _send(fed, viewer, group, "Like" if marked else "Undo",
                post_id if marked else {"type": "Like", "object": post_id})  # fmt: skip


async def _send(fed: Federation, viewer: Viewer, group: CachedGroup, kind: str, obj: Any) -> None:
    """Queue our member's `kind` of `obj` to the group's host, and wake the worker."""
    activity = _activity(fed.services, viewer, group, kind, obj)
    async with fed.services.db.write() as conn:
        await _queue(conn, fed.services, group, activity)
    fed.wake()


def _activity(
    services: Services, viewer: Viewer, group: CachedGroup, kind: str, obj: Any
) -> dict[str, Any]:
    """Our member's `kind` of `obj` in the group: they are its actor, the group its audience."""
    assert viewer.member is not None
    return {
        "@context": OBJECT_CONTEXT,
        "id": f"{services.config.public_url}/activities/{new_id()}",
        "type": kind,
        "actor": member_url(services.config, viewer.member.username),
        "audience": group.actor_id,
        "object": obj,
    }


async def _queue(
    conn: Connection, services: Services, group: CachedGroup, activity: dict[str, Any]
) -> None:
    """Into the durable queue for the group's host, in the caller's transaction."""
    partner = await fed_store.partner(conn, group.host)
    if partner is None:
        raise NotFound("No such group")
    await enqueue(conn, activity, [partner], services.clock())
