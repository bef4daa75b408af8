"""Suggested experts for a question and routing it to one of them, within their weekly cap."""

from __future__ import annotations

from tests.conftest import Api
from tests.expertise.conftest import Clock, ask_question, make_group, solved


async def test_suggestions_skip_the_asker_capped_experts_and_non_readers(
    xadmin: Api, clock: Clock
) -> None:
    alice, bob = await xadmin.add_member("alice"), await xadmin.add_member("bob")
    carol, erin = await xadmin.add_member("carol"), await xadmin.add_member("erin")
    olga = await xadmin.add_member("olga")  # an expert outside the private group
    await make_group(alice, "finance", "org", "bob", "carol", "erin", "olga")
    await make_group(alice, "hr-private", "private", "bob", "carol", "erin")
    await solved(alice, carol, "finance", "Q carol", ["payroll"])
    await solved(alice, erin, "finance", "Q erin", ["payroll"])
    await solved(alice, bob, "finance", "Q bob", ["payroll"])  # the asker is an expert too
    await solved(alice, olga, "finance", "Q olga 1", ["payroll"])
    await solved(alice, olga, "finance", "Q olga 2", ["payroll"])
    status, _ = await erin.put("/api/v1/members/erin/profile", {"weekly_ask_cap": 1})
    assert status == 200

    qid = await ask_question(bob, "hr-private", "Payroll for a leaver?", ["payroll"])
    status, found = await bob.get(f"/api/v1/posts/{qid}/suggested-experts")
    assert status == 200, found
    names = [s["username"] for s in found["items"]]
    assert "bob" not in names  # not the asker
    assert "olga" not in names  # cannot read the group: routing would leak the question
    assert set(names) == {"carol", "erin"}
    assert found["items"][0]["topics"][0]["explanation"]["text"]

    assert (await bob.post(f"/api/v1/posts/{qid}/ask/olga"))[0] == 409
    assert (await bob.post(f"/api/v1/posts/{qid}/ask/bob"))[0] == 409
    assert (await bob.post(f"/api/v1/posts/{qid}/ask/nobody"))[0] == 404
    assert (await olga.post(f"/api/v1/posts/{qid}/ask/carol"))[0] == 404  # cannot see it

    status, asked = await bob.post(f"/api/v1/posts/{qid}/ask/erin")
    assert status == 201, asked
    assert (await bob.post(f"/api/v1/posts/{qid}/ask/erin"))[0] == 200  # once per question

    # erin's cap (1 a week) is reached: no longer suggested for another question, not askable.
    other = await ask_question(bob, "hr-private", "Payroll for a joiner?", ["payroll"])
    status, found = await bob.get(f"/api/v1/posts/{other}/suggested-experts")
    assert [s["username"] for s in found["items"]] == ["carol"]
    status, problem = await bob.post(f"/api/v1/posts/{other}/ask/erin")
    assert status == 409 and "cap" in problem["detail"]
    # The first question still lists her, marked as already asked.
    status, found = await bob.get(f"/api/v1/posts/{qid}/suggested-experts")
    assert {s["username"]: s["already_asked"] for s in found["items"]} == {
        "carol": False,
        "erin": True,
    }

    clock.advance(days=8)  # a new week
    assert (await bob.post(f"/api/v1/posts/{other}/ask/erin"))[0] == 201

    status, mine = await erin.get("/api/v1/me/asks", params={"limit": 1})
    assert status == 200
    assert [a["post"]["id"] for a in mine["items"]] == [other]
    assert mine["items"][0]["asked_by"] == "bob"
    status, rest = await erin.get("/api/v1/me/asks", params={"limit": 1, "cursor": mine["next"]})
    assert [a["post"]["id"] for a in rest["items"]] == [qid]
    assert (await carol.get("/api/v1/me/asks"))[1]["items"] == []

    # Leaving the group hides the routed question from the expert's list.
    assert (await alice.delete("/api/v1/groups/hr-private/members/erin"))[0] == 204
    assert (await erin.get("/api/v1/me/asks"))[1]["items"] == []


async def test_only_questions_are_routed_and_limits_are_checked(xadmin: Api) -> None:
    alice = await xadmin.add_member("alice")
    await make_group(alice, "finance", "org")
    status, story = await alice.post(
        "/api/v1/groups/finance/posts",
        {"kind": "story", "title": "A story", "body": "b", "tags": ["payroll"]},
    )
    assert status == 201
    assert (await alice.get(f"/api/v1/posts/{story['id']}/suggested-experts"))[0] == 409
    qid = await ask_question(alice, "finance", "Q", ["payroll"])
    status, _ = await alice.get(f"/api/v1/posts/{qid}/suggested-experts", params={"limit": "x"})
    assert status == 400
    assert (await alice.get("/api/v1/posts/nope/suggested-experts"))[0] == 404
