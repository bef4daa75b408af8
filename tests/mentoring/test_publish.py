"""Publishing opens one private cohort group per mentor with the right roles and a welcome note;
a mentee sees only their own pairing and cohort; rematch and close change what they should."""

from __future__ import annotations

from tests.conftest import Api
from tests.mentoring.conftest import (
    as_mentee,
    as_mentor,
    evidence,
    make_group,
    new_program,
    propose,
    publish,
)

NAMES = ("asker", "mia", "max", "ann", "ben", "cat", "outsider")


async def _published(admin: Api) -> tuple[str, dict[str, Api], list[dict]]:
    p = {n: await admin.add_member(n) for n in NAMES}
    await make_group(p["asker"], "commons", "org", *NAMES[1:])
    await evidence(p["asker"], p["mia"], "payroll", 2)
    await evidence(p["asker"], p["max"], "tax", 2)
    pid = await new_program(admin, name="Payroll Onboarding")
    await as_mentor(p["mia"], pid, ["payroll"], 2)
    await as_mentor(p["max"], pid, ["tax"], 2)
    await as_mentee(p["ann"], pid, ["payroll"])
    await as_mentee(p["ben"], pid, ["payroll"])
    await as_mentee(p["cat"], pid, ["tax"])
    proposal = await propose(admin, pid)
    return pid, p, await publish(admin, pid, proposal["id"])


def _group_of(pairings: list[dict], mentee: str) -> str:
    return next(x["group"] for x in pairings if x["mentee"]["username"] == mentee)


async def test_publishing_creates_cohort_groups_with_roles(madmin: Api) -> None:
    pid, p, pairings = await _published(madmin)
    assert {(x["mentor"]["username"], x["mentee"]["username"]) for x in pairings} == {
        ("mia", "ann"), ("mia", "ben"), ("max", "cat"),
    }  # fmt: skip
    mia_group, max_group = _group_of(pairings, "ann"), _group_of(pairings, "cat")
    assert mia_group == _group_of(pairings, "ben") != max_group
    assert mia_group == "mentoring-payroll-onboarding-mia"
    status, group = await madmin.get(f"/api/v1/groups/{mia_group}")
    assert status == 200 and group["visibility"] == "private"
    status, body = await madmin.get(f"/api/v1/groups/{mia_group}/members")
    assert {m["username"]: m["role"] for m in body["items"]} == {
        "mia": "mentor", "ann": "member", "ben": "member",
    }  # fmt: skip
    # The welcome note is the mentor's post in the cohort: it is what reaches home feeds.
    status, body = await p["ann"].get(f"/api/v1/groups/{mia_group}/posts")
    assert status == 200
    [note] = body["items"]
    assert note["kind"] == "note" and note["author"]["username"] == "mia"
    assert "@ann" in note["body"] and "@ben" in note["body"]
    # The mentor moderates the cohort (accepts answers, sees join requests).
    status, body = await p["mia"].get(f"/api/v1/groups/{mia_group}")
    assert body["role"] == "mentor" and body["permissions"]["moderate"] is True
    # A new round finds nobody waiting: publishing it opens nothing.
    status, proposal = await madmin.post(f"/api/v1/programs/{pid}/match")
    assert proposal["pairs"] == [] and proposal["unmatched"] == []
    assert await publish(madmin, pid, proposal["id"]) == []


async def test_a_mentee_sees_only_their_own_pairing_and_cohort(madmin: Api) -> None:
    pid, p, pairings = await _published(madmin)
    ann, cat = p["ann"], p["cat"]
    status, mine = await ann.get(f"/api/v1/programs/{pid}/me")
    assert status == 200
    assert [(x["mentor"]["username"], x["mentee"]["username"]) for x in mine["pairings"]] == [
        ("mia", "ann")
    ]
    assert mine["mentee"]["goals"] == ["payroll"] and mine["mentor"] is None
    own = mine["pairings"][0]
    status, body = await ann.get(f"/api/v1/programs/{pid}/pairings/{own['id']}")
    assert status == 200 and body["id"] == own["id"]
    # Another mentee's pairing and cohort do not exist for ann; nor does the proposal.
    cats = next(x for x in pairings if x["mentee"]["username"] == "cat")
    status, body = await ann.get(f"/api/v1/programs/{pid}/pairings/{cats['id']}")
    assert status == 404 and "cat" not in str(body)
    status, body = await ann.get(f"/api/v1/groups/{cats['group']}")
    assert status == 404
    status, body = await ann.get(f"/api/v1/groups/{cats['group']}/posts")
    assert status == 404
    status, listed = await ann.get("/api/v1/groups")
    assert cats["group"] not in {g["name"] for g in listed["items"]}
    # cat, symmetrically; an outsider sees neither pairing.
    status, _ = await cat.get(f"/api/v1/programs/{pid}/pairings/{own['id']}")
    assert status == 404
    for x in pairings:
        status, _ = await p["outsider"].get(f"/api/v1/programs/{pid}/pairings/{x['id']}")
        assert status == 404
    status, mine = await p["outsider"].get(f"/api/v1/programs/{pid}/me")
    assert mine["pairings"] == [] and mine["mentee"] is None
    # The mentor sees both of their mentees' pairings.
    status, mine = await p["mia"].get(f"/api/v1/programs/{pid}/me")
    assert sorted(x["mentee"]["username"] for x in mine["pairings"]) == ["ann", "ben"]


