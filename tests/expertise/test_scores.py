"""Scores sum weighted evidence, decay with the configured half-life on a fixed clock, follow
every action incrementally (and its undo), and explain themselves."""

from __future__ import annotations

import pytest

from tests.conftest import Api
from tests.expertise.conftest import (
    Clock,
    accept,
    answer,
    ask_question,
    experts,
    make_group,
    solved,
)


async def _people(admin: Api) -> tuple[Api, Api, Api, Api]:
    alice, bob = await admin.add_member("alice"), await admin.add_member("bob")
    carol, dave = await admin.add_member("carol"), await admin.add_member("dave")
    await make_group(alice, "finance", "org", "bob", "carol", "dave")
    return alice, bob, carol, dave


async def test_accepted_answer_score_decays_with_half_life(xadmin: Api, clock: Clock) -> None:
    _, bob, carol, dave = await _people(xadmin)
    await solved(bob, carol, "finance", "Check cut after the deadline?", ["Payroll"])

    [entry] = await experts(dave, "payroll")
    assert entry["username"] == "carol" and entry["status"] == "evidenced"
    assert entry["score"] == pytest.approx(5.0)  # weight of an accepted answer, fresh
    assert entry["explanation"]["text"] == "1 accepted answer on #payroll in the last 90 days"
    assert entry["server"].startswith("http")

    clock.advance(days=180)  # one half-life
    [entry] = await experts(dave, "payroll")
    assert entry["score"] == pytest.approx(2.5)
    assert entry["explanation"]["text"] == (
        "1 accepted answer on #payroll, none in the last 90 days"
    )
    clock.advance(days=180)
    [entry] = await experts(dave, "payroll")
    assert entry["score"] == pytest.approx(1.25)


async def test_newer_evidence_outranks_older_of_equal_weight(xadmin: Api, clock: Clock) -> None:
    alice, bob, carol, dave = await _people(xadmin)
    await solved(bob, carol, "finance", "Old question", ["payroll"])
    clock.advance(days=90)
    await solved(bob, dave, "finance", "New question", ["payroll"])
    ranked = await experts(alice, "payroll")
    assert [e["username"] for e in ranked] == ["dave", "carol"]
    assert ranked[0]["score"] == pytest.approx(5.0)
    assert ranked[1]["score"] == pytest.approx(5.0 * 2 ** (-0.5), abs=1e-3)


async def test_every_action_and_its_undo_moves_the_score(xadmin: Api) -> None:
    alice, bob, carol, dave = await _people(xadmin)
    qid = await ask_question(bob, "finance", "Late pay form?", ["payroll"])
    aid = await answer(carol, qid)
    assert await experts(alice, "payroll") == []

    status, _ = await dave.put(f"/api/v1/posts/{aid}/helpful")
    assert status == 200
    [entry] = await experts(alice, "payroll")
    assert entry["score"] == pytest.approx(1.0)
    await dave.put(f"/api/v1/posts/{aid}/helpful")  # a second mark by the same member: no-op
    [entry] = await experts(alice, "payroll")
    assert entry["score"] == pytest.approx(1.0)

    await accept(bob, aid)
    [entry] = await experts(alice, "payroll")
    assert entry["score"] == pytest.approx(6.0)
    assert entry["explanation"]["counts"] == {"accepted_answer": 1, "helpful": 1}

    status, _ = await bob.delete(f"/api/v1/posts/{aid}/accept")
    assert status == 200
    status, _ = await dave.delete(f"/api/v1/posts/{aid}/helpful")
    assert status == 200
    assert await experts(alice, "payroll") == []  # no evidence left, nothing declared

    # Re-accept, then move the question to another tag: the evidence follows the tags.
    await accept(bob, aid)
    status, _ = await bob.patch(f"/api/v1/posts/{qid}", json={"tags": ["taxes"]})
    assert status == 200
    assert await experts(alice, "payroll") == []
    assert [e["username"] for e in await experts(alice, "taxes")] == ["carol"]

    # Deleting the thread removes everything it was evidence of.
    status, _ = await bob.delete(f"/api/v1/posts/{qid}")
    assert status == 204
    assert await experts(alice, "taxes") == []


async def test_stories_and_tips_count_self_answers_do_not(xadmin: Api) -> None:
    alice, bob, _, _ = await _people(xadmin)
    for kind in ("story", "tip", "note"):
        status, _ = await bob.post(
            "/api/v1/groups/finance/posts",
            {"kind": kind, "title": f"A {kind}", "body": "text", "tags": ["onboarding"]},
        )
        assert status == 201
    [entry] = await experts(alice, "onboarding")
    assert entry["score"] == pytest.approx(3.0 + 2.0)  # story + tip; a note is not evidence
    assert entry["explanation"]["text"] == "1 story and 1 tip on #onboarding in the last 90 days"

    qid = await ask_question(alice, "finance", "My own question", ["vat"])
    await accept(alice, await answer(alice, qid))
    assert await experts(bob, "vat") == []


