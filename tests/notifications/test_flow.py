"""The whole flow: bob asks, alice answers, bob hears of it in the app, the API, his feed and
exactly one mail; a routed question reaches carol; a mention of a non-member reaches nobody."""

from __future__ import annotations

from urllib.parse import urlsplit

import feedparser
from aiohttp.test_utils import TestClient

from tests.conftest import Api
from tests.notifications.conftest import add, sender_idle
from tests.notifications.smtp import Mailbox
from tests.web.conftest import Browser


async def _group(owner: Api, name: str, *members: str) -> None:
    status, body = await owner.post("/api/v1/groups", {"name": name, "title": "New hires"})
    assert status == 201, body
    for username in members:
        status, body = await owner.put(f"/api/v1/groups/{name}/members/{username}", {})
        assert status == 200, body


async def test_an_answer_reaches_the_asker_in_the_app_and_by_one_mail(
    aiohttp_client, mail_client: TestClient, mail_admin: Api, mailbox: Mailbox
) -> None:
    bob = await add(mail_admin, "bob", "bob@example.test")
    alice = await add(mail_admin, "alice", "alice@example.test")
    await _group(bob, "new-hires", "alice")
    status, question = await bob.post("/api/v1/groups/new-hires/posts", {
        "kind": "question", "title": "Where is the VPN guide?", "body": "Anyone?", "tags": [],
    })  # fmt: skip
    assert status == 201, question
    status, answer = await alice.post(
        f"/api/v1/posts/{question['id']}/replies", {"body": "In the wiki, page VPN."}
    )
    assert status == 201, answer

    status, listed = await bob.get("/api/v1/me/notifications")
    assert status == 200, listed
    assert listed["unread"] == 1
    [item] = listed["items"]
    assert item["kind"] == "answer" and item["actor"] == "alice"
    assert item["thread_id"] == question["id"] and item["post_id"] == answer["id"]
    assert item["url"].endswith(f"/posts/{question['id']}#p-{answer['id']}")

    # The bell on every page says 1; the /notifications page links to the thread.
    browser = await Browser(await aiohttp_client(mail_client.server)).login("bob")
    for page in ("/", "/groups/new-hires", "/notifications"):
        status, html = await browser.get(page)
        assert status == 200 and 'data-unread="1"' in html, page
    assert f'href="/posts/{question["id"]}#p-{answer["id"]}"' in html

    # bob's notifications feed has the entry; a wrong token gets a bare 404.
    status, settings = await bob.get("/api/v1/me/notification-settings")
    feed = urlsplit(settings["feed_url"])
    async with mail_client.get(f"{feed.path}?{feed.query}") as resp:
        assert resp.status == 200 and resp.content_type == "application/atom+xml"
        parsed = feedparser.parse(await resp.read())
        etag = resp.headers["ETag"]
    [entry] = parsed.entries
    assert entry.title.startswith("Alice answered your question")
    assert entry.link.endswith(f"/posts/{question['id']}#p-{answer['id']}")
    async with mail_client.get(f"{feed.path}?{feed.query}",
                               headers={"If-None-Match": etag}) as resp:  # fmt: skip
        assert resp.status == 304
    async with mail_client.get(f"{feed.path}?token={'A' * 38}") as resp:
        assert resp.status == 404 and await resp.read() == b""

    await mailbox.wait_for(1)
    await sender_idle(mail_client)
    [mail] = mailbox.to("bob@example.test")
    assert len(mailbox.received) == 1  # alice is told nothing about her own answer
    assert f"/posts/{question['id']}" in mail.text()
    assert f"/posts/{question['id']}" in mail.html()
    assert "Alice answered your question" in mail.message["Subject"]
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail.message["List-Unsubscribe"].startswith("<http")

    status, _ = await bob.post(f"/api/v1/me/notifications/{item['id']}/read")
    assert status == 204
    status, listed = await bob.get("/api/v1/me/notifications")
    assert listed["unread"] == 0 and listed["items"][0]["read"] is True


async def test_a_routed_question_reaches_the_expert_and_a_mention_of_an_outsider_nobody(
    mail_client: TestClient, mail_admin: Api, mailbox: Mailbox
) -> None:
    bob = await add(mail_admin, "bob", "bob@example.test")
    alice = await add(mail_admin, "alice", "alice@example.test")
    carol = await add(mail_admin, "carol", "carol@example.test")
    dave = await add(mail_admin, "dave", "dave@example.test")
    await _group(bob, "new-hires", "alice", "carol")
    status, question = await bob.post("/api/v1/groups/new-hires/posts", {
        "kind": "question", "title": "Secret launch date?", "body": "When?", "tags": [],
    })  # fmt: skip
    assert status == 201, question
    status, asked = await bob.post(f"/api/v1/posts/{question['id']}/ask/carol")
    assert status in (200, 201), asked
    status, _ = await alice.post(
        f"/api/v1/posts/{question['id']}/replies", {"body": "I think @dave knows, or @carol."}
    )
    assert status == 201

    status, listed = await carol.get("/api/v1/me/notifications")
    assert [n["kind"] for n in listed["items"]] == ["mention", "asked"]
    status, listed = await dave.get("/api/v1/me/notifications")
    assert listed == {"items": [], "unread": 0, "next": None}

    await mailbox.wait_for(3)  # bob: the answer; carol: the ask and the mention
    await sender_idle(mail_client)
    assert mailbox.to("dave@example.test") == []
    assert len(mailbox.to("carol@example.test")) == 2
    assert len(mailbox.to("bob@example.test")) == 1
    for mail in mailbox.received:
        assert "Secret launch date" not in mail.text()  # a private group: what and where only
