"""What a review of copies found: old news told again, answers that went untold, and the
host's odd marks (checked: refused or harmless). Three real servers on loopback, real
signatures."""

from __future__ import annotations

from tests.federation.test_inbox import post, signed_post

from .test_shared_group_evidence import carol_answers_and_alice_accepts, helpful_counts
from .test_shared_group_flow import drain
from .test_shared_group_refusals import notices
from .test_shared_group_writes import (
    ANSWER,
    QUESTION,
    bob_asks_carol_answers,
    shared_group_with_bob_and_carol,
)


async def test_a_rebuilt_copy_does_not_tell_old_news_again(trio):
    """A copy that goes (the group narrowed to private) and comes back is rebuilt from the
    host's backfill: the answers, mentions and accepts in it happened before, and their
    members were told then (or could not read them). Told again, each would be a new
    notification and a new mail for every old post."""
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    status, _ = await b.call("POST", f"/api/v1/groups/{address}/posts",
                             {"kind": "question", "title": QUESTION, "body": "?"},
                             token=bob)  # fmt: skip
    assert status == 202
    await drain(a, b)
    async with a.services.db.read() as conn:
        ((question,),) = await conn.execute_fetchall(
            "SELECT id FROM posts WHERE title = ?", (QUESTION,)
        )
    body = f"{ANSWER} (ask @carol@{b.host} too)"
    status, _ = await a.call("POST", f"/api/v1/posts/{question}/replies", {"body": body},
                             token=alice)  # fmt: skip
    assert status == 201
    await carol_answers_and_alice_accepts(a, b, alice, carol, address)
    assert [n[0] for n in await notices(b, bob)] == ["answer"]
    assert sorted(n[0] for n in await notices(b, carol)) == ["accepted", "mention"]

    for visibility in ("private", "partners"):
        status, _ = await a.call("PATCH", "/api/v1/groups/payroll-pros",
                                 {"visibility": visibility}, token=alice)  # fmt: skip
        assert status == 200
        await drain(a, b)
    async with b.services.db.read() as conn:
        ((held,),) = await conn.execute_fetchall("SELECT count(*) FROM cached_posts")
    assert held == 4  # the copy is back, with both threads
    assert await notices(b, bob) == []
    assert await notices(b, carol) == []
    assert await b.count("notifications") == 0


async def test_an_answer_written_on_our_own_server_reaches_the_asker(trio):
    """carol (B) answers bob's (B) question in A's group from B's copy: the answer is pending
    on B until A relays it back, and that relay is when it happened in the group; bob hears
    of it as he would of an answer written on A."""
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    await bob_asks_carol_answers(a, b, address, bob, carol)
    (told,) = await notices(b, bob)
    assert told[:2] == (
        "answer",
        f"carol@{b.host} answered your question “{QUESTION}” in Payroll pros",
    )
    assert await notices(b, carol) == []


async def test_hostile_announces_from_the_host_are_4xx_and_change_nothing(trio):
    """The host itself sends marks of odd shapes: each is a 4xx problem (never a 500) or
    changes nothing; an Undo of a mark never made takes nothing, the same mark twice counts
    once."""
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    status, tip = await a.call("POST", "/api/v1/groups/payroll-pros/posts",
                               {"kind": "tip", "title": "Close the period first", "body": "x"},
                               token=alice)  # fmt: skip
    await drain(a, b)
    group, post_id = f"{a.url}/groups/payroll-pros", f"{a.url}/posts/{tip['id']}"
    mark = f"{group}#mark-1"

    def announce(n, obj):
        return {"@context": "https://www.w3.org/ns/activitystreams",
                "id": f"{a.url}/activities/odd-{n}", "type": "Announce",
                "actor": f"{a.url}/actor", "audience": group, "object": obj}  # fmt: skip

    odd = [
        post_id,
        {"type": "Like"},
        {"type": "Undo", "object": post_id},
        {"type": "Undo", "object": {"type": "Like", "id": mark, "object": [post_id]}},
        {"type": "Like", "id": "http://[", "object": post_id},
        {"type": "Like", "id": f"{group}#{'x' * 3000}", "object": post_id},
        {"type": "Like", "id": {"id": mark}, "object": post_id},
    ]
    for n, obj in enumerate(odd):
        status, kind, text = await post(b, *signed_post(a, b, announce(n, obj)))
        assert 400 <= status < 500 and kind == "application/problem+json", (obj, status, text)
    like = {"type": "Like", "id": mark, "object": post_id}
    never = {"type": "Undo", "object": {"type": "Like", "id": f"{group}#mark-2", "object": post_id}}
    for n, obj in enumerate([never, like, like], start=100):
        status, _, text = await post(b, *signed_post(a, b, announce(n, obj)))
        assert status == 202, text
    assert await helpful_counts(b, address, bob) == {"Close the period first": 1}
