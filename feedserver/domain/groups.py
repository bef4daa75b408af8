"""Groups: creation, membership, roles and join requests."""

from __future__ import annotations

import re

from feedserver.domain import access, expertise, group_sharing, partner_joins
from feedserver.domain.access import GroupAccess
from feedserver.domain.events import JoinApproved, JoinRequested, MembershipChanged
from feedserver.domain.ids import new_id
from feedserver.domain.services import Services
from feedserver.domain.text import clean_text
from feedserver.errors import Conflict, Forbidden, NotFound, ValidationFailed
from feedserver.models import Group, GroupMember, JoinRequest, Page, Viewer
from feedserver.store import groups as group_store
from feedserver.store import members as member_store
from feedserver.store.db import Connection

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
# A BCP 47 language tag's shape (en, fr-CA, zh-Hant-TW), or "" for the server's language.
LANGUAGE_RE = re.compile(r"^(?:[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,4})?$")


def _language(value: str) -> str:
    if not LANGUAGE_RE.match(value):
        raise ValidationFailed(
            [{"field": "language", "message": "a language tag such as en, fr or pt-BR"}]
        )
    return value


async def create(
    services: Services,
    viewer: Viewer,
    *,
    name: str,
    title: str,
    description: str,
    visibility: str,
    partners: list[str] | None = None,
    language: str = "",
) -> Group:
    access.require_member(viewer)
    assert viewer.member is not None
    if not NAME_RE.match(name):
        raise ValidationFailed(
            [{"field": "name", "message": "lowercase letters, digits and '-', 2-64"}]
        )
    language = _language(language)
    group_id = new_id()
    now = services.clock()
    async with services.db.write() as conn:
        if not await group_store.insert(
            conn,
            id=group_id,
            name=name,
            title=clean_text(title).strip() or name,
            description=clean_text(description),
            visibility=visibility,
            now=now,
            language=language,
        ):
            # Taken names are reported even when the group is private: a name must be unique,
            # and hiding that would only make creation fail mysteriously.
            raise Conflict(f"The group name {name!r} is taken")
        await group_store.put_membership(
            conn, group_id=group_id, member_id=viewer.member.id, role="owner", now=now
        )
        await services.events.publish(
            conn, MembershipChanged(group_id, viewer.member.id, role="owner")
        )
        group = await group_store.by_id(conn, group_id)
        assert group is not None
        if partners:
            await group_sharing.set_partners(conn, services, group, partners, visibility)
            group = await group_store.by_id(conn, group_id)
    assert group is not None
    return group


async def get(services: Services, viewer: Viewer, name: str) -> GroupAccess:
    async with services.db.read() as conn:
        return await access.readable_group(conn, viewer, name)


async def edit(
    services: Services,
    viewer: Viewer,
    name: str,
    *,
    title: str | None,
    description: str | None,
    visibility: str | None,
    partners: list[str] | None = None,
    language: str | None = None,
) -> GroupAccess:
    """Owners (and admins) change a group's settings. Narrowing the visibility takes effect
    for every read path at once: they all ask the policy, and the change moves the group's
    version (feeds, caches). Partners keep copies of shared profiles, whose topics depend on
    it: those are pushed again in the same transaction (expertise hook)."""
    async with services.db.write() as conn:
        found = await access.readable_group(conn, viewer, name)
        if not found.can_manage:
            raise Forbidden("Only the group's owners may change its settings")
        g = found.group
        new_title = g.title if title is None else clean_text(title).strip()
        if not new_title:
            raise ValidationFailed([{"field": "title", "message": "must not be empty"}])
        await group_store.update(
            conn, g.id, title=new_title,
            description=g.description if description is None else clean_text(description),
            visibility=g.visibility if visibility is None else visibility,
            language=g.language if language is None else _language(language),
        )  # fmt: skip
        if visibility is not None and visibility != g.visibility:
            await expertise.on_group_visibility_changed(conn, services, g.id)
        if partners is not None or (visibility is not None and visibility != g.visibility):
            # Shared with other partners, or narrowed: partners' copies follow (or go).
            await group_sharing.set_partners(
                conn, services, g, partners, visibility or g.visibility
            )
        return await access.readable_group(conn, viewer, name)


async def visible(
    services: Services, viewer: Viewer, *, after: str | None, limit: int
) -> Page[Group]:
    access.require_member(viewer)
    async with services.db.read() as conn:
        found = await group_store.visible_page(
            conn, access.read_scope(viewer), after=after, limit=limit + 1
        )
    return Page.of(found, limit, lambda item: item.name)


async def members(
    services: Services, viewer: Viewer, name: str, *, after: str | None, limit: int
) -> Page[GroupMember]:
    async with services.db.read() as conn:
        found_access = await access.readable_group(conn, viewer, name)
        found = await group_store.members_page(
            conn, found_access.group.id, after=after, limit=limit + 1
        )
        page = Page.of(found, limit, lambda item: item.username)
        if page.next_cursor is None:  # members on partner servers (username@host) last
            remote = await group_sharing.remote_members(conn, found_access.group.id)
            page = Page(page.items + remote, None)
    return page


