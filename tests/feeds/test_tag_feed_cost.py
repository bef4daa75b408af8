"""A tag feed costs what its page holds, for every viewer: counted in SQLite virtual-machine
steps (exact on any machine, unlike time) at ten times the tagged posts. Before: a viewer who
may read none of the tag's posts walked every post with the tag and got nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from feedserver.models import ReadScope
from feedserver.store import feeds as feed_store
from feedserver.store.db import Database
from tests import two_groups
from tests.two_groups import ORG, PRIVATE, T
from tests.vm_steps import two_sizes, vm_steps


async def _database(path: Path, tagged: int) -> None:
    db = Database(path, readers=1)
    await db.open()
    try:
        async with db.write() as conn:
            await two_groups.seed(conn)
            posts = [(f"p{n:08d}", PRIVATE if n % 10 else ORG) for n in range(tagged)]
            await conn.executemany(
                "INSERT INTO posts (id, group_id, kind, author_id, title, body, body_html, tags,"
                " created_at, updated_at) VALUES (?, ?, 'question', 'm-author', 't', 'b', '',"
                " 'payroll', ?, ?)",
                [(pid, gid, T, T) for pid, gid in posts],
            )
            await conn.executemany(
                "INSERT INTO post_tags (tag, post_id, group_id) VALUES ('payroll', ?, ?)",
                # The org group's posts carry another tag: the outsider reads none of these.
                [(pid, gid) for pid, gid in posts if gid == PRIVATE],
            )
    finally:
        await db.close()


async def _steps(path: Path, scope: ReadScope) -> tuple[int, int]:
    """(VM steps, posts) of one feed page of 51."""
    return await vm_steps(
        path, lambda conn: feed_store.tag_page(conn, "payroll", scope, before=None, limit=51)
    )


@pytest.fixture
async def small_and_large(tmp_path: Path) -> tuple[Path, Path]:
    return await two_sizes(tmp_path, _database, 200)


@pytest.mark.parametrize(
    "scope, expected",
    [
        (ReadScope(member_id="m-nobody", org_groups=True), 0),  # reads none of the tag
        (ReadScope(group_ids=frozenset({PRIVATE})), 51),  # a member of the private group
        (ReadScope(everything=True), 51),  # an admin
    ],
    ids=["outsider", "member", "admin"],
)
async def test_a_tag_page_costs_the_same_at_any_size(
    small_and_large: tuple[Path, Path], scope: ReadScope, expected: int
) -> None:
    (at_small, found_small), (at_large, found_large) = [
        await _steps(path, scope) for path in small_and_large
    ]
    assert found_small == found_large == expected
    assert at_large < at_small * 1.5 + 50, (at_small, at_large)
