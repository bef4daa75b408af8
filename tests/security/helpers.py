"""Small helpers shared by the security tests."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.conftest import Api


async def group(owner: Api, name: str, visibility: str, *members: str) -> None:
    status, body = await owner.post(
        "/api/v1/groups", {"name": name, "title": name.title(), "visibility": visibility}
    )
    assert status == 201, body
    for username in members:
        status, body = await owner.put(
            f"/api/v1/groups/{name}/members/{username}", {"role": "member"}
        )
        assert status == 200, body


async def post(api: Api, group_name: str, title: str, body: str = "Body", **extra) -> str:
    status, found = await api.post(
        f"/api/v1/groups/{group_name}/posts",
        {"kind": "question", "title": title, "body": body, "tags": [], **extra},
    )
    assert status == 201, found
    return found["id"]


def local(url: str) -> str:
    """A feed URL the API handed out, as a path and query for the test client."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"