async def put_member(
    services: Services, viewer: Viewer, name: str, username: str, role: str
) -> GroupMember:
    """Add a member or change a role. Owners manage; anyone may join an `org` group as member."""
    async with services.db.write() as conn:
        found = await access.readable_group(conn, viewer, name)
        target = await member_store.by_username(conn, username)
        joining_self = (
            target is not None
            and target.id == viewer.member_id
            and role == "member"
            and found.can_join
        )
        if not (found.can_manage or joining_self):
            raise Forbidden("Only the group's owners may add members or change roles")
        if target is None:
            raise NotFound("No such member")
        current = await group_store.membership(conn, found.group.id, target.id)
        if current and current.role == "owner" and role != "owner":
            await _keep_an_owner(conn, found.group.id)
        await _set_membership(conn, services, found.group.id, target.id, role)
        membership = await group_store.membership(conn, found.group.id, target.id)
    assert membership is not None
    return GroupMember(target.username, target.display_name, membership.role, membership.joined_at)


async def remove_member(services: Services, viewer: Viewer, name: str, username: str) -> None:
    """Owners remove anyone; a member may always leave."""
    async with services.db.write() as conn:
        found = await access.readable_group(conn, viewer, name)
        target = await member_store.by_username(conn, username)
        if target is None:
            raise NotFound("No such member")
        if not (found.can_manage or target.id == viewer.member_id):
            raise Forbidden("Only the group's owners may remove members")
        current = await group_store.membership(conn, found.group.id, target.id)
        if current is None:
            raise NotFound("Not a member of this group")
        if current.role == "owner":
            await _keep_an_owner(conn, found.group.id)
        await group_store.delete_membership(conn, found.group.id, target.id)
        await group_store.bump_version(conn, found.group.id)
        await services.events.publish(conn, MembershipChanged(found.group.id, target.id, role=None))


async def _set_membership(
    conn: Connection, services: Services, group_id: str, member_id: str, role: str
) -> None:
    """Add a member or change a role; the group's version moves (its pages and feeds)."""
    await group_store.put_membership(
        conn, group_id=group_id, member_id=member_id, role=role, now=services.clock()
    )
    await group_store.bump_version(conn, group_id)
    await services.events.publish(conn, MembershipChanged(group_id, member_id, role))


async def _keep_an_owner(conn: Connection, group_id: str) -> None:
    if await group_store.count_role(conn, group_id, "owner") <= 1:
        raise Conflict("A group keeps at least one owner; make someone else owner first")


async def request_to_join(services: Services, viewer: Viewer, name: str) -> str:
    """'joined' for an org group; otherwise 'requested'.

    A private group the viewer cannot see answers 'requested' too, whether it exists or not,
    so a join request never reveals a private name.
    """
    access.require_member(viewer)
    assert viewer.member is not None
    if not NAME_RE.fullmatch(name):  # no group has such a name: there is nothing to hide
        raise NotFound("No such group")
    now = services.clock()
    async with services.db.write() as conn:
        group = await group_store.by_name(conn, name)
        if group is None:
            return "requested"
        found = await access.group_access(conn, viewer, group)
        if found.role is not None:
            return "joined"
        if found.can_join:
            await _set_membership(conn, services, group.id, viewer.member.id, "member")
            return "joined"
        if await group_store.insert_join_request(
            conn, group_id=group.id, member_id=viewer.member.id, now=now
        ):
            await services.events.publish(conn, JoinRequested(group.id, viewer.member.id))
    return "requested"


async def join_requests(
    services: Services, viewer: Viewer, name: str, *, limit: int
) -> list[JoinRequest]:
    async with services.db.read() as conn:
        found = await access.readable_group(conn, viewer, name)
        if not found.can_moderate:
            raise Forbidden("Only owners and mentors see join requests")
        local = await group_store.join_requests(conn, found.group.id, limit=limit)
        # Then those of partners' members (username@host), asked from their own server.
        return local + await partner_joins.pending(conn, found.group.id, limit - len(local))


async def decide_join_request(
    services: Services, viewer: Viewer, name: str, username: str, *, approve: bool
) -> None:
    async with services.db.write() as conn:
        found = await access.readable_group(conn, viewer, name)
        if not found.can_moderate:
            raise Forbidden("Only owners and mentors decide join requests")
        target = await member_store.by_username(conn, username)
        if target is None or not await group_store.has_join_request(
            conn, found.group.id, target.id
        ):
            raise NotFound("No such join request")
        if approve:
            await _set_membership(conn, services, found.group.id, target.id, "member")
            assert viewer.member is not None
            await services.events.publish(
                conn, JoinApproved(found.group.id, target.id, viewer.member.id)
            )
        else:
            await group_store.delete_join_request(conn, found.group.id, target.id)
