"""Expertise earned in a partner's group shows on its author's own server, with the group
named only to those who may read it: carol (B) answers in A's group, alice accepts on A.
On B, bob (in the group) sees the topic, the question's title and the group on carol's
profile and in the directory; dave (on B, not in the group) and B's admin only count it.
When the copy goes, so does what it named. Three real servers on loopback."""

from __future__ import annotations

import json

from tests.federation.test_inbox import post, signed_post

from .test_shared_group_flow import drain, login, setup_group
from .test_shared_group_pages import page_as
from .test_shared_group_writes import shared_group_with_bob_and_carol, topics

QUESTION = "Which payroll calendar?"


async def carol_answers_and_alice_accepts(a, b, alice, carol, address):
    status, asked = await a.call("POST", "/api/v1/groups/payroll-pros/posts",
                                 {"kind": "question", "title": QUESTION, "body": "?",
                                  "tags": ["payroll"]}, token=alice)  # fmt: skip
    assert status == 201
    await drain(a, b)
    status, _ = await b.call("POST", f"/api/v1/groups/{address}/replies",
                             {"in_reply_to": f"{a.url}/posts/{asked['id']}",
                              "body": "The 2026 one"}, token=carol)  # fmt: skip
    assert status == 202
    await drain(a, b)
    status, thread = await a.call("GET", f"/api/v1/posts/{asked['id']}", token=alice)
    (answer,) = thread["items"]
    status, _ = await a.call("POST", f"/api/v1/posts/{answer['id']}/accept", token=alice)
    assert status == 200
    await drain(a, b)


async def payroll(node, token):
    """carol's payroll topic on her profile as `token` sees it (None: not named), and the
    whole answer's text."""
    status, body = await node.call("GET", "/api/v1/members/carol/profile", token=token)
    assert status == 200, body
    named = [t for t in body["topics"] if t["topic"] == "payroll"]
    return (named[0] if named else None), json.dumps(body)


async def test_evidence_from_a_partners_group_is_named_to_its_members_only(trio):
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    dave = await login(b, "dave")
    await carol_answers_and_alice_accepts(a, b, alice, carol, address)

    topic, _ = await payroll(b, bob)  # bob reads the group's copy
    assert topic is not None
    (piece,) = topic["explanation"]["evidence"]
    assert piece["title"] == QUESTION and piece["group"] == address
    assert piece["kind"] == "accepted_answer" and topic["explanation"]["hidden"] == 0
    status, page = await page_as(b, "bob", "/people/carol")
    assert status == 200 and QUESTION in page and f'href="/groups/{address}"' in page

    for who in (dave, b.admin_token):  # counted, never described
        topic, text = await payroll(b, who)
        assert QUESTION not in text and address not in text
    topic, _ = await payroll(b, dave)
    assert topic is None  # nothing dave may read names the topic
    status, found = await b.call("GET", "/api/v1/experts?topic=payroll", token=dave)
    (entry,) = found["items"]
    assert entry["explanation"]["hidden"] == 1 and QUESTION not in json.dumps(found)
    status, found = await b.call("GET", "/api/v1/experts?topic=payroll", token=bob)
    assert QUESTION in json.dumps(found)

    # The group narrowed to private: B keeps nothing of it, and names nothing from it.
    status, _ = await a.call("PATCH", "/api/v1/groups/payroll-pros", {"visibility": "private"},
                             token=alice)  # fmt: skip
    await drain(a, b)
    topic, text = await payroll(b, bob)
    assert topic is None and QUESTION not in text


async def helpful_counts(node, address, token):
    status, body = await node.call("GET", f"/api/v1/groups/{address}/posts", token=token)
    assert status == 200, body
    return {p["title"] or p["body_html"]: p["helpful_count"] for p in body["items"]}