async def test_rematch_returns_the_mentee_to_the_pool(madmin: Api) -> None:
    pid, p, pairings = await _published(madmin)
    ben = next(x for x in pairings if x["mentee"]["username"] == "ben")
    status, body = await p["mia"].post(f"/api/v1/programs/{pid}/pairings/{ben['id']}/rematch")
    assert status == 403  # only the mentee asks
    status, body = await p["ben"].post(
        f"/api/v1/programs/{pid}/pairings/{ben['id']}/rematch", {"note": "different hours"}
    )
    assert status == 200 and body["status"] == "rematch"
    status, _ = await p["ben"].get(f"/api/v1/groups/{ben['group']}")
    assert status == 404  # out of the old cohort
    status, _ = await p["ben"].post(f"/api/v1/programs/{pid}/pairings/{ben['id']}/rematch")
    assert status == 409
    # Next round: ben is in the pool again, never with mia; max has room and tax is close
    # enough? No: ben wants payroll only, so ben stays unmatched with a reason.
    status, proposal = await madmin.post(f"/api/v1/programs/{pid}/match")
    assert proposal["pairs"] == []
    [left] = proposal["unmatched"]
    assert left["mentee"]["username"] == "ben" and "avoid list" in left["reason"]
    # Adding payroll to max makes a rematch possible, into max's existing cohort group.
    await as_mentor(p["max"], pid, ["tax", "payroll"], 2)
    status, proposal = await madmin.post(f"/api/v1/programs/{pid}/match")
    assert [(x["mentee"]["username"], x["mentor"]["username"]) for x in proposal["pairs"]] == [
        ("ben", "max")
    ]
    [new] = await publish(madmin, pid, proposal["id"])
    assert new["group"] == _group_of(pairings, "cat")
    status, body = await madmin.get(f"/api/v1/groups/{new['group']}/members")
    assert {m["username"]: m["role"] for m in body["items"]} == {
        "max": "mentor", "cat": "member", "ben": "member",
    }  # fmt: skip


async def test_completed_mentoring_is_expertise_evidence(madmin: Api) -> None:
    pid, p, pairings = await _published(madmin)
    ann = next(x for x in pairings if x["mentee"]["username"] == "ann")
    url = f"/api/v1/programs/{pid}/pairings/{ann['id']}/close"
    status, before = await p["ann"].get("/api/v1/experts", params={"topic": "payroll"})
    [mia_before] = [e for e in before["items"] if e["username"] == "mia"]
    for who in ("ann", "outsider"):
        status, _ = await p[who].post(url, {"outcome": "completed"})
        assert status in (403, 404)
    status, body = await p["mia"].post(url, {"outcome": "finished"})
    assert status == 422
    status, body = await p["mia"].post(url, {"outcome": "completed", "note": "All set"})
    assert status == 200 and body["status"] == "completed" and body["closed_at"]
    status, _ = await p["mia"].post(url, {"outcome": "completed"})
    assert status == 409  # closed once, counted once
    status, after = await p["ann"].get("/api/v1/experts", params={"topic": "payroll"})
    [mia_after] = [e for e in after["items"] if e["username"] == "mia"]
    assert mia_after["explanation"]["counts"].get("mentoring") == 1
    assert mia_after["score"] > mia_before["score"]
    assert "1 mentoring" in mia_after["explanation"]["text"]
    # An `ended` pairing is not evidence.
    ben = next(x for x in pairings if x["mentee"]["username"] == "ben")
    status, _ = await p["mia"].post(
        f"/api/v1/programs/{pid}/pairings/{ben['id']}/close", {"outcome": "ended"}
    )
    assert status == 200
    status, again = await p["ann"].get("/api/v1/experts", params={"topic": "payroll"})
    [mia_again] = [e for e in again["items"] if e["username"] == "mia"]
    assert mia_again["explanation"]["counts"].get("mentoring") == 1


async def test_stale_proposal_is_not_published(madmin: Api) -> None:
    pid, p, _ = await _published(madmin)
    await as_mentee(p["outsider"], pid, ["payroll"])
    first = await propose(madmin, pid)
    second = await propose(madmin, pid)  # supersedes the first
    status, body = await madmin.post(f"/api/v1/programs/{pid}/proposals/{first['id']}/publish")
    assert status == 409 and "superseded" in body["detail"]
    status, _ = await madmin.post(f"/api/v1/programs/{pid}/proposals/{second['id']}/publish")
    assert status == 201
    status, body = await madmin.post(f"/api/v1/programs/{pid}/proposals/{second['id']}/publish")
    assert status == 409
