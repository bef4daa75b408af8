"""Search over the copies of partners' groups the viewer reads (name@host), beside our own
posts in domain/search.py: what it may find is the access policy's (`copy_search_scope`,
and `found_in_copy` for each hit once more)."""

from __future__ import annotations

from feedserver.domain import access
from feedserver.models import CachedGroup, CachedPost, CopyScope, Viewer
from feedserver.store import cached_groups as cached_store
from feedserver.store import search_copies as search_store
from feedserver.store.db import Connection


async def scope_of(
    conn: Connection, viewer: Viewer
) -> tuple[dict[str, CachedGroup], CopyScope]:  # fmt: skip
    """The copies the viewer is listed in (by actor) and what search may find in them, as the
    access policy decides it (`copy_search_scope`); an empty scope reads no copy."""
    if viewer.member is None:
        return {}, CopyScope()
    groups = await cached_store.of_member(conn, viewer.member.id)
    return {g.actor_id: g for g in groups}, access.copy_search_scope(viewer, groups)


def kept(
    viewer: Viewer, by_actor: dict[str, CachedGroup], hits: list[tuple[CachedPost, str, float]]
) -> list[tuple[CachedGroup, CachedPost, str, float]]:
    """The hits the policy lets the viewer see once more (`found_in_copy`), with their group."""
    return [
        (by_actor[post.group_actor], post, snippet, rank)
        for post, snippet, rank in hits
        if access.found_in_copy(viewer, by_actor.get(post.group_actor), post)
    ]


async def found(
    conn: Connection, viewer: Viewer, match: str, hit_start: str, hit_end: str, *,
    window: int, broad_word: int, limit: int,
) -> list[tuple[CachedGroup, CachedPost, str, float]]:  # fmt: skip
    """The best `limit` (group, post, raw snippet, rank) of the copies the viewer reads;
    nothing, and no index query, for a viewer who reads none."""
    by_actor, scope = await scope_of(conn, viewer)
    if not scope.group_actors:
        return []
    hits = await search_store.posts(
        conn, scope, match, hit_start, hit_end, window=window, broad_word=broad_word,
        limit=limit,
    )  # fmt: skip
    return kept(viewer, by_actor, hits)