async def test_helpful_marks_show_on_copies_and_count_where_their_author_lives(trio):
    """carol (B) shares a tip in A's group: alice (A) and bob (B) mark it helpful. The copy
    on B counts both marks, carol's profile on B earns the evidence (her account on A earns
    none), the page shows the count; a mark taken back goes from both."""
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    status, tip = await b.call("POST", f"/api/v1/groups/{address}/posts",
                               {"kind": "tip", "title": "Close the period first", "body": "x",
                                "tags": ["payroll"]}, token=carol)  # fmt: skip
    assert status == 202
    await drain(a, b)
    async with a.services.db.read() as conn:
        ((on_a,),) = await conn.execute_fetchall("SELECT id FROM posts WHERE kind = 'tip'")
    status, _ = await a.call("PUT", f"/api/v1/posts/{on_a}/helpful", token=alice)
    assert status == 200
    status, _ = await b.call("POST", f"/api/v1/groups/{address}/helpful",
                             {"post_id": tip["id"]}, token=bob)  # fmt: skip
    assert status == 202
    await drain(a, b)

    assert await helpful_counts(b, address, bob) == {"Close the period first": 2}
    topic, _ = await payroll(b, bob)
    assert topic["explanation"]["counts"].get("helpful") == 2
    status, page = await page_as(b, "bob", f"/groups/{address}")
    assert "2 found this helpful" in page
    status, body = await a.call("GET", "/api/v1/experts?topic=payroll", token=alice)
    assert f"carol@{b.host}" not in json.dumps(body)  # none on A for a partner's member

    # alice takes her mark back: one left, on the copy and on carol's profile.
    status, _ = await a.call("DELETE", f"/api/v1/posts/{on_a}/helpful", token=alice)
    assert status == 200
    await drain(a, b)
    assert await helpful_counts(b, address, bob) == {"Close the period first": 1}
    topic, _ = await payroll(b, bob)
    assert topic["explanation"]["counts"].get("helpful") == 1


async def test_a_server_new_to_the_group_is_told_the_marks_with_the_posts(trio):
    a, b, c = trio
    alice, bob, _ = await setup_group(a, b, c)
    dave = await login(a, "dave")
    status, _ = await a.call("PUT", "/api/v1/groups/payroll-pros/members/dave",
                             {"role": "member"}, token=alice)  # fmt: skip
    status, tip = await a.call("POST", "/api/v1/groups/payroll-pros/posts",
                               {"kind": "tip", "title": "Close the period first", "body": "x"},
                               token=alice)  # fmt: skip
    status, _ = await a.call("PUT", f"/api/v1/posts/{tip['id']}/helpful", token=dave)
    assert status == 200
    status, _ = await a.call("PUT", f"/api/v1/groups/payroll-pros/members/bob@{b.host}",
                             {"role": "member"}, token=alice)  # fmt: skip
    assert status == 200
    await drain(a, b)
    address = f"payroll-pros@{a.host}"
    assert await helpful_counts(b, address, bob) == {"Close the period first": 1}


async def test_marks_are_only_the_hosts_to_announce(trio):
    """A mark named on another server, or announced by a server that does not host the
    group, is refused and changes no count."""
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    status, tip = await a.call("POST", "/api/v1/groups/payroll-pros/posts",
                               {"kind": "tip", "title": "Close the period first", "body": "x"},
                               token=alice)  # fmt: skip
    await drain(a, b)
    group = f"{a.url}/groups/payroll-pros"
    post_id = f"{a.url}/posts/{tip['id']}"

    def announce(sender, mark_host, n):
        return {"@context": "https://www.w3.org/ns/activitystreams",
                "id": f"{sender.url}/activities/mark-{n}", "type": "Announce",
                "actor": f"{sender.url}/actor", "audience": group,
                "object": {"id": f"{mark_host.url}/marks/{n}", "type": "Like",
                           "object": post_id}}  # fmt: skip

    for sender, mark_host, n in ((a, c, 1), (c, c, 2)):
        status, _, _ = await post(b, *signed_post(sender, b, announce(sender, mark_host, n)))
        assert 400 <= status < 500
    assert await helpful_counts(b, address, bob) == {"Close the period first": 0}
    status, _, _ = await post(b, *signed_post(a, b, announce(a, a, 3)))
    assert status == 202  # the host may
    assert await helpful_counts(b, address, bob) == {"Close the period first": 1}


async def test_a_thread_retagged_on_the_host_moves_the_evidence_it_earned_here(trio):
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    await carol_answers_and_alice_accepts(a, b, alice, carol, address)
    assert "payroll" in await topics(b, "carol")
    async with a.services.db.read() as conn:
        ((question,),) = await conn.execute_fetchall(
            "SELECT id FROM posts WHERE title = ?", (QUESTION,)
        )
    status, body = await a.call("PATCH", f"/api/v1/posts/{question}", {"tags": ["tax"]},
                                token=alice)  # fmt: skip
    assert status == 200, body
    await drain(a, b)
    found = await topics(b, "carol")
    assert "tax" in found and "payroll" not in found
