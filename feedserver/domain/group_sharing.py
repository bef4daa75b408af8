"""Groups shared with partner servers, on the hosting server: the partner list of a
`partners` group and its remote members (username@host). Resolving a remote member is the
federation layer's job (WebFinger on that partner); the rules are here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from feedserver.domain import access, partner_joins, posts
from feedserver.domain.access import GroupAccess
from feedserver.domain.events import SharedGroupChanged
from feedserver.domain.ids import new_id
from feedserver.domain.services import Services
from feedserver.errors import Conflict, Forbidden, NotFound, ValidationFailed
from feedserver.models import (
    TOP_LEVEL_KINDS,
    Group,
    GroupMember,
    Member,
    Membership,
    Post,
    Role,
    Viewer,
)
from feedserver.store import group_sharing as sharing_store
from feedserver.store import groups as group_store
from feedserver.store import posts as post_store
from feedserver.store.db import Connection

MAX_PARTNERS = 50
ROLES = ("owner", "mentor", "member")


def split_address(address: str) -> tuple[str, str] | None:
    """(username, host) of a remote member's username@host; None for a local username."""
    username, at, host = address.rpartition("@")
    if not at:
        return None
    if not username or not host:
        raise NotFound("No such member")
    return username, host.lower()


async def set_partners(
    conn: Connection, services: Services, group: Group, hosts: Sequence[str] | None,
    visibility: str,
) -> None:  # fmt: skip
    """Validate and store the group's partner list (None: unchanged), then have federation
    bring partners' copies in line. Call inside the write that changed the group."""
    if hosts is not None:
        wanted = sorted({h.strip().lower() for h in hosts})
        if wanted and visibility != "partners":
            raise ValidationFailed(
                [{"field": "partners", "message": "only a group with visibility partners"
                  " is shared with partner servers"}]
            )  # fmt: skip
        if len(wanted) > MAX_PARTNERS:
            raise ValidationFailed([{"field": "partners", "message": f"at most {MAX_PARTNERS}"}])
        known = await sharing_store.groups_partners(conn, wanted)
        bad = [h for h, ok in known.items() if not ok]
        if bad:
            raise ValidationFailed(
                [{"field": "partners", "message": f"not a partner sharing groups: {h}"}
                 for h in bad]
            )  # fmt: skip
        await sharing_store.set_partners(conn, group.id, wanted)
        await group_store.bump_version(conn, group.id)
    await services.events.publish(conn, SharedGroupChanged(group.id))


async def partners_of(services: Services, group_id: str) -> list[str]:
    async with services.db.read() as conn:
        return await sharing_store.partners_of(conn, group_id)


async def check_can_add(
    services: Services, viewer: Viewer, name: str, host: str, approving: str | None = None
) -> None:
    """Before the network is asked about username@host: may the viewer add a member of
    `host` to the group? (owners; the host in the group's partner list). `approving`: the
    username@host whose pending request to join an owner or mentor approves."""
    async with services.db.read() as conn:
        found = await _adding(conn, viewer, name, approving)
        if host not in await sharing_store.partners_of(conn, found.group.id):
            raise ValidationFailed(
                [{"field": "username", "message": f"the group is not shared with {host}"}]
            )


async def put_remote_member(
    services: Services, viewer: Viewer, name: str, *, host: str, username: str,
    actor_id: str, display_name: str, role: str, approving: bool = False,
) -> GroupMember:  # fmt: skip
    """Add username@host (resolved by federation) or change their role; `approving`: on
    their pending request to join (an owner or mentor may; as a member)."""
    if role not in ROLES:
        raise ValidationFailed([{"field": "role", "message": "owner, mentor or member"}])
    address = f"{username}@{host}"
    async with services.db.write() as conn:
        found = await _adding(conn, viewer, name, address if approving else None)
        current = await sharing_store.remote_member(conn, found.group.id, host, username)
        if approving and current is not None:  # added meanwhile: approving changes no role
            role = current.role
        if host not in await sharing_store.partners_of(conn, found.group.id):
            raise ValidationFailed(
                [{"field": "username", "message": f"the group is not shared with {host}"}]
            )
        await sharing_store.put_remote_member(
            conn, found.group.id, host, username, actor_id, display_name[:200], role,
            services.clock(),
        )  # fmt: skip
        await group_store.bump_version(conn, found.group.id)
        await services.events.publish(conn, SharedGroupChanged(found.group.id))
        # A request of theirs to join is answered by this (after the group's state, so
        # their server has the copy when it hears).
        await partner_joins.approved(conn, services, found.group, address)
        member = await sharing_store.remote_member(conn, found.group.id, host, username)
    assert member is not None
    return member


