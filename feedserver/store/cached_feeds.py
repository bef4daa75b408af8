"""What home and tag feeds read of the copies of partners' groups (migration 0184).

Each post of a copy has a `feed_key` in the order of our own post ids (store/cached_feed_keys.py),
so one cursor pages through our posts and the copies' together, and each copy is read as an
index range from it: a page costs copies x page, never what the copies hold. Every read of a
copy's posts for a feed goes through SHOWN, the one condition on which posts a feed may show.
"""

from __future__ import annotations

from feedserver.models import CachedPost
from feedserver.store.cached_groups import _post
from feedserver.store.db import Connection

_NEWEST = "~"  # sorts after every key: "no cursor"

# The posts of a copy a feed shows: those its host relayed (not our members' pending or
# refused writes), questions and tips only. Partial index cached_posts_feed matches it.
SHOWN = "cp.state = 'accepted' AND cp.parent_id IS NULL"


async def home_page(
    conn: Connection, group_actors: list[str], *, before: str | None, limit: int
) -> list[CachedPost]:
    """The newest `limit` posts (by key, older than `before`) of these copies: each copy's
    own index range, then merged."""
    if not group_actors:
        return []
    branch = (
        "SELECT * FROM (SELECT cp.object_id FROM cached_posts cp WHERE cp.group_actor = ?"
        f" AND {SHOWN} AND cp.feed_key < ? ORDER BY cp.feed_key DESC LIMIT ?) AS page"
    )
    params: list[object] = []
    for actor in group_actors:
        params += [actor, before or _NEWEST, limit]
    return await _posts(conn, " UNION ALL ".join(branch for _ in group_actors), params, limit)


async def tag_page(
    conn: Connection, group_actors: list[str], tag: str, *, before: str | None, limit: int
) -> list[CachedPost]:
    """The newest `limit` posts with `tag` (by key, older than `before`) of these copies."""
    if not group_actors:
        return []
    branch = (
        "SELECT * FROM (SELECT t.object_id FROM cached_post_tags t"
        " JOIN cached_posts cp ON cp.object_id = t.object_id"
        f" WHERE t.group_actor = ? AND t.tag = ? AND t.feed_key < ? AND {SHOWN}"
        " ORDER BY t.feed_key DESC LIMIT ?) AS page"
    )
    params: list[object] = []
    for actor in group_actors:
        params += [actor, tag, before or _NEWEST, limit]
    return await _posts(conn, " UNION ALL ".join(branch for _ in group_actors), params, limit)


async def _posts(
    conn: Connection, union: str, params: list[object], limit: int
) -> list[CachedPost]:
    found = await conn.execute_fetchall(
        f"SELECT cp.* FROM cached_posts cp WHERE cp.object_id IN ({union}) AND {SHOWN}"
        " ORDER BY cp.feed_key DESC LIMIT ?",
        (*params, limit),
    )
    return [_post(r) for r in found]
