"""A search costs what its page holds, not what the server holds: counted in SQLite
virtual-machine steps (exact and the same on any machine, unlike time), at ten times the
matches. Before: every match was ranked, snippeted and checked against the viewer's scope."""

from __future__ import annotations

from pathlib import Path

import pytest

from feedserver.models import ReadScope
from feedserver.store import search as search_store
from feedserver.store.db import Database
from tests import two_groups
from tests.two_groups import PRIVATE
from tests.vm_steps import two_sizes, vm_steps


async def _database(path: Path, posts: int) -> None:
    db = Database(path, readers=1)
    await db.open()
    try:
        async with db.write() as conn:
            await two_groups.seed(conn)
            await conn.executemany(
                "INSERT INTO posts (id, group_id, kind, author_id, title, body, body_html,"
                " created_at, updated_at) VALUES (?, ?, 'question', 'm-author', ?, ?, '', ?, ?)",
                [
                    (f"p{n:08d}", PRIVATE, f"payroll question {n}", f"about payroll {n % 7}",
                     "2026-01-01T00:00:00.000000Z", "2026-01-01T00:00:00.000000Z")
                    for n in range(posts)
                ],
            )  # fmt: skip
    finally:
        await db.close()


async def _steps(path: Path, scope: ReadScope, match: str) -> tuple[int, int]:
    """(VM steps, hits) of one page of 20."""
    return await vm_steps(
        path, lambda conn: search_store.posts(conn, scope, match, offset=0, limit=21)
    )


@pytest.fixture
async def small_and_large(tmp_path: Path) -> tuple[Path, Path]:
    return await two_sizes(tmp_path, _database, 150)


async def test_a_viewer_who_reads_none_of_the_matches_costs_the_same_at_any_size(
    small_and_large: tuple[Path, Path],
) -> None:
    outsider = ReadScope(member_id="m-nobody", org_groups=True)  # reads the org group only
    (at_small, hits_small), (at_large, hits_large) = [
        await _steps(path, outsider, '"payroll"') for path in small_and_large
    ]
    assert hits_small == hits_large == 0
    assert at_large < at_small * 1.5 + 50, (at_small, at_large)


async def test_a_word_in_every_post_costs_the_same_at_any_size(
    small_and_large: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A window smaller than the small database, so both rank the same number of matches.
    monkeypatch.setattr(search_store, "RANK_WINDOW", 100, raising=False)
    (at_small, hits_small), (at_large, hits_large) = [
        await _steps(path, ReadScope(everything=True), '"payroll"') for path in small_and_large
    ]
    assert hits_small == hits_large == 21
    assert at_large < at_small * 1.5 + 50, (at_small, at_large)


async def test_the_scope_is_applied_inside_the_index(small_and_large: tuple[Path, Path]) -> None:
    """A member of the private group finds its posts; the group id typed as a word finds
    nothing (user text is matched in the text columns only, never in `grp`)."""
    small, _ = small_and_large
    member = ReadScope(group_ids=frozenset({PRIVATE}))
    _, hits = await _steps(small, member, '"payroll"')
    assert hits == 21
    _, by_group_id = await _steps(small, member, f'"{PRIVATE}"')
    assert by_group_id == 0
