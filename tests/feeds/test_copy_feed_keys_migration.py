"""Migration 0184 gives the posts of copies held before it a feed key (in post-id order, from
their `published`) and their tags' rows, on the engine the suite runs on: a database migrated
to 0183 with rows in it, then to the end."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import asyncpg
import pytest

from feedserver.domain.ids import is_id
from feedserver.store import cached_feed_keys, migrate, pg_migrate
from tests import pgtest

ROWS = [  # object id, parent, tags, published (as hosts write it)
    ("https://a.example/posts/1", None, "payroll tax", "2026-12-07T17:22:22Z"),
    ("https://a.example/posts/2", None, "", "2026-12-07T17:22:23.250+01:00"),
    ("https://a.example/posts/3", "https://a.example/posts/1", "", "2026-12-07T17:22:24Z"),
]
SETUP = [
    "INSERT INTO partners (host, base_url, actor_id, inbox_url, created_at)"
    " VALUES ('a.example', 'https://a.example', 'https://a.example/actor', 'x', 't')",
    "INSERT INTO cached_groups (actor_id, host, name, title, version, updated_at)"
    " VALUES ('g', 'a.example', 'pay', 'Pay', 1, 't')",
]
INSERT = (
    "INSERT INTO cached_posts (object_id, group_actor, parent_id, kind, author, body_html,"
    " tags, published, updated, object) VALUES ($1, 'g', $2, 'question', 'alice', '', $3,"
    " $4, $4, '{}')"
)
CHECK = "SELECT object_id, feed_key FROM cached_posts ORDER BY object_id"
TAGS = "SELECT tag, object_id, feed_key FROM cached_post_tags ORDER BY tag"


def _before_and_after(directory: str) -> tuple[list, list]:
    known = migrate.migrations(directory)
    return [m for m in known if m[0] < 184], known


def _check(keys: list, tags: list) -> None:
    by_id = dict(keys)
    for object_id, _, _, published in ROWS:
        key = by_id[object_id]
        assert is_id(key), key  # a page cursor like a post id
        assert key[:10] == cached_feed_keys.feed_key(published)[:10]  # the same milliseconds
    assert sorted(tags) == [
        ("payroll", ROWS[0][0], by_id[ROWS[0][0]]),
        ("tax", ROWS[0][0], by_id[ROWS[0][0]]),
    ]  # only the top-level post's tags, with its key


@pytest.mark.skipif(pgtest.ON_POSTGRESQL, reason="the suite runs on PostgreSQL")
def test_sqlite(tmp_path: Path) -> None:
    before, after = _before_and_after(migrate.DIRECTORY)
    raw = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    try:
        migrate.apply(raw, before)
        for sql in SETUP:
            raw.execute(sql)
        for row in ROWS:
            raw.execute(INSERT.replace("$1", "?1").replace("$2", "?2").replace("$3", "?3")
                        .replace("$4", "?4"), row)  # fmt: skip
        migrate.apply(raw, after)
        _check(raw.execute(CHECK).fetchall(), raw.execute(TAGS).fetchall())
    finally:
        raw.close()


@pytest.mark.skipif(not pgtest.ON_POSTGRESQL, reason="the suite runs on SQLite")
async def test_postgresql() -> None:
    before, after = _before_and_after(pg_migrate.DIRECTORY)
    await pgtest._admin("DROP DATABASE IF EXISTS feedserver_keys_0184")
    await pgtest._admin("CREATE DATABASE feedserver_keys_0184")
    try:
        conn = await asyncpg.connect(pgtest.url_of("feedserver_keys_0184"))
        try:
            await pg_migrate.apply(conn, before)
            for sql in SETUP:
                await conn.execute(sql)
            for row in ROWS:
                await conn.execute(INSERT, *row)
            await pg_migrate.apply(conn, after)
            keys = [tuple(r) for r in await conn.fetch(CHECK)]
            _check(keys, [tuple(r) for r in await conn.fetch(TAGS)])
        finally:
            await conn.close()
    finally:
        await pgtest._admin("DROP DATABASE IF EXISTS feedserver_keys_0184")
