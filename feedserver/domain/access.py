"""THE access policy. Every read path (API, pages, feeds, search, directory, federation) asks
this module, and only this module, who may see, post in, moderate or manage a group.

A viewer who may not see a group is told it does not exist (404), never that it is forbidden,
so private names do not leak.

| visibility | read                                  | post, reply, mark helpful |
|------------|---------------------------------------|---------------------------|
| private    | members; admins (moderation)          | members                   |
| org        | every signed-in local member          | members (any may join)    |
| partners   | members, local and remote (see below) | members                   |

A `partners` group is shared with the partner servers it names (each with the groups scope):
its remote members (username@host) live there, and their server keeps a copy that only they
read (`cached_group_access`). Locally it reads like a private group.
"""

from __future__ import annotations

from dataclasses import dataclass

from feedserver.errors import Forbidden, NotFound, Unauthorized
from feedserver.models import (
    CachedGroup,
    CachedPost,
    CopyScope,
    Group,
    Membership,
    Post,
    ProfileScope,
    ReadScope,
    Role,
    Viewer,
)
from feedserver.store import cached_groups as cached_store
from feedserver.store import groups as group_store
from feedserver.store.db import Connection


@dataclass(frozen=True, slots=True)
class GroupAccess:
    group: Group
    role: Role | None
    can_read: bool
    can_post: bool  # post, reply, mark helpful
    can_moderate: bool  # remove any post, accept answers, approve join requests
    can_manage: bool  # add and remove members, change roles
    can_join: bool  # may become a member without approval


def decide(viewer: Viewer, group: Group, membership: Membership | None) -> GroupAccess:
    """The whole policy for one viewer and one group, as plain data."""
    role = membership.role if membership else None
    signed_in = viewer.member is not None
    is_member = role is not None
    is_org = group.visibility == "org"
    can_read = is_member or viewer.is_admin or (signed_in and is_org)
    return GroupAccess(
        group=group,
        role=role,
        can_read=can_read,
        can_post=is_member,
        can_moderate=role in ("owner", "mentor") or viewer.is_admin,
        can_manage=role == "owner" or viewer.is_admin,
        can_join=signed_in and is_org and not is_member,
    )


def read_scope(viewer: Viewer) -> ReadScope:
    """Which groups' content a viewer may read, for queries over many groups (search, feeds)."""
    if viewer.member is None:
        return ReadScope()
    if viewer.is_admin:
        return ReadScope(everything=True)
    return ReadScope(member_id=viewer.member.id, org_groups=True)


def member_scope(viewer: Viewer) -> ReadScope:
    """Only the groups the viewer belongs to ("my groups", the home page): narrower than
    read_scope, never wider."""
    if viewer.member is None:
        return ReadScope()
    return ReadScope(member_id=viewer.member.id)


def require_member(viewer: Viewer) -> None:
    if viewer.member is None:
        raise Unauthorized("Sign in to use this")


def require_admin(viewer: Viewer) -> None:
    require_member(viewer)
    if not viewer.is_admin:
        raise Forbidden("Only administrators may do this")


async def group_access(conn: Connection, viewer: Viewer, group: Group) -> GroupAccess:
    membership = (
        await group_store.membership(conn, group.id, viewer.member.id) if viewer.member else None
    )
    return decide(viewer, group, membership)


async def readable_group(conn: Connection, viewer: Viewer, name: str) -> GroupAccess:
    """The group by name, or NotFound when it is missing or the viewer may not read it."""
    require_member(viewer)
    found = await group_store.with_membership(conn, name, viewer.member_id)
    if found is None:
        raise NotFound("No such group")
    access = decide(viewer, *found)
    if not access.can_read:
        raise NotFound("No such group")
    return access


async def readable_post_group(conn: Connection, viewer: Viewer, post: Post | None) -> GroupAccess:
    """Access to the group of a post, or NotFound when the post is missing or unreadable."""
    require_member(viewer)
    if post is None:
        raise NotFound("No such post")
    group = await group_store.by_id(conn, post.group_id)
    access = await group_access(conn, viewer, group) if group else None
    if access is None or not access.can_read:
        raise NotFound("No such post")
    return access


def may_accept(viewer: Viewer, access: GroupAccess, question: Post) -> bool:
    """The asker, a mentor or an owner of the group (or an admin) picks the accepted answer."""
    return access.can_moderate or (access.can_post and viewer.member_id == question.author_id)


def may_edit(viewer: Viewer, access: GroupAccess, post: Post) -> bool:
    """Only the author edits (every revision is kept under their name)."""
    return access.can_post and viewer.member_id == post.author_id


def may_delete(viewer: Viewer, access: GroupAccess, post: Post) -> bool:
    return access.can_moderate or (access.can_post and viewer.member_id == post.author_id)


