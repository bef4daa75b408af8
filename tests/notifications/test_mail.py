"""Mail through a real SMTP server: digests, one-click unsubscribe, an address of one's own,
and an SMTP server that is down for a while or refuses for good."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from aiohttp.test_utils import TestClient

from feedserver import appkeys
from tests.conftest import Api
from tests.notifications.conftest import add, sender_idle
from tests.notifications.smtp import Mailbox


async def _group_with_question(bob: Api, alice: Api) -> str:
    status, _ = await bob.post("/api/v1/groups", {"name": "team", "title": "Team"})
    assert status == 201
    status, _ = await bob.put("/api/v1/groups/team/members/alice", {})
    assert status == 200
    status, question = await bob.post("/api/v1/groups/team/posts", {
        "kind": "question", "title": "Which editor?", "body": "Tabs or spaces?", "tags": [],
    })  # fmt: skip
    assert status == 201
    return str(question["id"])


async def test_the_digest_sends_one_mail_with_every_item(
    mail_client: TestClient, mail_admin: Api, mailbox: Mailbox
) -> None:
    bob = await add(mail_admin, "bob", "bob@example.test")
    alice = await add(mail_admin, "alice", "alice@example.test")
    status, settings = await bob.put("/api/v1/me/notification-settings", {"email_mode": "digest"})
    assert status == 200 and settings["email_mode"] == "digest", settings
    question = await _group_with_question(bob, alice)
    for text in ("Vim.", "Emacs.", "Whatever @bob uses."):
        status, _ = await alice.post(f"/api/v1/posts/{question}/replies", {"body": text})
        assert status == 201
    sender = mail_client.app[appkeys.MAIL_SENDER]
    now = sender.services.clock()
    assert await sender.run_once(now) == 0  # the day has not passed: nothing yet
    assert mailbox.received == []
    assert await sender.run_once(now + timedelta(hours=25)) == 1
    [digest] = mailbox.to("bob@example.test")
    assert digest.message["Subject"].startswith("3 notifications")
    assert digest.text().count(f"/posts/{question}") == 3
    assert await sender.run_once(now + timedelta(hours=50)) == 0  # taken: sent once


async def test_one_click_unsubscribe_works_without_login_and_only_for_its_member(
    mail_client: TestClient, mail_admin: Api, mailbox: Mailbox
) -> None:
    bob = await add(mail_admin, "bob", "bob@example.test")
    alice = await add(mail_admin, "alice", "alice@example.test")
    question = await _group_with_question(bob, alice)
    await alice.post(f"/api/v1/posts/{question}/replies", {"body": "Vim."})
    await mailbox.wait_for(1)
    link = mailbox.received[0].message["List-Unsubscribe"].strip("<>")
    target = urlsplit(link)
    token = target.query.removeprefix("token=")
    # A forged token (alice's key id with a wrong mac, or a mangled one) changes nothing.
    async with mail_client.post(target.path, params={"token": token[:-2] + "AA"},
                                data={"List-Unsubscribe": "One-Click"}) as resp:  # fmt: skip
        assert resp.status == 404
    # RFC 8058: a POST with List-Unsubscribe=One-Click and no cookie, no login.
    async with mail_client.post(f"{target.path}?{target.query}",
                                data={"List-Unsubscribe": "One-Click"}) as resp:  # fmt: skip
        assert resp.status == 200
    status, settings = await bob.get("/api/v1/me/notification-settings")
    assert settings["email_mode"] == "never"
    status, settings = await alice.get("/api/v1/me/notification-settings")
    assert settings["email_mode"] == "immediately"  # only its own member
    await bob.post(f"/api/v1/posts/{question}/replies", {"body": "Thanks @alice"})  # alice: mail
    await alice.post(f"/api/v1/posts/{question}/replies", {"body": "Also nano."})  # bob: none
    await mailbox.wait_for(2)
    await sender_idle(mail_client)
    assert len(mailbox.to("bob@example.test")) == 1
    assert len(mailbox.to("alice@example.test")) == 1


async def test_mail_waits_while_smtp_is_down_and_goes_out_once_when_it_is_back(
    mail_client: TestClient, mail_admin: Api, mailbox: Mailbox
) -> None:
    await mailbox.stop()
    bob = await add(mail_admin, "bob", "bob@example.test")
    alice = await add(mail_admin, "alice", "alice@example.test")
    question = await _group_with_question(bob, alice)
    status, _ = await alice.post(f"/api/v1/posts/{question}/replies", {"body": "Vim."})
    assert status == 201  # the post did not wait for the SMTP server
    sender = mail_client.app[appkeys.MAIL_SENDER]
    await sender_idle(mail_client)
    status, outbox = await mail_admin.get("/api/v1/admin/mail-outbox")
    [entry] = outbox["items"]
    assert entry["state"] == "queued" and entry["attempts"] >= 1 and entry["last_error"]
    await mailbox.start()
    # The retry comes due by itself (mail_backoff_seconds=1 here); wait for the mail.
    await mailbox.wait_for(1)
    await sender_idle(mail_client)
    assert await sender.run_once(sender.services.clock() + timedelta(hours=1)) == 0
    assert len(mailbox.received) == 1
    status, outbox = await mail_admin.get("/api/v1/admin/mail-outbox")
    assert [e["state"] for e in outbox["items"]] == ["sent"]


async def test_a_permanent_refusal_is_given_up_and_shown_to_admins(
    mail_client: TestClient, mail_admin: Api, mailbox: Mailbox
) -> None:
    mailbox.refuse_with = "550 5.1.1 no such mailbox"
    bob = await add(mail_admin, "bob", "bob@example.test")
    alice = await add(mail_admin, "alice", "alice@example.test")
    question = await _group_with_question(bob, alice)
    await alice.post(f"/api/v1/posts/{question}/replies", {"body": "Vim."})
    await sender_idle(mail_client)
    status, outbox = await mail_admin.get("/api/v1/admin/mail-outbox", params={"state": "failed"})
    [entry] = outbox["items"]
    assert entry["attempts"] == 1 and "550" in entry["last_error"]
    status, _ = await bob.get("/api/v1/admin/mail-outbox")
    assert status == 403


async def test_a_members_own_address_is_used_only_after_its_link_was_opened(
    mail_client: TestClient, mail_admin: Api, mailbox: Mailbox
) -> None:
    bob = await add(mail_admin, "bob")
    status, settings = await bob.put(
        "/api/v1/me/notification-settings", {"email": "bob@new.example"}
    )
    assert status == 200, settings
    assert settings["email"] is None and settings["email_pending"] == "bob@new.example"
    await mailbox.wait_for(1)
    [mail] = mailbox.to("bob@new.example")
    link = next(line for line in mail.text().splitlines() if "/mail/confirm?" in line)
    target = urlsplit(link.strip())
    async with mail_client.get(f"{target.path}?{target.query}") as resp:
        assert resp.status == 200
    status, settings = await bob.get("/api/v1/me/notification-settings")
    assert settings["email"] == "bob@new.example" and settings["email_pending"] is None
    async with mail_client.get(f"{target.path}?{target.query}") as resp:
        assert resp.status == 404  # used up
