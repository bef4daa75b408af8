"""Groups shared with us by partner servers, as our members read them: addressed
name@host, each read through the access policy (`access.readable_cached_group`)."""

from __future__ import annotations

from feedserver.domain import access, feed_paths, feed_tokens
from feedserver.domain.access import SharedGroupAccess
from feedserver.domain.services import Services
from feedserver.errors import NotFound
from feedserver.models import CachedGroup, CachedPost, Viewer
from feedserver.store import cached_groups as cached_store
from feedserver.store import feeds as feed_store


def split(address: str) -> tuple[str, str]:
    """(name, host) of name@host."""
    name, at, host = address.rpartition("@")
    if not at or not name or not host:
        raise NotFound("No such group")
    return name, host.lower()


async def mine(services: Services, viewer: Viewer) -> list[CachedGroup]:
    """The partners' groups the viewer belongs to (only members read a copy)."""
    access.require_member(viewer)
    assert viewer.member is not None
    async with services.db.read() as conn:
        found = await cached_store.of_member(conn, viewer.member.id)
    return [g for g in found if access.cached_group_access(viewer, g).can_read]


async def get(services: Services, viewer: Viewer, address: str) -> SharedGroupAccess:
    name, host = split(address)
    async with services.db.read() as conn:
        return await access.readable_cached_group(conn, viewer, name, host)


async def posts(
    services: Services, viewer: Viewer, address: str, limit: int
) -> tuple[SharedGroupAccess, list[CachedPost]]:
    name, host = split(address)
    async with services.db.read() as conn:
        found = await access.readable_cached_group(conn, viewer, name, host)
        return found, await cached_store.posts(conn, found.group.actor_id, limit)


FEED_ENTRIES = 50


async def feed(
    services: Services, token: str | None, address: str
) -> tuple[CachedGroup, list[CachedPost]]:
    """The group's feed for the member the token names (same token rules as our own group
    feeds: a token for this path, the policy asked on every fetch); NotFound otherwise."""
    parsed = feed_tokens.parse(token)
    if parsed is None:
        raise NotFound("No such feed")
    async with services.db.read() as conn:
        found = await feed_store.member_by_key(conn, parsed.key_id)
        if found is None or not feed_tokens.verify(
            found[1], feed_paths.group_feed(address), parsed.mac
        ):
            raise NotFound("No such feed")
        name, host = split(address)
        group = await access.readable_cached_group(conn, Viewer(found[0]), name, host)
        return group.group, await cached_store.posts(conn, group.group.actor_id, FEED_ENTRIES)
