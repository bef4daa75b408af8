"""Groups shared with partner servers, the hosting side: resolving a remote member by
WebFinger on their own server, and keeping every member server's copy in line.

A member server holds a copy while the group is `partners`, lists it, its partnership has
the groups scope and one of its members belongs to the group. Each change sends it the
group's signed state (`Update` of the `Group`, with that server's members only: the rest of
the member list is not its business), each post its signed object as written (`Create`),
each deletion a `Delete`, each helpful mark (or its withdrawal) an `Announce` of a `Like`
naming the mark, not its maker; a server that stops qualifying is sent a `Delete` of the group and
forgets it. Everything goes through the durable queue, in order per host, in the write
transaction that caused it."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from feedserver.domain import group_sharing
from feedserver.domain.events import (
    AnswerAccepted,
    HelpfulMarked,
    PostDeleted,
    PostWritten,
    SharedGroupChanged,
)
from feedserver.domain.ids import new_id
from feedserver.domain.services import Services
from feedserver.errors import NotFound
from feedserver.federation.client import host_of
from feedserver.federation.context import Federation
from feedserver.federation.delivery import enqueue
from feedserver.federation.objects import (
    BACKFILL,
    OBJECT_CONTEXT,
    post_url,
    sign,
    signed_post_object,
)
from feedserver.federation.server_keys import actor_url
from feedserver.models import Group, GroupMember, Partner, Post, Viewer
from feedserver.store import federation as fed_store
from feedserver.store import federation_objects as object_store
from feedserver.store import group_sharing as sharing_store
from feedserver.store import groups as group_store
from feedserver.store import partner_posts as partner_store
from feedserver.store.db import Connection

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
BACKFILL_POSTS = 500  # a server new to the group gets this many of its latest posts


def group_url(services: Services, name: str) -> str:
    return f"{services.config.public_url}/groups/{name}"


# --- remote members -------------------------------------------------------------------


async def add_remote_member(
    fed: Federation, viewer: Viewer, name: str, address: str, role: str, approving: bool = False
) -> GroupMember:
    """PUT .../members/username@host: the owner's right and the host first, then WebFinger
    on that partner only, then the domain stores it (and the copy follows). `approving`: an
    owner or mentor approves their pending request to join (`group_joins.approve`)."""
    split = group_sharing.split_address(address)
    assert split is not None
    username, host = split
    if not USERNAME_RE.match(username):
        raise NotFound("No such member")
    services = fed.services
    await group_sharing.check_can_add(
        services, viewer, name, host, f"{username}@{host}" if approving else None
    )
    actor_id = await _webfinger(fed, username, host)
    return await group_sharing.put_remote_member(
        services, viewer, name, host=host, username=username, actor_id=actor_id,
        display_name=username, role=role, approving=approving,
    )  # fmt: skip


async def resolve_actor(fed: Federation, username: str, host: str) -> str:
    """username@host's actor id, as their own server's WebFinger names it (NotFound if not)."""
    return await _webfinger(fed, username, host)


async def _webfinger(fed: Federation, username: str, host: str) -> str:
    async with fed.services.db.read() as conn:
        partner = await fed_store.partner(conn, host)
    if partner is None:
        raise NotFound("No such member")
    # Unescaped (":" and "@" may stand in a query): the URL signed is the URL received.
    url = f"{partner.base_url}/.well-known/webfinger?resource=acct:{username}@{host}"
    reply = await fed.client.request("GET", url, [host])  # PartnerUnreachable: 502
    if reply.status != 200:
        raise NotFound(f"No member {username} on {host} (is their profile discoverable?)")
    for link in reply.json().get("links") or []:
        if isinstance(link, dict) and link.get("rel") == "self":
            href = link.get("href")
            if isinstance(href, str) and host_of(href) == host:
                return href
    raise NotFound(f"{host} names no actor for {username}")


# --- keeping copies in line (subscribers, in the write transaction) --------------------


def group_document(
    services: Services, group: Group, members: list[tuple[str, GroupMember]]
) -> dict[str, Any]:
    """The group as one member server may see it: its settings and that server's members."""
    return {
        "@context": OBJECT_CONTEXT,
        "id": group_url(services, group.name),
        "type": "Group",
        "preferredUsername": group.name,
        "name": group.title,
        "summary": group.description,
        "feedserver:version": group.version,
        "feedserver:members": [{"actor": actor, "role": m.role} for actor, m in members],
        "updated": services.clock().strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _activity(services: Services, group: str, kind: str, obj: Any) -> dict[str, Any]:
    return {
        "@context": OBJECT_CONTEXT,
        "id": f"{group}#activity-{new_id()}",
        "type": kind,
        "actor": actor_url(services.config),
        "audience": group,
        "object": obj,
    }


async def _partners(conn: Connection, hosts: list[str]) -> dict[str, Partner]:
    return await fed_store.partners_by_host(conn, hosts) if hosts else {}


async def sync_group(conn: Connection, services: Services, group_id: str) -> None:
    group = await group_store.by_id(conn, group_id)
    if group is None:
        return
    url = group_url(services, group.name)
    wanted = set(await sharing_store.member_hosts(conn, group_id))
    held = set(await sharing_store.copies(conn, url))
    partners = await _partners(conn, sorted(wanted | held))
    now = services.clock()
    for host in sorted(held - wanted):
        if host in partners:
            await enqueue(conn, _activity(services, url, "Delete", url), [partners[host]], now)
        await sharing_store.drop_copy(conn, url, host)
    for host in sorted(wanted):
        members = await sharing_store.remote_members(conn, group_id, host)
        signed = sign(services, group_document(services, group, members))
        if signed is None or host not in partners:
            continue
        await enqueue(conn, _activity(services, url, "Update", signed), [partners[host]], now)
        if host not in held:
            await sharing_store.add_copy(conn, url, host)
            await _backfill(conn, services, group, url, partners[host])


async def _backfill(
    conn: Connection, services: Services, group: Group, url: str, partner: Partner
) -> None:
    ids = await sharing_store.post_ids(conn, group.id, BACKFILL_POSTS)
    for post_id in ids:  # oldest first, so a reply never arrives before its question
        obj = await signed_post_object(conn, services, post_id)
        if obj is not None:
            activity = _activity(services, url, "Create", obj)
            await enqueue(conn, _backfilled(activity), [partner], services.clock())
    # Then which answers the threads accepted, as `send_accepted` tells every copy: the copy
    # shows them, and replaces (with its evidence) the choice when the thread changes it.
    for question_id, answer_id in await sharing_store.accepted_answers(conn, ids):
        activity = _activity(services, url, "Accept", await object_id(conn, services, answer_id))
        activity["target"] = await object_id(conn, services, question_id)
        await enqueue(conn, _backfilled(activity), [partner], services.clock())
    for post_id, member_id in await sharing_store.helpful_marks(conn, ids):
        activity = await _mark_activity(conn, services, url, post_id, member_id, True)
        await enqueue(conn, _backfilled(activity), [partner], services.clock())


def _backfilled(activity: dict[str, Any]) -> dict[str, Any]:
    """Marked as the past a new copy is built from, not news: its members were told of it
    when it happened (or could not read it then), so the copy tells no one again."""
    return {**activity, BACKFILL: True}


async def send_post(conn: Connection, services: Services, post: Post, deleted: bool) -> bool:
    """Queue the post (or its deletion) to every copy of its group; whether anything was."""
    url = group_url(services, post.group_name)
    held = await sharing_store.copies(conn, url)
    if not held:
        return False
    if deleted:
        activity = _activity(services, url, "Delete", await object_id(conn, services, post.id))
    else:
        obj = await object_store.post_object(conn, post.id)
        if obj is None:
            return False
        activity = _activity(services, url, "Create", obj)
    partners = await _partners(conn, held)
    await enqueue(conn, activity, list(partners.values()), services.clock())
    return bool(partners)


async def send_to_copies(
    conn: Connection, services: Services, group: str, kind: str, obj: Any
) -> bool:
    """Queue our `kind` of `obj` to every server holding a copy of the group (its URL);
    whether any does."""
    partners = await _partners(conn, await sharing_store.copies(conn, group))
    if partners:
        activity = _activity(services, group, kind, obj)
        await enqueue(conn, activity, list(partners.values()), services.clock())
    return bool(partners)


async def object_id(conn: Connection, services: Services, post_id: str) -> str:
    """The id of a post's object: ours, or the one its author's server gave it."""
    return await partner_store.object_of_post(conn, post_id) or post_url(services, post_id)


async def send_accepted(conn: Connection, services: Services, event: AnswerAccepted) -> bool:
    """Tell every copy which answer the thread accepted (an `Accept` of the answer, the
    question its `target`), or that none is now (an `Undo` of the previous `Accept`)."""
    question = event.question
    url = group_url(services, question.group_name)
    held = await sharing_store.copies(conn, url)
    if not held:
        return False
    target = await object_id(conn, services, question.id)
    if event.answer_id is not None:
        activity = _activity(
            services, url, "Accept", await object_id(conn, services, event.answer_id)
        )
    elif event.previous_id is not None:
        previous = await object_id(conn, services, event.previous_id)
        activity = _activity(services, url, "Undo", {"type": "Accept", "object": previous})
    else:
        return False
    activity["target"] = target
    partners = await _partners(conn, held)
    await enqueue(conn, activity, list(partners.values()), services.clock())
    return bool(partners)


def mark_id(url: str, member_id: str, post_id: str) -> str:
    """Our name for one member's helpful mark on a post, for the copies: stable (its Undo
    names it) and naming no one (a digest: marks by one member are not linkable). Unkeyed on
    purpose, and safe so: a member id is 80 random bits that never leave our database (no
    API, page, feed or object shows it, the member's own included), so nobody outside can
    test a guess of who marked a post against it."""
    digest = hashlib.sha256(f"{member_id}:{post_id}".encode()).hexdigest()[:32]
    return f"{url}#mark-{digest}"


async def _mark_activity(
    conn: Connection, services: Services, url: str, post_id: str, member_id: str, helpful: bool
) -> dict[str, Any]:
    like = {"id": mark_id(url, member_id, post_id), "type": "Like",
            "object": await object_id(conn, services, post_id)}  # fmt: skip
    return _activity(
        services, url, "Announce", like if helpful else {"type": "Undo", "object": like}
    )


async def send_mark(conn: Connection, services: Services, event: HelpfulMarked) -> bool:
    """Tell every copy of a post's group that it was marked helpful, or the mark taken
    back, so that copies show the count and its author's server the evidence."""
    url = group_url(services, event.post.group_name)
    held = await sharing_store.copies(conn, url)
    if not held:
        return False
    activity = await _mark_activity(
        conn, services, url, event.post.id, event.by_member_id, event.helpful
    )
    partners = await _partners(conn, held)
    await enqueue(conn, activity, list(partners.values()), services.clock())
    return bool(partners)


def subscribe(fed: Federation) -> None:
    """Wired after `subscribers.subscribe` (a post's signed object is stored first)."""
    services = fed.services

    async def on_shared(conn: Connection, event: SharedGroupChanged) -> None:
        await sync_group(conn, services, event.group_id)

    # A post queued for member servers wakes the delivery worker rather than waiting for its
    # poll: the worker's claim is a write of its own, so it runs after this transaction.
    async def on_post(conn: Connection, event: PostWritten) -> None:
        if await send_post(conn, services, event.post, deleted=False):
            fed.wake()

    async def on_deleted(conn: Connection, event: PostDeleted) -> None:
        if await send_post(conn, services, event.post, deleted=True):
            fed.wake()

    async def on_accepted(conn: Connection, event: AnswerAccepted) -> None:
        if await send_accepted(conn, services, event):
            fed.wake()

    services.events.subscribe(SharedGroupChanged, on_shared)

    async def on_marked(conn: Connection, event: HelpfulMarked) -> None:
        if await send_mark(conn, services, event):
            fed.wake()

    services.events.subscribe(AnswerAccepted, on_accepted)
    services.events.subscribe(HelpfulMarked, on_marked)
    services.events.subscribe(PostWritten, on_post)
    services.events.subscribe(PostDeleted, on_deleted)
