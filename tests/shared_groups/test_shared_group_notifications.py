"""Members of a partner's group hear, on their own server, about what happens to what they
wrote there: an answer to their question, their answer accepted. Only while they belong to
the group: when the copy goes, its notifications go with it. Three real servers."""

from __future__ import annotations

import json

from .test_shared_group_evidence import QUESTION as CALENDAR
from .test_shared_group_evidence import carol_answers_and_alice_accepts
from .test_shared_group_flow import drain, login
from .test_shared_group_pages import page_as
from .test_shared_group_refusals import notices
from .test_shared_group_writes import ANSWER, QUESTION, shared_group_with_bob_and_carol


async def test_answers_and_accepts_in_a_partners_group_reach_their_members(trio):
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    status, _ = await b.call("POST", f"/api/v1/groups/{address}/posts",
                             {"kind": "question", "title": QUESTION, "body": "?"},
                             token=bob)  # fmt: skip
    await drain(a, b)
    async with a.services.db.read() as conn:
        ((question,),) = await conn.execute_fetchall(
            "SELECT id FROM posts WHERE title = ?", (QUESTION,)
        )
    status, _ = await a.call("POST", f"/api/v1/posts/{question}/replies", {"body": ANSWER},
                             token=alice)  # fmt: skip
    assert status == 201
    await drain(a, b)
    (told,) = await notices(b, bob)
    assert told[0] == "answer"
    assert told[1] == f"alice@{a.host} answered your question “{QUESTION}” in Payroll pros"
    assert told[2].endswith(f"/groups/{address}")
    assert await notices(b, carol) == []

    await carol_answers_and_alice_accepts(a, b, alice, carol, address)
    (told,) = await notices(b, carol)
    assert told[:2] == ("accepted", f"Someone accepted your answer to “{CALENDAR}” in Payroll pros")
    status, page = await page_as(b, "carol", "/notifications")
    assert status == 200 and "Someone accepted your answer" in page

    # bob leaves the group on A: what he was told about it goes from B.
    status, _ = await a.call("DELETE", f"/api/v1/groups/payroll-pros/members/bob@{b.host}",
                             token=alice)  # fmt: skip
    assert status in (200, 204)
    await drain(a, b)
    assert await notices(b, bob) == []
    status, body = await b.call("GET", "/api/v1/me/notifications", token=bob)
    assert QUESTION not in json.dumps(body)
    # Narrowed to private, the copy goes, and carol's notifications with it.
    status, _ = await a.call("PATCH", "/api/v1/groups/payroll-pros", {"visibility": "private"},
                             token=alice)  # fmt: skip
    await drain(a, b)
    assert await notices(b, carol) == []
    assert await b.count("notifications") == 0


async def test_a_mention_of_our_member_in_a_partners_group_reaches_them(trio):
    """`@carol@B` in a post of A's group reaches carol on B; a bare `@carol` names A's own
    carol, and `@dave@B` names someone not in the group: nothing for them."""
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    await login(b, "dave")
    body = f"Ask @carol@{b.host} or @dave@{b.host}; @bob knows too"
    status, _ = await a.call("POST", "/api/v1/groups/payroll-pros/posts",
                             {"kind": "tip", "title": "Payroll help", "body": body},
                             token=alice)  # fmt: skip
    assert status == 201
    await drain(a, b)
    (told,) = await notices(b, carol)
    assert told[:2] == (
        "mention",
        f"alice@{a.host} mentioned you in “Payroll help” in Payroll pros",
    )
    assert await notices(b, bob) == []
    assert await b.count("notifications") == 1  # none for dave, who cannot read it
