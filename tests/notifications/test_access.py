"""Access first: a notification exists only for someone who may read what it is about, and
disappears everywhere (API, count, mail) when they lose access."""

from __future__ import annotations

from datetime import timedelta

from aiohttp.test_utils import TestClient

from feedserver import appkeys
from tests.conftest import Api
from tests.notifications.conftest import add, sender_idle
from tests.notifications.smtp import Mailbox


async def _thread(bob: Api, alice: Api, group: str, visibility: str = "private") -> dict:
    status, body = await bob.post(
        "/api/v1/groups", {"name": group, "title": group.title(), "visibility": visibility}
    )
    assert status == 201, body
    status, body = await bob.put(f"/api/v1/groups/{group}/members/alice", {})
    assert status == 200, body
    status, question = await alice.post(f"/api/v1/groups/{group}/posts", {
        "kind": "question", "title": "How do I file expenses?", "body": "Asking for me.",
        "tags": [],
    })  # fmt: skip
    assert status == 201, question
    status, answer = await bob.post(
        f"/api/v1/posts/{question['id']}/replies", {"body": "Ask @alice's manager."}
    )
    assert status == 201, answer
    return question


async def _kinds(member: Api) -> tuple[list[str], int]:
    status, listed = await member.get("/api/v1/me/notifications")
    assert status == 200, listed
    return [n["kind"] for n in listed["items"]], listed["unread"]


async def test_leaving_the_group_takes_its_notifications(mail_admin: Api) -> None:
    bob, alice = await add(mail_admin, "bob"), await add(mail_admin, "alice")
    await _thread(bob, alice, "finance")
    assert await _kinds(alice) == (["answer"], 1)
    status, _ = await alice.delete("/api/v1/groups/finance/members/alice")
    assert status == 204
    assert await _kinds(alice) == ([], 0)
    status, _ = await bob.put("/api/v1/groups/finance/members/alice", {})  # back in: still gone
    assert await _kinds(alice) == ([], 0)


async def test_a_narrowed_group_hides_what_non_members_were_told(mail_admin: Api) -> None:
    bob, alice = await add(mail_admin, "bob"), await add(mail_admin, "alice")
    carol = await add(mail_admin, "carol")  # not a member; an org group lets her read
    status, _ = await bob.post(
        "/api/v1/groups", {"name": "open", "title": "Open", "visibility": "org"}
    )
    status, question = await bob.post("/api/v1/groups/open/posts", {
        "kind": "question", "title": "Lunch?", "body": "Where, @carol?", "tags": [],
    })  # fmt: skip
    assert status == 201
    assert await _kinds(carol) == (["mention"], 1)
    status, _ = await bob.patch("/api/v1/groups/open", {"visibility": "private"})
    assert status == 200
    assert await _kinds(carol) == ([], 0)
    del alice


async def test_a_deleted_post_takes_its_notifications(mail_admin: Api) -> None:
    bob, alice = await add(mail_admin, "bob"), await add(mail_admin, "alice")
    question = await _thread(bob, alice, "finance")
    status, _ = await alice.delete(f"/api/v1/posts/{question['id']}")
    assert status == 204
    assert await _kinds(alice) == ([], 0)


async def test_a_mention_of_someone_who_cannot_read_notifies_nobody_and_sends_nothing(
    mail_client: TestClient, mail_admin: Api, mailbox: Mailbox
) -> None:
    bob = await add(mail_admin, "bob", "bob@example.test")
    alice = await add(mail_admin, "alice", "alice@example.test")
    dave = await add(mail_admin, "dave", "dave@example.test")
    await _thread(bob, alice, "finance")
    status, _ = await alice.post("/api/v1/groups/finance/posts", {
        "kind": "note", "title": "Ping", "body": "@dave, @dave@elsewhere.example and @nobody",
        "tags": [],
    })  # fmt: skip
    assert status == 201
    assert await _kinds(dave) == ([], 0)
    # Not merely hidden at read time: nothing was written for dave at all.
    async with mail_client.app[appkeys.SERVICES].db.read() as conn:
        rows = await conn.execute_fetchall(
            "SELECT count(*) FROM notifications n JOIN members m ON m.id = n.member_id"
            " WHERE m.username = 'dave'"
        )
    assert list(rows)[0][0] == 0
    await mailbox.wait_for(1)  # alice: bob's answer
    await sender_idle(mail_client)
    assert [m.envelope_to for m in mailbox.received] == [["alice@example.test"]]


async def test_mail_queued_before_access_was_lost_is_not_sent(
    mail_client: TestClient, mail_admin: Api, mailbox: Mailbox
) -> None:
    await mailbox.stop()  # the mail waits in the outbox
    bob = await add(mail_admin, "bob", "bob@example.test")
    alice = await add(mail_admin, "alice", "alice@example.test")
    await _thread(bob, alice, "finance")
    status, _ = await alice.delete("/api/v1/groups/finance/members/alice")
    assert status == 204
    await mailbox.start()
    sender = mail_client.app[appkeys.MAIL_SENDER]
    assert await sender.run_once(sender.services.clock() + timedelta(hours=1)) == 0
    status, outbox = await mail_admin.get("/api/v1/admin/mail-outbox")
    assert [m["state"] for m in outbox["items"]] == ["dropped"]
    assert mailbox.received == []
