"""Search on either engine: the newest window of matches the viewer may read, whether they
are met while walking the newest posts or read from the index past them; and a typed prefix
read as the words it stands for, including words first written after the index was made."""

from __future__ import annotations

import pytest

from feedserver.store import search as search_store
from feedserver.store import search_pg
from tests.conftest import Api


async def _post(author: Api, group: str, title: str) -> str:
    status, body = await author.post(
        f"/api/v1/groups/{group}/posts", {"kind": "tip", "title": title, "body": "Notes."}
    )
    assert status == 201
    return str(body["id"])


async def _found(viewer: Api, q: str) -> set[str]:
    status, found = await viewer.get("/api/v1/search", params={"q": q, "limit": "50"})
    assert status == 200
    return {hit["post"]["id"] for hit in found["items"]}


@pytest.mark.parametrize("group_scans", [0, 4], ids=["words-index", "group-index"])
async def test_matches_older_than_the_walk_are_read_from_the_index_within_the_scope(
    admin: Api, monkeypatch: pytest.MonkeyPatch, group_scans: int
) -> None:
    """A window of 2: PostgreSQL walks the newest 4 posts, finds no match there, and reads
    the rest from an index (its groups' own, or the words' with other groups' rows dropped);
    only the viewer's groups count, before the window is cut."""
    monkeypatch.setattr(search_store, "RANK_WINDOW", 2)
    monkeypatch.setattr(search_pg, "GROUP_SCANS", group_scans)
    owner, outsider = await admin.add_member("olive"), await admin.add_member("otto")
    for name, visibility in (("open", "org"), ("vault", "private")):
        body = {"name": name, "title": name.title(), "visibility": visibility}
        assert (await owner.post("/api/v1/groups", body))[0] == 201
    assert (await owner.put("/api/v1/groups/open/members/otto", {"role": "member"}))[0] == 200
    in_org = [await _post(owner, "open", f"Quokka rota {n}") for n in range(2)]
    in_vault = [await _post(owner, "vault", f"Quokka payroll {n}") for n in range(2)]
    for n in range(10):
        await _post(owner, "open", f"Wombat notes {n}")
    assert await _found(outsider, "quokka") == set(in_org)  # the vault's are newer
    assert await _found(owner, "quokka") == set(in_vault)  # the newest 2 it may read
    assert await _found(outsider, "payroll") == set()


async def test_a_prefix_finds_words_first_written_or_edited_in_later(admin: Api) -> None:
    """PostgreSQL keeps its list of which words each group holds (for prefixes, and to
    search only the groups that hold the words) in the posts' write transaction."""
    reader = await admin.add_member("otto")  # reads the org group, not an admin
    body = {"name": "ops", "title": "Ops", "visibility": "org"}
    assert (await admin.post("/api/v1/groups", body))[0] == 201
    first = await _post(admin, "ops", "Quokkaburger rota")
    second = await _post(admin, "ops", "Wombat notes")
    assert await _found(reader, "quokkab") == {first}
    assert await _found(reader, "quokka") == {first}  # a prefix that is no word itself
    assert await _found(reader, "wombatis") == set()
    status, _ = await admin.patch(f"/api/v1/posts/{second}", {"title": "Wombatish notes"})
    assert status == 200
    assert await _found(reader, "wombatis") == {second}
    assert await _found(reader, "wombatish notes") == {second}
