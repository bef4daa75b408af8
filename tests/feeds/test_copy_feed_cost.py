"""What the copies of partners' groups add to a home or tag feed costs what the page holds:
counted in SQLite virtual-machine steps at ten times the copy's posts. A reader who belongs to
no copy costs one index lookup, at any size; a page of the copy the same at any size, and a
page further back (from a cursor) too. The posts are written by the store's own put_post,
as the inbox writes them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from feedserver.domain import access
from feedserver.models import Member, Viewer
from feedserver.store import cached_feeds
from feedserver.store import cached_groups as cached_store
from feedserver.store.db import Database
from tests import two_groups
from tests.two_groups import T
from tests.vm_steps import two_sizes, vm_steps

ACTOR = "https://a.example/groups/payroll-pros"
NOW = datetime(2026, 1, 2, tzinfo=UTC)


def _write(raw, posts: int) -> None:
    raw.execute(
        "INSERT INTO partners (host, base_url, actor_id, inbox_url, created_at, groups)"
        " VALUES ('a.example', 'https://a.example', 'https://a.example/actor',"
        " 'https://a.example/inbox', ?, 1)",
        (T,),
    )
    cached_store.put_group(
        raw, actor_id=ACTOR, host="a.example", name="payroll-pros", title="Payroll pros",
        description="", version=1, members=[("m-author", "member")], now=NOW,
    )  # fmt: skip
    for n in range(posts):
        when = f"2026-01-01T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z"
        cached_store.put_post(
            raw, object_id=f"https://a.example/posts/{n:08d}", group_actor=ACTOR,
            parent_id=None, kind="question", author="alice", title=f"Q{n}", body_html="<p>b</p>",
            tags="payroll" if n % 2 else "tax", published=when, updated=when, obj={}, now=NOW,
        )  # fmt: skip


async def _database(path: Path, posts: int) -> None:
    db = Database(path, readers=1)
    await db.open()
    try:
        async with db.write() as conn:
            await two_groups.seed(conn)
            await conn.execute(
                "INSERT INTO members (id, username, display_name, created_at)"
                " VALUES ('m-nobody', 'nobody', 'Nobody', ?)",
                (T,),
            )
        await db.write_grouped(lambda raw: _write(raw, posts))
    finally:
        await db.close()


@pytest.fixture
async def small_and_large(tmp_path: Path) -> tuple[Path, Path]:
    return await two_sizes(tmp_path, _database, 300)


async def _page(conn, member_id: str, page: str, before: str | None):
    viewer = Viewer(Member(member_id, member_id, member_id, False, NOW))
    copies = await access.readable_copies(conn, viewer)
    actors = [g.actor_id for g in copies]
    if page == "home":
        return await cached_feeds.home_page(conn, actors, before=before, limit=51)
    return await cached_feeds.tag_page(conn, actors, "payroll", before=before, limit=51)


@pytest.mark.parametrize("page", ["home", "tag"])
@pytest.mark.parametrize(
    "member_id, expected", [("m-nobody", 0), ("m-author", 51)], ids=["outsider", "member"]
)
async def test_a_page_of_the_copies_costs_the_same_at_any_size(
    small_and_large: tuple[Path, Path], page: str, member_id: str, expected: int
) -> None:
    results = []
    for path in small_and_large:
        results.append(await vm_steps(path, lambda conn: _page(conn, member_id, page, None)))
    (at_small, found_small), (at_large, found_large) = results
    assert found_small == found_large == expected
    assert at_large < at_small * 1.5 + 50, (at_small, at_large)


async def test_a_page_further_back_costs_the_same_and_continues_in_order(
    small_and_large: tuple[Path, Path],
) -> None:
    for path in small_and_large:
        pages = []
        before = None
        for _ in range(2):
            steps, _ = await vm_steps(path, lambda conn: _page(conn, "m-author", "tag", before))
            database = Database(path, readers=1)
            await database.open()
            try:
                async with database.read() as conn:
                    found = await _page(conn, "m-author", "tag", before)
            finally:
                await database.close()
            pages.append((steps, [p.title for p in found]))
            before = found[-1].feed_key
        titles = [t for _, page in pages for t in page]
        assert len(titles) == len(set(titles)) == 102  # no post twice, none skipped
        numbers = [int(t[1:]) for t in titles]
        assert numbers == sorted(numbers, reverse=True)
        assert max(s for s, _ in pages) < min(s for s, _ in pages) * 1.5 + 50
