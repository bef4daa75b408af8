"""Search over the copies of partners' groups costs what the viewer's copies and the page
hold, not what the server holds: counted in SQLite virtual-machine steps (exact, the same on
any machine) at ten times the posts. A viewer who reads no copy costs one lookup of their
memberships and no index query; one who reads a small copy is not charged for a large copy
they cannot read; a word in every post of their own copy is read to the window only."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from feedserver.domain import search_copies
from feedserver.models import Member, Viewer
from feedserver.store import search as search_store
from feedserver.store.db import Database
from tests import two_groups
from tests.two_groups import T
from tests.vm_steps import two_sizes, vm_steps

pytestmark = pytest.mark.sqlite_only("counts SQLite VM steps")

HOST = "a.example"
SMALL, LARGE = f"https://{HOST}/groups/small", f"https://{HOST}/groups/large"


def _viewer(member_id: str) -> Viewer:
    return Viewer(Member(member_id, member_id, member_id, False, datetime(2026, 1, 1, tzinfo=UTC)))


async def _database(path: Path, posts: int, db: Any = None) -> None:
    """Two copies from one partner: LARGE holds `posts` posts about payroll (m-large reads
    it), SMALL holds 25 (m-small reads it); m-none reads neither. In a new SQLite database
    at `path`, or in `db` (open, left open)."""
    own = db is None
    db = Database(path, readers=1) if own else db
    if own:
        await db.open()
    try:
        async with db.write() as conn:
            await two_groups.seed(conn)
            for member in ("m-small", "m-large", "m-none"):
                await conn.execute(
                    "INSERT INTO members (id, username, display_name, created_at)"
                    " VALUES (?, ?, ?, ?)",
                    (member, member, member, T),
                )
            await conn.execute(
                "INSERT INTO partners (host, base_url, actor_id, inbox_url, created_at, groups)"
                " VALUES (?, ?, ?, ?, ?, 1)",
                (HOST, f"https://{HOST}", f"https://{HOST}/actor", f"https://{HOST}/inbox", T),
            )
            for actor, member in ((SMALL, "m-small"), (LARGE, "m-large")):
                name = actor.rsplit("/", 1)[1]
                await conn.execute(
                    "INSERT INTO cached_groups (actor_id, host, name, title, version, updated_at)"
                    " VALUES (?, ?, ?, ?, 1, ?)",
                    (actor, HOST, name, name.title(), T),
                )
                await conn.execute(
                    "INSERT INTO cached_group_members (group_actor, member_id, role)"
                    " VALUES (?, ?, 'member')",
                    (actor, member),
                )
            rows = [(SMALL, n) for n in range(25)] + [(LARGE, n) for n in range(posts)]
            await conn.executemany(
                "INSERT INTO cached_posts (object_id, group_actor, kind, author, title,"
                " body_html, body_text, published, updated, object)"
                " VALUES (?, ?, 'question', 'alice@a.example', ?, '', ?, ?, ?, '{}')",
                [
                    (f"{actor}/posts/{n}", actor, f"payroll question {n}", f"about payroll {n}",
                     T, T)
                    for actor, n in rows
                ],
            )  # fmt: skip
    finally:
        if own:
            await db.close()


async def _steps(
    path: Path, member_id: str, match: str, *, window: int = search_store.RANK_WINDOW,
    broad_word: int = search_store.BROAD_WORD,
) -> tuple[int, int]:  # fmt: skip
    """(VM steps, hits) of the copies' part of one page of 20."""
    viewer = _viewer(member_id)
    marks = (search_store.HIT_START, search_store.HIT_END)
    return await vm_steps(
        path,
        lambda conn: search_copies.found(
            conn, viewer, match, *marks, window=window, broad_word=broad_word, limit=21
        ),
    )


@pytest.fixture
async def small_and_large(tmp_path: Path) -> tuple[Path, Path]:
    return await two_sizes(tmp_path, _database, 150)


async def test_a_viewer_who_reads_no_copy_costs_a_lookup_and_no_index_query(
    small_and_large: tuple[Path, Path],
) -> None:
    (at_small, hits_small), (at_large, hits_large) = [
        await _steps(path, "m-none", '"payroll"') for path in small_and_large
    ]
    assert hits_small == hits_large == 0
    # The same steps exactly at both sizes (the memberships' lookup, on a fresh connection
    # that first reads the schema), and fewer than a search of a 25-post copy.
    reader, _ = await _steps(small_and_large[1], "m-small", '"payroll"')
    assert at_small == at_large < reader, (at_small, at_large, reader)


async def test_a_large_copy_the_viewer_cannot_read_costs_them_nothing(
    small_and_large: tuple[Path, Path],
) -> None:
    # Only bm25's own bound is the whole index's: a word in more than `broad_word` rows
    # (BROAD_WORD, 5,000) is listed newest first, as our own posts' search does, because
    # bm25 counts every row of it first. A bound below both sizes, so both check the same.
    (at_small, hits_small), (at_large, hits_large) = [
        await _steps(path, "m-small", '"payroll"', broad_word=100) for path in small_and_large
    ]
    assert hits_small == hits_large == 21
    assert at_large < at_small * 1.5 + 50, (at_small, at_large)
    # A word the viewer's copy does not hold: one seek in its range, at any size.
    (at_small, hits_small), (at_large, hits_large) = [
        await _steps(path, "m-small", '"question" "149"') for path in small_and_large
    ]
    assert hits_small == hits_large == 0
    assert at_large < at_small * 1.5 + 50, (at_small, at_large)


async def test_a_word_in_every_post_of_the_viewers_copy_is_read_to_the_window(
    small_and_large: tuple[Path, Path],
) -> None:
    # A window smaller than the small database, so both list the newest first.
    (at_small, hits_small), (at_large, hits_large) = [
        await _steps(path, "m-large", '"payroll"', window=100) for path in small_and_large
    ]
    assert hits_small == hits_large == 21
    assert at_large < at_small * 1.5 + 50, (at_small, at_large)
