"""The keys that place the posts of copies of partners' groups among our own posts in home
and tag feeds (migration 0184), written with each post by store/cached_groups.py; what the
feeds read of them is store/cached_feeds.py.

A post's `feed_key` has the layout and order of our post ids (domain/ids.py: the
milliseconds of its `published`, then 80 random bits), so one cursor pages through both.
"""

from __future__ import annotations

import secrets
import sqlite3
from datetime import UTC, datetime, timedelta

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


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