# --- Groups shared with partner servers ---
#
# | where                     | who reads the group, its posts and its feed                |
# |---------------------------|------------------------------------------------------------|
# | the hosting server        | as above (its remote members read it on their own server)  |
# | a member server (a copy)  | that server's members who are members of the group; nobody |
# |                           | else, admins included (the group is not theirs to moderate)|


def may_share_with_partners(group: Group) -> bool:
    """Only a `partners` group is shared; narrowing it ends every copy."""
    return group.visibility == "partners"


@dataclass(frozen=True, slots=True)
class SharedGroupAccess:
    group: CachedGroup
    can_read: bool
    can_post: bool  # ask, answer, reply: sent to the hosting server, which checks again


def cached_group_access(viewer: Viewer, group: CachedGroup) -> SharedGroupAccess:
    member = viewer.member is not None and group.role is not None
    return SharedGroupAccess(group=group, can_read=member, can_post=member)


MODERATORS = ("owner", "mentor")


def wrote_in_copy(viewer: Viewer, post: CachedPost) -> bool:
    """Whether the viewer wrote this post of a copy here (the host checks again)."""
    return post.writer_id is not None and post.writer_id == viewer.member_id


def may_moderate_copy(found: SharedGroupAccess, viewer: Viewer, post: CachedPost) -> bool:
    """Accept an answer to this question, or remove this post, in a copy: its writer, or a
    mentor or owner of the group (the same rule as `may_accept`/`may_delete`; the host
    decides again from the role it holds)."""
    return found.can_post and (wrote_in_copy(viewer, post) or found.group.role in MODERATORS)


def may_offer_to_partner(group: Group, *, listed: bool, groups_scope: bool) -> bool:
    """Whether a partner server may learn of this group of ours (its name, title and
    description, nothing else) and its members ask to join it: only while it is shared with
    that partner (`partners`, the partner listed, the partnership with the groups scope)."""
    return may_share_with_partners(group) and listed and groups_scope


def may_decide_partner_join(found: GroupAccess) -> bool:
    """A partner's member's request to join is decided like a local one's: owners and
    mentors (and admins)."""
    return found.can_moderate


def copy_search_scope(viewer: Viewer, groups: list[CachedGroup]) -> CopyScope:
    """What search finds in copies (`groups`: those the viewer is listed in, with their
    role): the copies they read, by `cached_group_access`; in them, what the group's page
    shows everyone (posts their host took) and the viewer's own writes still on their way
    (pending), as the page shows them to their writer. Refused writes are not content of
    the group: the page shows them to their writer, search does not find them."""
    readable = sorted(g.actor_id for g in groups if cached_group_access(viewer, g).can_read)
    return CopyScope(group_actors=tuple(readable), pending_writer=viewer.member_id)


def found_in_copy(viewer: Viewer, group: CachedGroup | None, post: CachedPost) -> bool:
    """The same rule for one post a search found (checked again on each hit)."""
    if group is None or not cached_group_access(viewer, group).can_read:
        return False
    return post.state == "accepted" or (post.state == "pending" and wrote_in_copy(viewer, post))


async def readable_cached_group(
    conn: Connection, viewer: Viewer, name: str, host: str
) -> SharedGroupAccess:
    """A partner's group we hold a copy of, addressed name@host, or NotFound when we hold
    none or the viewer is not one of its members."""
    require_member(viewer)
    found = await cached_store.by_address(conn, name, host, viewer.member_id)
    access = cached_group_access(viewer, found) if found else None
    if access is None or not access.can_read:
        raise NotFound("No such group")
    return access


async def readable_copies(conn: Connection, viewer: Viewer) -> list[CachedGroup]:
    """The copies the viewer reads, for reads over many groups (home and tag feeds): found by
    the viewer's own rows (an index lookup), so nothing is read of any copy for a viewer in
    none, and decided one by one by `cached_group_access`."""
    if viewer.member is None:
        return []
    found = await cached_store.of_member(conn, viewer.member.id)
    return [g for g in found if cached_group_access(viewer, g).can_read]


# --- Expertise profiles ---
#
# | sharing  | who sees the profile (directory, explanations, routing)              |
# |----------|----------------------------------------------------------------------|
# | private  | its owner and admins                                                 |
# | org      | every signed-in local member (the default)                           |
# | partners | every signed-in local member; partner servers too once federation is |


def may_see_profile(viewer: Viewer, owner_id: str, sharing: str) -> bool:
    if viewer.member is None:
        return False
    if viewer.is_admin or viewer.member.id == owner_id:
        return True
    return sharing in ("org", "partners")


def may_name_topic(declared: bool, readable_evidence: int) -> bool:
    """A topic is a tag, and a private group's tags are private. A viewer sees a member's
    topic named (profile, directory, partners) only when the member declared it or the viewer
    may read at least one piece of its evidence (a group they read, or an open kind with no
    group: groupless_kinds); evidence they may not read is only counted, and only under a
    topic they may name."""
    return declared or readable_evidence > 0


