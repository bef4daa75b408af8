"""Who hears about what: accepted answers, batched helpful marks, join requests and
approvals, FAQ page changes, watched and muted groups, through the API; the watch level
and the mail settings through the web pages."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from tests.conftest import Api
from tests.notifications.conftest import add
from tests.web.conftest import Browser


async def _items(member: Api) -> list[dict]:
    status, listed = await member.get("/api/v1/me/notifications")
    assert status == 200, listed
    return listed["items"]


async def _team(owner: Api, *members: str, visibility: str = "private") -> None:
    status, _ = await owner.post(
        "/api/v1/groups", {"name": "team", "title": "Team", "visibility": visibility}
    )
    assert status == 201
    for name in members:
        status, _ = await owner.put(f"/api/v1/groups/team/members/{name}", {})
        assert status == 200


async def _post(author: Api, kind: str = "question", body: str = "Body") -> str:
    status, post = await author.post(
        "/api/v1/groups/team/posts", {"kind": kind, "title": "T", "body": body, "tags": []}
    )
    assert status == 201, post
    return str(post["id"])


async def test_accepted_and_batched_helpful(admin: Api) -> None:
    bob, alice = await add(admin, "bob"), await add(admin, "alice")
    carol = await add(admin, "carol")
    await _team(bob, "alice", "carol")
    question = await _post(bob)
    status, answer = await alice.post(f"/api/v1/posts/{question}/replies", {"body": "This."})
    status, _ = await bob.post(f"/api/v1/posts/{answer['id']}/accept")
    assert status == 200
    for marker in (bob, carol):
        status, _ = await marker.put(f"/api/v1/posts/{answer['id']}/helpful")
        assert status == 200
    items = await _items(alice)
    assert [(n["kind"], n["count"]) for n in items] == [("helpful", 2), ("accepted", 1)]
    assert items[0]["text"].startswith("2 people found your post")


async def test_join_request_reaches_moderators_and_approval_the_requester(admin: Api) -> None:
    bob, dave = await add(admin, "bob"), await add(admin, "dave")
    await _team(bob)
    status, _ = await dave.post("/api/v1/groups/team/join-requests")
    assert status == 202
    [request] = await _items(bob)
    assert request["kind"] == "join_request" and request["actor"] == "dave"
    status, _ = await bob.post("/api/v1/groups/team/join-requests/dave/approve")
    assert status == 204
    [approved] = await _items(dave)
    assert approved["kind"] == "join_approved" and approved["group"] == "team"


async def test_a_changed_faq_page_reaches_its_earlier_editors(admin: Api) -> None:
    bob, alice = await add(admin, "bob"), await add(admin, "alice")
    await _team(bob, "alice")
    page = "/api/v1/groups/team/pages/vpn"
    status, _ = await bob.put(page, {"title": "VPN", "body": "Use it."})
    assert status in (200, 201)
    status, _ = await alice.put(page, {"title": "VPN", "body": "Use it daily.", "base_revision": 1})
    assert status == 200
    [changed] = await _items(bob)
    assert changed["kind"] == "page_changed" and changed["url"].endswith("/groups/team/pages/vpn")
    assert await _items(alice) == []


async def test_watching_hears_every_post_and_muted_nothing(admin: Api) -> None:
    bob, alice, carol = (
        await add(admin, "bob"),
        await add(admin, "alice"),
        await add(admin, "carol"),
    )
    await _team(bob, "alice", "carol")
    status, settings = await alice.put(
        "/api/v1/me/notification-settings", {"levels": {"team": "watching"}}
    )
    assert status == 200 and settings["levels"] == {"team": "watching"}
    status, _ = await carol.put("/api/v1/me/notification-settings", {"levels": {"team": "muted"}})
    assert status == 200
    await _post(bob, "tip", "Hi @carol")
    assert [n["kind"] for n in await _items(alice)] == ["new_post"]
    assert await _items(carol) == []
    # A group the member may not read does not exist here either.
    outsider = await add(admin, "outsider")
    status, _ = await outsider.put(
        "/api/v1/me/notification-settings", {"levels": {"team": "watching"}}
    )
    assert status == 404


async def test_watch_level_and_mail_settings_in_the_browser(
    aiohttp_client, client: TestClient, admin: Api
) -> None:
    bob = await add(admin, "bob")
    await add(admin, "alice")
    await _team(bob, "alice", visibility="org")
    browser = await Browser(await aiohttp_client(client.server)).login("alice")
    status, _ = await browser.submit("/groups/team", "/groups/team/watch", {"level": "watching"})
    assert status == 200
    status, html = await browser.get("/groups/team")
    assert '<option value="watching" selected>' in html
    await _post(bob, "note")
    status, html = await browser.get("/")
    assert 'data-unread="1"' in html
    status, html = await browser.submit("/me/settings", "/me/settings", {"email_mode": "digest"})
    assert status == 200 and 'value="digest" checked' in html
    status, _ = await browser.submit("/notifications", "/notifications/read", {})
    status, html = await browser.get("/")
    assert 'data-unread="0"' in html
    assert "<script>" not in html  # the CSP allows no inline script
