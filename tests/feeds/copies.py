"""A copy of a partner's group (a.example's payroll-pros) held by the server under test, with
one member of ours in it, written by the store's own functions as the inbox writes them: for
feed tests that need copies' posts without a second server (tests/shared_groups has those)."""

from __future__ import annotations

from datetime import UTC, datetime

from feedserver.domain.services import Services
from feedserver.store import cached_groups as cached_store

ACTOR = "https://a.example/groups/payroll-pros"


async def member_id(services: Services, username: str) -> str:
    async with services.db.read() as conn:
        found = await conn.execute_fetchall(
            "SELECT id FROM members WHERE username = ?", (username,)
        )
    return str(next(iter(found))[0])


async def add_copy(services: Services, username: str, posts: list[dict]) -> None:
    """The copy, `username` its member, and `posts`: dicts of put_post's fields (object_id,
    title, body_html, tags, published; the rest defaulted)."""
    reader = await member_id(services, username)
    now = datetime.now(UTC)

    def write(raw) -> None:
        raw.execute(
            "INSERT INTO partners (host, base_url, actor_id, inbox_url, created_at, groups)"
            " VALUES ('a.example', 'https://a.example', 'https://a.example/actor',"
            " 'https://a.example/inbox', '2026-01-01T00:00:00.000000Z', 1)"
        )
        cached_store.put_group(
            raw, actor_id=ACTOR, host="a.example", name="payroll-pros", title="Payroll pros",
            description="", version=1, members=[(reader, "member")], now=now,
        )  # fmt: skip
        for post in posts:
            fields = {"parent_id": None, "kind": "question", "author": "dora@a.example",
                      "updated": post["published"], "obj": {}, **post}  # fmt: skip
            cached_store.put_post(raw, group_actor=ACTOR, now=now, **fields)

    await services.db.write_grouped(write)
