"""An API client's repeated read answered from memory (http/api_answers.py): the same bytes
as the app would give, only to the token that read them, and never once anything changed: a
write anywhere, a revoked token, a member removed from the group, or a token whose use is due
to be recorded again."""

from __future__ import annotations

from datetime import timedelta

from multidict import CIMultiDict

from feedserver import appkeys
from feedserver.domain import members
from feedserver.store import rows
from tests.conftest import Api


def _answers(api: Api):
    return api.client.app[appkeys.FEED_CACHE].answers


async def _get(api: Api, path: str) -> tuple[int, bytes, CIMultiDict[str]]:
    async with api.client.get(path, headers={"Authorization": f"Bearer {api.token}"}) as resp:
        return resp.status, await resp.read(), resp.headers.copy()


async def _setup(admin: Api) -> tuple[Api, Api, str]:
    alice = await admin.add_member("alice")
    group = {"name": "pay", "title": "Pay", "visibility": "private"}
    assert (await alice.post("/api/v1/groups", group))[0] == 201
    post = {"kind": "question", "title": "Late pay?", "body": "What do I do?"}
    status, body = await alice.post("/api/v1/groups/pay/posts", post)
    assert status == 201
    return alice, await admin.add_member("bob"), body["id"]


async def test_a_repeated_read_is_answered_from_memory_with_the_same_bytes(admin: Api):
    alice, _, post_id = await _setup(admin)
    assert (await alice.post(f"/api/v1/posts/{post_id}/replies", {"body": "Ask HR."}))[0] == 201
    answers = _answers(alice)
    for path in ("/api/v1/groups/pay/posts?limit=5", f"/api/v1/posts/{post_id}"):
        status, first, first_headers = await _get(alice, path)
        assert status == 200
        hits = answers.hits
        status, second, headers = await _get(alice, path)
        assert status == 200 and second == first
        assert answers.hits == hits + 1  # from memory
        assert headers["Content-Type"] == first_headers["Content-Type"]
        assert headers["X-Request-Id"] and headers["X-Request-Id"] != first_headers["X-Request-Id"]


async def test_another_token_never_gets_a_remembered_answer(admin: Api):
    alice, bob, post_id = await _setup(admin)
    for path in ("/api/v1/groups/pay/posts", f"/api/v1/posts/{post_id}"):
        assert (await _get(alice, path))[0] == 200
        assert (await _get(alice, path))[0] == 200  # remembered for alice
        status, body, _ = await _get(bob, path)  # bob is not in the private group
        assert status in (403, 404) and b"Late pay" not in body
    # Nor does a request without a token, or with a cookie instead.
    async with alice.client.get("/api/v1/groups/pay/posts") as resp:
        assert resp.status == 401


async def test_a_write_anywhere_ends_the_remembered_answer(admin: Api):
    alice, _, _ = await _setup(admin)
    path = "/api/v1/groups/pay/posts"
    assert (await _get(alice, path))[0] == 200
    post = {"kind": "tip", "title": "New tip", "body": "Keep the stub."}
    assert (await alice.post("/api/v1/groups/pay/posts", post))[0] == 201
    status, body, _ = await _get(alice, path)
    assert status == 200 and b"New tip" in body


async def test_a_member_removed_from_the_group_is_refused_at_once(admin: Api):
    alice, bob, post_id = await _setup(admin)
    status, _ = await alice.put("/api/v1/groups/pay/members/bob", {"role": "member"})
    assert status in (200, 201)
    path = f"/api/v1/posts/{post_id}"
    assert (await _get(bob, path))[0] == 200
    assert (await _get(bob, path))[0] == 200  # remembered for bob
    status, _ = await alice.delete("/api/v1/groups/pay/members/bob")
    assert status in (200, 204)
    status, body, _ = await _get(bob, path)
    assert status in (403, 404) and b"Late pay" not in body


async def test_a_revoked_token_is_refused_at_once(admin: Api):
    alice, _, _ = await _setup(admin)
    path = "/api/v1/groups/pay/posts"
    assert (await _get(alice, path))[0] == 200
    assert (await _get(alice, path))[0] == 200  # remembered
    assert (await alice.delete("/api/v1/sessions/current"))[0] == 204
    assert (await _get(alice, path))[0] == 401


async def test_a_token_due_for_its_use_to_be_recorded_is_checked_again(admin: Api):
    alice, _, _ = await _setup(admin)
    path = "/api/v1/groups/pay/posts"
    assert (await _get(alice, path))[0] == 200
    answers = _answers(alice)
    hits = answers.hits
    assert (await _get(alice, path))[0] == 200
    assert answers.hits == hits + 1  # remembered
    services = alice.client.app[appkeys.SERVICES]
    later = services.clock() + timedelta(seconds=members.TOUCH_SECONDS + 1)
    object.__setattr__(services, "clock", lambda: later)  # Services is frozen; tests move time
    hits = answers.hits
    assert (await _get(alice, path))[0] == 200
    assert answers.hits == hits  # not from memory: the token was checked, its use recorded
    async with services.db.read() as conn:
        used = await conn.execute_fetchall(
            "SELECT s.last_used_at FROM sessions s JOIN members m ON m.id = s.member_id"
            " WHERE m.username = 'alice'"
        )
    assert [r[0] for r in used] == [rows.ts(later)]
    # That request's own write moved the data version; the next is answered and remembered
    # again, until the next hour.
    assert (await _get(alice, path))[0] == 200
    assert (await _get(alice, path))[0] == 200
    assert answers.hits == hits + 1
