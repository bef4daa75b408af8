"""Expertise earned in a partner's group shows on its author's own server, with the group
named only to those who may read it: carol (B) answers in A's group, alice accepts on A.
On B, bob (in the group) sees the topic, the question's title and the group on carol's
profile and in the directory; dave (on B, not in the group) and B's admin only count it.
When the copy goes, so does what it named. Three real servers on loopback."""

from __future__ import annotations

import json

from .test_shared_group_flow import drain, login
from .test_shared_group_pages import page_as
from .test_shared_group_writes import shared_group_with_bob_and_carol

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
