"""Asking to join a shared group from a member server, the hosting side's rules.

A partner's member (username@host) asks with a signed `Join` that federation has checked (the
signature, the actor resolved on its own server). The request is kept here until one of the
group's owners or mentors decides, as a local member's request is (`access`): approving
makes them a remote member (`group_sharing.put_remote_member`, the copy follows), declining
tells their server. Repeats are bounded: one pending request per person and group (asking
again changes nothing and tells nobody again), none for a while after a decline, and at most
`MAX_PENDING_PER_PARTNER` pending from one partner in one group."""

from __future__ import annotations

from datetime import timedelta

from feedserver.domain import access
from feedserver.domain.access import GroupAccess
from feedserver.domain.events import JoinRequested, PartnerJoinDecided
from feedserver.domain.ids import new_id
from feedserver.domain.services import Services
from feedserver.errors import Conflict, Forbidden, NotFound
from feedserver.models import Group, JoinRequest, Viewer
from feedserver.store import group_sharing as sharing_store
from feedserver.store import partner_joins as store
from feedserver.store import partner_posts as partner_store
from feedserver.store.db import Connection

ASK_AGAIN_AFTER = timedelta(days=30)  # after a decline, the same person's asks are refused
MAX_PENDING_PER_PARTNER = 200


async def offered(conn: Connection, host: str) -> list[Group]:
    """Our groups a partner may learn of and ask to join (`access.may_offer_to_partner`)."""
    found = await store.offered_groups(conn, host)
    return [g for g in found if access.may_offer_to_partner(g, listed=True, groups_scope=True)]


async def offered_group(conn: Connection, name: str, host: str) -> Group:
    """Our group `name`, if `host` may ask to join it; refused (Forbidden) otherwise, with
    the same words whether it exists or not."""
    for group in await offered(conn, host):
        if group.name == name:
            return group
    raise Forbidden("no such group shared with you")


async def record(
    conn: Connection, services: Services, group: Group, *, host: str, username: str,
    actor_id: str, activity_id: str,
) -> bool:  # fmt: skip
    """Keep username@host's request (in the inbox's unit of work) and tell the group's owners
    and mentors. False when they had asked already (nothing new, nobody told again)."""
    if await sharing_store.remote_member(conn, group.id, host, username) is not None:
        raise Conflict("already a member of the group")
    now = services.clock()
    held = await store.request(conn, group.id, host, username)
    if held is not None and held.state == "pending":
        # Their server asks again (a lost answer): the answer will name this Join.
        await store.put_pending(
            conn, group_id=group.id, host=host, username=username, actor_id=actor_id,
            activity_id=activity_id, now=held.requested_at,
        )  # fmt: skip
        return False
    if held is not None and held.decided_at and now - held.decided_at < ASK_AGAIN_AFTER:
        raise Forbidden("the group declined this request recently")
    if await store.pending_count(conn, group.id, host) >= MAX_PENDING_PER_PARTNER:
        raise Conflict("too many pending requests from this partner")
    await store.put_pending(
        conn, group_id=group.id, host=host, username=username, actor_id=actor_id,
        activity_id=activity_id, now=now,
    )  # fmt: skip
    # The notification names who asks: the account they would write under here.
    author = await partner_store.author(
        conn, new_id=new_id(), username=username, host=host, display_name="", now=now
    )
    await services.events.publish(conn, JoinRequested(group.id, author.id))
    return True


async def withdraw(
    conn: Connection, group: Group, *, host: str, actor_id: str, activity_id: str
) -> None:
    """Their server takes back their request (in the inbox's unit of work): only a pending
    one, and only the `Join` it names (an older one, answered or replaced, changes nothing)."""
    await store.withdraw(conn, group.id, host, actor_id, activity_id)


async def pending(conn: Connection, group_id: str, limit: int) -> list[JoinRequest]:
    """Pending requests from partners' members, named username@host."""
    return [
        JoinRequest(group_id, f"{r.username}@{r.host}", f"{r.username}@{r.host}", r.requested_at)
        for r in await store.pending(conn, group_id, limit)
    ]


async def pending_request(conn: Connection, viewer: Viewer, name: str, address: str) -> GroupAccess:
    """The group, when the viewer decides its requests and username@host's is pending."""
    found = await access.readable_group(conn, viewer, name)
    if not access.may_decide_partner_join(found):
        raise Forbidden("Only owners and mentors decide join requests")
    username, host = _split(address)
    held = await store.request(conn, found.group.id, host, username)
    if held is None or held.state != "pending":
        raise NotFound("No such join request")
    return found


async def decline(services: Services, viewer: Viewer, name: str, address: str) -> None:
    """An owner or mentor declines: kept as declined (no new ask for a while), and their
    server is told (federation, on `PartnerJoinDecided`)."""
    username, host = _split(address)
    async with services.db.write() as conn:
        group = (await pending_request(conn, viewer, name, address)).group
        held = await store.request(conn, group.id, host, username)
        assert held is not None
        await store.decline(conn, group.id, host, username, services.clock())
        await services.events.publish(conn, PartnerJoinDecided(
            group.id, host, held.actor_id, held.activity_id, approved=False
        ))  # fmt: skip


async def approved(conn: Connection, services: Services, group: Group, address: str) -> None:
    """In the write that made them a remote member: the request is done, their server told."""
    username, host = _split(address)
    held = await store.request(conn, group.id, host, username)
    if held is None:
        return
    await store.delete_request(conn, group.id, host, username)
    await services.events.publish(conn, PartnerJoinDecided(
        group.id, host, held.actor_id, held.activity_id, approved=True
    ))  # fmt: skip


def _split(address: str) -> tuple[str, str]:
    """(username, host) of username@host (as `group_sharing.split_address`, which imports
    this module)."""
    username, at, host = address.rpartition("@")
    if not at or not username or not host:
        raise NotFound("No such join request")
    return username, host.lower()
