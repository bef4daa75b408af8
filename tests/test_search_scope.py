"""Search keeps to the viewer's groups on both of its paths: a rare query (read whole, its rows
kept by group) and a common one (the groups inside the full-text query); and the last word is
a prefix, tried as typed first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from feedserver.models import ReadScope
from feedserver.store import search as search_store
from feedserver.store.db import Database
from tests import two_groups
from tests.conftest import Api
from tests.two_groups import ORG, PRIVATE, T


async def _database(path: Path, private_posts: int) -> Database:
    db = Database(path, readers=1)
    await db.open()
    async with db.write() as conn:
        await two_groups.seed(conn)
        posts = [(f"p-org-{n}", ORG, f"payroll in the open {n}") for n in range(3)]
        posts += [(f"p-priv-{n}", PRIVATE, f"payroll secret {n}") for n in range(private_posts)]
        await conn.executemany(
            "INSERT INTO posts (id, group_id, kind, author_id, title, body, body_html,"
            " created_at, updated_at) VALUES (?, ?, 'question', 'm-author', ?, 'b', '', ?, ?)",
            [(pid, gid, title, T, T) for pid, gid, title in posts],
        )
    return db


async def _found(db: Database, scope: ReadScope, match: str) -> set[str]:
    async with db.read() as conn:
        hits = await search_store.posts(conn, scope, match, offset=0, limit=500)
    return {post.id for post, _, _ in hits}


@pytest.mark.parametrize("private_posts", [5, search_store.FEW + 50], ids=["rare", "common"])
async def test_search_keeps_to_the_viewers_groups(tmp_path: Path, private_posts: int) -> None:
    db = await _database(tmp_path / "db.sqlite3", private_posts)
    try:
        outsider = ReadScope(member_id="m-nobody", org_groups=True)  # reads the org group only
        member = ReadScope(group_ids=frozenset({PRIVATE}), org_groups=True)
        org_posts = {f"p-org-{n}" for n in range(3)}
        for match in ('"payroll"', '"payroll"*', '"payr"*'):
            assert await _found(db, outsider, match) == org_posts, match
            found = await _found(db, member, match)
            assert found == org_posts | {f"p-priv-{n}" for n in range(private_posts)}, match
        assert await _found(db, outsider, '"secret"*') == set()
    finally:
        await db.close()


async def test_a_word_that_fills_the_window_as_typed_is_not_widened_to_its_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_store, "RANK_WINDOW", 20)
    db = await _database(tmp_path / "db.sqlite3", 40)
    try:
        async with db.write() as conn:  # newer than every "payroll" post
            await conn.execute(
                "INSERT INTO posts (id, group_id, kind, author_id, title, body, body_html,"
                " created_at, updated_at) VALUES ('p-longer', ?, 'question', 'm-author',"
                " 'payrolls', 'b', '', ?, ?)",
                (ORG, T, T),
            )
        everything = ReadScope(everything=True)
        assert "p-longer" not in await _found(db, everything, '"payroll"*')
        assert "p-longer" in await _found(db, everything, '"payro"*')  # still a prefix
    finally:
        await db.close()


async def test_only_the_newest_window_of_matches_is_offered(
    admin: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On either engine: ranking every match of a word in most posts cost seconds at a
    million posts, so only the newest RANK_WINDOW matches are ranked and offered."""
    monkeypatch.setattr(search_store, "RANK_WINDOW", 3)
    status, _ = await admin.post("/api/v1/groups", {"name": "ops", "title": "Ops"})
    assert status == 201
    ids = []
    for n in range(5):
        post = {"kind": "tip", "title": f"Quokka rota {n}", "body": "Quokkas first."}
        status, body = await admin.post("/api/v1/groups/ops/posts", post)
        assert status == 201
        ids.append(body["id"])
    status, found = await admin.get("/api/v1/search", params={"q": "quokka", "limit": "10"})
    assert status == 200
    assert sorted(hit["post"]["id"] for hit in found["items"]) == sorted(ids[2:])


class _Recording:
    """A reader that keeps the full-text queries it was given."""

    def __init__(self, conn: Any) -> None:
        self.conn, self.matches = conn, []

    async def execute_fetchall(self, sql: str, parameters: Any = ()) -> Any:
        if "MATCH" in sql:
            self.matches.append(parameters[0])
        return await self.conn.execute_fetchall(sql, parameters)


async def _posts_titled(path: Path, titles: list[str]) -> Database:
    db = Database(path, readers=1)
    await db.open()
    async with db.write() as conn:
        await two_groups.seed(conn)
        await conn.executemany(
            "INSERT INTO posts (id, group_id, kind, author_id, title, body, body_html,"
            " created_at, updated_at) VALUES (?, ?, 'question', 'm-author', ?, 'b', '', ?, ?)",
            [(f"p{n}", ORG, title, T, T) for n, title in enumerate(titles)],
        )
    return db


async def test_a_prefix_is_read_as_the_few_longer_words_it_stands_for(tmp_path: Path) -> None:
    """FTS5 builds a prefix's whole list of rows before it yields one (~150 ms for `lore`,
    a prefix of a word in every post, at a million posts): a prefix that stands for a few
    words is read as those words, newest first, and finds what the prefix found."""
    titles = ["payroll run", "pay day", "payslip", "paying", "Payé", "rota", "lorem ipsum"]
    db = await _posts_titled(tmp_path / "db.sqlite3", titles)
    try:
        everything = ReadScope(everything=True)
        async with db.read() as conn:
            recording = _Recording(conn)
            for typed, wanted in [("pay", {0, 1, 2, 3, 4}), ("paysl", {2}), ("lore", {6})]:
                hits = await search_store.posts(
                    recording, everything, f'"{typed}"*', offset=0, limit=50
                )
                assert {post.id for post, _, _ in hits} == {f"p{n}" for n in wanted}, typed
        assert recording.matches and not any("*" in m for m in recording.matches)
    finally:
        await db.close()


async def test_a_prefix_of_many_words_or_of_other_letters_is_left_to_fts5(
    tmp_path: Path,
) -> None:
    many = [f"payroll{n}" for n in range(search_store.PREFIX_TERMS + 1)]
    db = await _posts_titled(tmp_path / "db.sqlite3", [*many, "Éclair", "éclairs", "eclat"])
    try:
        everything = ReadScope(everything=True)
        for typed, wanted in [("payr", set(range(len(many)))), ("écl", {9, 10, 11})]:
            found = await _found(db, everything, f'"{typed}"*')
            assert found == {f"p{n}" for n in wanted}, typed
    finally:
        await db.close()


async def test_a_word_none_of_the_viewers_groups_holds_runs_no_full_text_query(
    tmp_path: Path,
) -> None:
    """FTS5 intersects a word's rows with the viewer's groups' rows, empty only at its end
    (~50 ms for a word in a third of the posts at a million): the groups that hold each word
    are looked up first (posts_fts_groups), and here none of the viewer's does."""
    db = await _database(tmp_path / "db.sqlite3", search_store.FEW + 50)
    try:
        outsider = ReadScope(member_id="m-nobody", org_groups=True)  # reads the org group only
        async with db.read() as conn:
            recording = _Recording(conn)
            hits = await search_store.posts(recording, outsider, '"secret"*', offset=0, limit=50)
            org = await search_store.posts(
                recording, outsider, '"payroll" "open"*', offset=0, limit=50
            )
        assert hits == [] and recording.matches[:1] == ['{title body tags} : ("payroll" "open")']
        assert {post.id for post, _, _ in org} == {f"p-org-{n}" for n in range(3)}
    finally:
        await db.close()