async def remove_remote_member(
    services: Services, viewer: Viewer, name: str, host: str, username: str
) -> None:
    async with services.db.write() as conn:
        found = await _managed(conn, viewer, name)
        if not await sharing_store.delete_remote_member(conn, found.group.id, host, username):
            raise NotFound("Not a member of this group")
        await group_store.bump_version(conn, found.group.id)
        await services.events.publish(conn, SharedGroupChanged(found.group.id))


async def remote_members(conn: Connection, group_id: str) -> list[GroupMember]:
    return [m for _, m in await sharing_store.remote_members(conn, group_id)]


async def _adding(
    conn: Connection, viewer: Viewer, name: str, approving: str | None
) -> GroupAccess:
    if approving is None:
        return await _managed(conn, viewer, name)
    return await partner_joins.pending_request(conn, viewer, name, approving)


async def _managed(conn: Connection, viewer: Viewer, name: str) -> GroupAccess:
    found = await access.readable_group(conn, viewer, name)
    if not found.can_manage:
        raise Forbidden("Only the group's owners may add members or change roles")
    return found


# --- writes from remote members (the federation layer verified who wrote it) ------------


async def store_partner_post(
    conn: Connection, services: Services, *, group: Group, author: Member, role: Role,
    parent_id: str | None, kind: str, title: str, body: str, body_html: str,
    tags: tuple[str, ...],
) -> Post:  # fmt: skip
    """A post or reply a remote member wrote on their own server, stored here as its host
    (in the caller's transaction; the caller publishes PostWritten once the signed object
    is stored). The same rules as a local member's: the policy decides from their role, a
    reply goes to one of the group's threads and is an answer exactly when that thread is a
    question. Their expertise counts at their home server, not here."""
    now = services.clock()
    found = partner_access(group, author, role, now)
    if not found.can_post:
        raise Forbidden("Only the group's members post in it")
    if parent_id is not None:
        parent = await post_store.get(conn, parent_id)
        if parent is None or parent.group_id != group.id:
            raise NotFound("No such post")
        if parent.parent_id is not None:
            raise Conflict("Reply to the thread's first post, not to a reply")
        if kind != ("answer" if parent.kind == "question" else "reply"):
            raise ValidationFailed([{"field": "kind", "message": "not the kind of this reply"}])
    elif kind not in TOP_LEVEL_KINDS:
        raise ValidationFailed([{"field": "kind", "message": "not a kind of post"}])
    # A body and, for a post, a title and at most MAX_TAGS tags: as a local member's.
    body = posts.clean_body(body)
    title = posts.clean_title(title) if parent_id is None else ""
    tags = posts.normalize_tags(list(tags)) if parent_id is None else ()
    post = Post(
        id=new_id(), group_id=group.id, group_name=group.name, parent_id=parent_id,
        kind=kind,  # type: ignore[arg-type]
        author_id=author.id, author_username=author.username,
        author_display_name=author.display_name, title=title,
        body=body, body_html=body_html, tags=tags,
        created_at=now, updated_at=now, revision=1,
    )  # fmt: skip
    await post_store.insert_post(conn, post)
    return post


def partner_access(group: Group, author: Member, role: Role, now: datetime) -> GroupAccess:
    """What a remote member of a shared group may do in it: the policy, from their role."""
    found = access.decide(Viewer(author), group, Membership(group.id, author.id, role, now))
    if not access.may_share_with_partners(group):
        raise Forbidden("The group is not shared")
    return found


async def partner_post(
    conn: Connection, services: Services, *, group: Group, author: Member, role: Role,
    post_id: str,
) -> tuple[Viewer, GroupAccess, Post]:  # fmt: skip
    """A post of the group a remote member acts on (accepts, edits, removes, marks helpful),
    with what they may do in the group: the caller passes both to the same `posts.*_in` a
    local member's action goes through."""
    post = await post_store.get(conn, post_id)
    if post is None or post.group_id != group.id:
        raise NotFound("No such post")
    return Viewer(author), partner_access(group, author, role, services.clock()), post
