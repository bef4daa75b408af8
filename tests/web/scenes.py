"""Shared setup for the member-page tests, done through the API (what is under test there is
the page, not the setup)."""

from __future__ import annotations

from tests.conftest import Api


async def group_with(owner: Api, name: str, members: dict[str, str], visibility="private") -> None:
    """A group owned by `owner` with {username: role} added."""
    status, body = await owner.post(
        "/api/v1/groups",
        {"name": name, "title": name.title(), "description": "", "visibility": visibility},
    )
    assert status == 201, body
    for username, role in members.items():
        status, body = await owner.put(f"/api/v1/groups/{name}/members/{username}", {"role": role})
        assert status in (200, 201), body


async def post(api: Api, group: str, title: str, tags: list[str], kind="question") -> str:
    status, body = await api.post(
        f"/api/v1/groups/{group}/posts",
        {"kind": kind, "title": title, "body": f"Body of {title}", "tags": tags},
    )
    assert status == 201, body
    return body["id"]


async def answered(asker: Api, expert: Api, group: str, title: str, tags: list[str]) -> str:
    """A question by `asker`, answered by `expert`, the answer accepted: evidence for expert."""
    question = await post(asker, group, title, tags)
    status, body = await expert.post(f"/api/v1/posts/{question}/replies", {"body": "Do this."})
    assert status == 201, body
    status, body = await asker.post(f"/api/v1/posts/{body['id']}/accept")
    assert status in (200, 201), body
    return question