# Evidence recorded with no group (group_id NULL), and what it may name. Evidence from a group
# is read where its group is read (read_scope, partner_read_scope). Three kinds have no group,
# and they differ:
# - an endorsement: the endorser typed the topic on the member's profile, where everyone who
#   may see the profile sees it (its count is shown there). It is as open as the profile, so
#   it may name its topic to anyone the profile is shown to, partners included;
# - an answer accepted in a partner's group: read by the members of that group's copy here
#   (copy_evidence_reader), counted for everyone else;
# - mentoring: the topic is a mentee's goal (#performance-improvement-plan), which only the
#   pairing's mentee and mentor and the program's managers see. It counts toward the score and
#   is counted in `hidden`, but never names a topic by itself: the topic is named only through
#   other evidence the viewer may read, or a declaration. Admins read it, as they read every
#   group and every pairing.
# A kind added later with no group is treated like mentoring until it is listed here.
OPEN_GROUPLESS_KINDS: tuple[str, ...] = ("endorsement",)


def groupless_kinds(scope: ReadScope) -> tuple[str, ...] | None:
    """The kinds of evidence with no group that `scope` may read (and so name the topic of);
    None for every kind. Pass it with the scope wherever evidence is read."""
    return None if scope.everything else OPEN_GROUPLESS_KINDS


def copy_evidence_reader(scope: ReadScope) -> str | None:
    """Evidence a member earned in a partner's group (an answer accepted there; no group of
    ours) is read, and may name its topic and that group, by whoever reads the group's copy
    here: our members who are members of that group (cached_group_access). Pass the member
    whose copies count, or None: admins read every groupless piece already (without the
    titles), partners never."""
    return None if scope.everything else scope.member_id


def may_discover_member(sharing: str) -> bool:
    """WebFinger and the Person actor answer anyone, unauthenticated: only a member who shares
    their profile with partners exists there. Everyone else (private or org-only) is 404, like
    a username that was never taken."""
    return sharing == "partners"


def may_resolve_for_group_partner(*, suspended: bool) -> bool:
    """A partner sharing groups with us (its signed WebFinger request) may resolve any of our
    members an owner there adds to a group, whatever their profile's sharing; a suspended
    member is not found. It learns that the username exists, nothing more."""
    return not suspended


def partner_read_scope() -> ReadScope:
    """What partner servers may learn about local groups' content when it is summarised (the
    topics of a shared profile): what any local member may read, i.e. org groups. Never a
    private group's tags."""
    return ReadScope(org_groups=True)


def profile_scope(viewer: Viewer) -> ProfileScope:
    """may_see_profile() for queries over many profiles (directory, routing)."""
    if viewer.member is None:
        return ProfileScope()
    if viewer.is_admin:
        return ProfileScope(everything=True)
    return ProfileScope(member_id=viewer.member.id, sharing=frozenset({"org", "partners"}))


def may_edit_profile(viewer: Viewer, owner_id: str) -> bool:
    return viewer.member is not None and (viewer.is_admin or viewer.member.id == owner_id)


def may_lock_page(access: GroupAccess) -> bool:
    """Owners and mentors (and admins) lock and unlock FAQ pages."""
    return access.can_moderate


def may_edit_page(access: GroupAccess, locked: bool) -> bool:
    """Members edit FAQ pages; a locked page only owners and mentors."""
    return access.can_moderate if locked else access.can_post


# --- Mentoring programs ---
#
# | what                                  | who                                               |
# |---------------------------------------|---------------------------------------------------|
# | a program (name, window, counts)      | every signed-in local member                      |
# | create a program                      | admins                                            |
# | proposals, edits, publish, report     | admins and the program's owners ("managers")      |
# | a pairing                             | its mentee, its mentor, managers; others get 404  |
# | close a pairing                       | its mentor, managers                              |
# | ask to rematch                        | its mentee                                        |
# | oversight of a cohort                 | its mentor while `mentor` (or `owner`) of the group |
# Cohort groups are private groups: who reads their posts is decided by decide() above.

OVERSEEING_ROLES: tuple[str, ...] = ("mentor", "owner")


def may_see_program(viewer: Viewer) -> bool:
    """Programs are visible to every member of the organization."""
    return viewer.member is not None


def may_manage_program(viewer: Viewer, owner_ids: tuple[str, ...]) -> bool:
    return viewer.is_admin or (viewer.member_id is not None and viewer.member_id in owner_ids)


def may_see_pairing(viewer: Viewer, mentor_id: str, mentee_id: str, manager: bool) -> bool:
    return manager or viewer.member_id in (mentor_id, mentee_id)


def may_close_pairing(viewer: Viewer, mentor_id: str, manager: bool) -> bool:
    return manager or viewer.member_id == mentor_id


def may_ask_rematch(viewer: Viewer, mentee_id: str) -> bool:
    return viewer.member_id == mentee_id