async def test_endorsements_once_per_endorser_never_yourself(xadmin: Api) -> None:
    alice, bob, carol, dave = await _people(xadmin)
    assert (await carol.post("/api/v1/members/carol/endorsements/payroll"))[0] == 409
    assert (await bob.post("/api/v1/members/carol/endorsements/Payroll"))[0] == 201
    assert (await bob.post("/api/v1/members/carol/endorsements/payroll"))[0] == 200
    assert (await dave.post("/api/v1/members/carol/endorsements/payroll"))[0] == 201
    assert (await dave.post("/api/v1/members/nobody/endorsements/payroll"))[0] == 404
    status, body = await dave.post("/api/v1/members/carol/endorsements/%20%23%21")
    assert status == 422, body

    [entry] = await experts(alice, "payroll")
    assert entry["score"] == pytest.approx(4.0)
    assert entry["explanation"]["endorsed_by"] == 2
    assert entry["explanation"]["text"] == "endorsed by 2 on #payroll"

    await solved(bob, carol, "finance", "Cutoff?", ["payroll"])
    [entry] = await experts(alice, "payroll")
    assert entry["explanation"]["text"] == (
        "1 accepted answer on #payroll in the last 90 days, endorsed by 2"
    )

    assert (await dave.delete("/api/v1/members/carol/endorsements/payroll"))[0] == 204
    assert (await dave.delete("/api/v1/members/carol/endorsements/payroll"))[0] == 404
    [entry] = await experts(alice, "payroll")
    assert entry["explanation"]["endorsed_by"] == 1
    status, profile = await alice.get("/api/v1/members/carol/profile")
    assert status == 200
    [topic] = profile["topics"]
    assert topic["topic"] == "payroll" and topic["endorsements"] == 1


async def test_declared_topics_show_as_declared_after_evidence(xadmin: Api) -> None:
    alice, bob, carol, dave = await _people(xadmin)
    status, body = await dave.put(
        "/api/v1/members/dave/profile",
        {"headline": "Payroll lead", "topics": [{"topic": "payroll", "level": "expert"}]},
    )
    assert status == 200, body
    assert body["topics"][0]["status"] == "declared"
    await solved(bob, carol, "finance", "Cutoff?", ["payroll"])
    ranked = await experts(alice, "payroll")
    assert [(e["username"], e["status"]) for e in ranked] == [
        ("carol", "evidenced"),
        ("dave", "declared"),
    ]
    assert ranked[1]["score"] == 0 and ranked[1]["level"] == "expert"
    assert ranked[1]["explanation"]["text"] == "declared #payroll (expert), no evidence yet"

    # Paging walks both parts of the list.
    status, first = await alice.get("/api/v1/experts", params={"topic": "payroll", "limit": 1})
    assert status == 200 and [e["username"] for e in first["items"]] == ["carol"]
    status, second = await alice.get(
        "/api/v1/experts", params={"topic": "payroll", "limit": 1, "cursor": first["next"]}
    )
    assert status == 200 and [e["username"] for e in second["items"]] == ["dave"]
    assert second["next"] is None


async def test_changing_the_half_life_rescales_stored_scores_once(
    xadmin: Api, xclient, clock: Clock
) -> None:
    from dataclasses import replace

    from feedserver import appkeys
    from feedserver.domain import expertise
    from feedserver.domain.experts import directory
    from feedserver.domain.services import Services
    from feedserver.models import Viewer
    from feedserver.store import members as member_store

    alice, bob, carol, _ = await _people(xadmin)
    await solved(bob, carol, "finance", "Cutoff?", ["payroll"])
    clock.advance(days=90)
    running = xclient.app[appkeys.SERVICES]
    faster = Services(
        db=running.db, config=replace(running.config, expertise_half_life_days=90), clock=clock
    )
    assert await expertise.calibrate(faster) is True
    assert await expertise.calibrate(faster) is False  # once
    async with running.db.read() as conn:
        viewer = Viewer(await member_store.by_username(conn, "alice"))
    page = await directory(faster, viewer, topic="payroll", text="", cursor=None, limit=5)
    assert page.items[0].score == pytest.approx(2.5, abs=1e-3)  # one 90-day half-life
