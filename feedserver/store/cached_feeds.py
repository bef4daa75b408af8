"""What home and tag feeds read of the copies of partners' groups (migration 0184).

Each post of a copy has a `feed_key` in the order of our own post ids (the ULID layout of
domain/ids.py: the milliseconds of its `published`, then 80 random bits), so one cursor pages
through our posts and the copies' together, and each copy is read as an index range from it:
a page costs copies x page, never what the copies hold. Every read of a copy's posts for a
feed goes through SHOWN, the one condition on which posts a feed may show.
"""

from __future__ import annotations

import secrets
import sqlite3
from datetime import UTC, datetime, timedelta

from feedserver.models import CachedPost
from feedserver.store import rows
from feedserver.store.db import Connection

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_NEWEST = "~"  # sorts after every key: "no cursor"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)

# The posts of a copy a feed shows: those its host relayed (not our members' pending or
# refused writes), questions and tips only. Partial index cached_posts_feed matches it.
SHOWN = "cp.state = 'accepted' AND cp.parent_id IS NULL"


def feed_key(published: str) -> str:
    """A new post's key: the milliseconds of `published` as its host wrote it (0 for text
    that is not a time), then random bits, like a post id of ours made at that moment."""
    try:
        moment = datetime.fromisoformat(published)
    except ValueError:
        millis = 0
    else:
        moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
        millis = max(0, (moment - _EPOCH) // _MILLISECOND) & ((1 << 48) - 1)
    value = (millis << 80) | secrets.randbits(80)
    return "".join(_ALPHABET[(value >> (5 * n)) & 31] for n in reversed(range(26)))


def put_tags(
    conn: sqlite3.Connection, group_actor: str, object_id: str, key: str, tags: list[str]
) -> None:
    """The tags of a post its host relayed (again): what a tag feed finds it by."""
    conn.execute("DELETE FROM cached_post_tags WHERE object_id = ?", (object_id,))
    conn.executemany(
        "INSERT INTO cached_post_tags (group_actor, tag, feed_key, object_id)"
        " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [(group_actor, tag, key, object_id) for tag in tags],
    )


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
    return [post(r) for r in found]


def post(row: sqlite3.Row) -> CachedPost:
    """A row of cached_posts (every read of one, store/cached_groups.py's too)."""
    return CachedPost(
        object_id=row["object_id"], group_actor=row["group_actor"], parent_id=row["parent_id"],
        kind=row["kind"], author=row["author"], title=row["title"], body_html=row["body_html"],
        tags=tuple(row["tags"].split()), published=rows.parse_ts(row["published"]),
        updated=rows.parse_ts(row["updated"]), state=row["state"], writer_id=row["writer_id"],
        accepted_answer=row["accepted_answer"], feed_key=row["feed_key"] or "",
        received_at=rows.parse_ts(row["received_at"]) if row["received_at"] else None,
    )  # fmt: skip
