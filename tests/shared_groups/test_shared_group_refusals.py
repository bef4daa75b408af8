"""A write into a partner's group that its host refuses reaches its writer on their own
server: the post is marked refused on the copy, and whatever it was (an answer, an accept,
a removal, a helpful mark) a notification says so, to the writer only. Three real servers."""

from __future__ import annotations

from datetime import timedelta

from .test_shared_group_flow import drain
from .test_shared_group_writes import ANSWER, QUESTION, copy_posts, shared_group_with_bob_and_carol


async def notices(node, token):
    status, body = await node.call("GET", "/api/v1/me/notifications", token=token)
    assert status == 200, body
    return [(n["kind"], n["text"], n["url"]) for n in body["items"]]


async def _alice_asks(a, b, alice, address, bob):
    """alice asks on A; returns the question on A and its copy on B."""
    status, question = await a.call("POST", "/api/v1/groups/payroll-pros/posts",
                                    {"kind": "question", "title": QUESTION, "body": "?"},
                                    token=alice)  # fmt: skip
    assert status == 201
    await drain(a, b)
    (copy,) = await copy_posts(b, address, bob)
    return question, copy


async def test_a_refused_answer_is_told_to_its_writer(trio):
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    question, copy = await _alice_asks(a, b, alice, address, bob)
    # The question goes on A, its Delete not yet sent: bob's answer reaches a missing thread.
    async with a.services.db.write() as conn:
        await conn.execute("DELETE FROM posts WHERE id = ?", (question["id"],))
    status, _ = await b.call("POST", f"/api/v1/groups/{address}/replies",
                             {"in_reply_to": copy["id"], "body": ANSWER}, token=bob)  # fmt: skip
    assert status == 202
    await drain(b)

    (told,) = await notices(b, bob)
    assert told[0] == "write_refused"
    assert told[1] == f"Your answer in {address} was refused by the group's host"
    assert told[2].endswith(f"/groups/{address}")
    assert await notices(b, carol) == []


async def test_a_refused_accept_reaches_the_asker(trio):
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    status, asked = await b.call("POST", f"/api/v1/groups/{address}/posts",
                                 {"kind": "question", "title": QUESTION, "body": "?",
                                  "tags": ["payroll"]}, token=bob)  # fmt: skip
    await drain(a, b)
    async with a.services.db.read() as conn:
        (on_a,) = await conn.execute_fetchall("SELECT id FROM posts WHERE title = ?", (QUESTION,))
    status, answer = await a.call("POST", f"/api/v1/posts/{on_a[0]}/replies",
                                  {"body": ANSWER}, token=alice)  # fmt: skip
    assert status == 201, answer
    await drain(a, b)
    answer_copy = next(p for p in await copy_posts(b, address, bob) if p["kind"] == "answer")
    # alice's answer goes on A before bob's accept arrives (no Delete queued for B).
    async with a.services.db.write() as conn:
        await conn.execute("DELETE FROM posts WHERE id = ?", (answer["id"],))
    status, _ = await b.call("POST", f"/api/v1/groups/{address}/accept",
                             {"answer_id": answer_copy["id"]}, token=bob)  # fmt: skip
    assert status == 202
    await drain(b)
    refused = [t for k, t, _ in await notices(b, bob) if k == "write_refused"]
    assert refused == [
        f"Your choice of an accepted answer in {address} was refused by the group's host"
    ]


async def test_a_host_down_for_good_refuses_every_waiting_write_and_says_so_once_each(trio):
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    await a.server.close()  # A is gone: every write waits, then is given up
    for n in range(2):
        status, _ = await b.call("POST", f"/api/v1/groups/{address}/posts",
                                 {"kind": "tip", "title": f"Tip {n}", "body": "x"},
                                 token=bob)  # fmt: skip
        assert status == 202
    now = b.services.clock()
    await b.fed.worker.run_once(now)
    hours = b.config.delivery_give_up_hours
    await b.fed.worker.run_once(now + timedelta(hours=hours, minutes=1))
    told = [t for _, t, _ in await notices(b, bob)]
    assert told == [f"Your tip in {address} was refused by the group's host"] * 2
    assert await notices(b, carol) == []
