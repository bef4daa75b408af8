"""POST /programs/{id}/match over the real database: the stored proposal is the optimum (checked
against brute force), capacities and exclusions hold, every pair and every unmatched mentee is
explained, and reviewer edits keep those rules."""

from __future__ import annotations

import itertools

import pytest
from aiohttp.test_utils import TestClient

from feedserver import appkeys
from feedserver.domain import matching, members, mentoring_match, programs
from tests.conftest import Api
from tests.mentoring.conftest import (
    as_mentee,
    as_mentor,
    evidence,
    make_group,
    new_program,
    pairs_of,
    propose,
)

NAMES = ("asker", "m1", "m2", "m3", "e1", "e2", "e3", "e4", "e5")


async def _people(admin: Api) -> dict[str, Api]:
    people = {n: await admin.add_member(n) for n in NAMES}
    await make_group(people["asker"], "commons", "org", *NAMES[1:])
    return people


async def _tiny(admin: Api) -> tuple[str, dict[str, Api]]:
    """Three mentors (capacities 1, 2, 1) with API-made evidence, five mentees, four slots."""
    p = await _people(admin)
    await evidence(p["asker"], p["m1"], "payroll", 3)
    await evidence(p["asker"], p["m2"], "payroll", 1)
    await evidence(p["asker"], p["m2"], "tax", 2)
    await evidence(p["asker"], p["m3"], "tax", 1)
    await evidence(p["asker"], p["m3"], "onboarding", 2)
    pid = await new_program(admin)
    await as_mentor(p["m1"], pid, ["payroll"], 1)
    await as_mentor(p["m2"], pid, ["payroll", "tax"], 2)
    await as_mentor(p["m3"], pid, ["benefits"], 1)
    await as_mentee(p["e1"], pid, ["payroll", "tax"], priority="expertise")
    await as_mentee(p["e2"], pid, ["payroll"])
    await as_mentee(p["e3"], pid, ["tax", "onboarding"])
    await as_mentee(p["e4"], pid, ["onboarding", "payroll"])
    await as_mentee(p["e5"], pid, ["benefits", "payroll"])
    return pid, p


async def _brute_force_best(client: TestClient, admin: Api, pid: str) -> float:
    """Every assignment of the pool, scored by the engine's pair scores over the same data."""
    services = client.app[appkeys.SERVICES]
    viewer = await members.viewer_for_token(services, admin.token or "")
    assert viewer is not None
    async with services.db.read() as conn:
        program = await programs.load(conn, viewer, pid)
        pool = await mentoring_match.pool(conn, services, viewer, program)
    weights = programs.weights_of(program)
    mentees = sorted(pool.mentees.values(), key=lambda m: m.member_id)
    mentors = list(pool.mentors.values())
    best = 0.0
    for choice in itertools.product([None, *mentors], repeat=len(mentees)):
        load: dict[str, int] = {}
        total, ok = 0.0, True
        for mentee, mentor in zip(mentees, choice, strict=True):
            if mentor is None:
                continue
            pair = matching.score_pair(mentor, mentee, pool.expertise, weights)
            load[mentor.member_id] = load.get(mentor.member_id, 0) + 1
            if pair is None or load[mentor.member_id] > mentor.capacity:
                ok = False
                break
            total += pair.score
        if ok:
            best = max(best, total)
    return best


async def test_proposal_is_the_brute_force_optimum(mclient: TestClient, madmin: Api) -> None:
    pid, _ = await _tiny(madmin)
    proposal = await propose(madmin, pid)
    assert proposal["status"] == "draft"
    assert proposal["total_score"] == pytest.approx(
        await _brute_force_best(mclient, madmin, pid), abs=1e-5
    )
    assert proposal["total_score"] == pytest.approx(sum(p["score"] for p in proposal["pairs"]))
    # Four slots, five mentees: every slot is used and the one left out is told why.
    assert len(proposal["pairs"]) == 4
    [left] = proposal["unmatched"]
    assert left["reason"].startswith("every suitable mentor is at capacity")


async def test_pairs_are_explained_by_real_evidence(madmin: Api) -> None:
    pid, _ = await _tiny(madmin)
    proposal = await propose(madmin, pid)
    by_mentee = {p["mentee"]["username"]: p for p in proposal["pairs"]}
    reasons = [r for p in by_mentee.values() for r in p["reasons"]]
    assert "expert on #payroll: 3 accepted answers in the last 90 days" in reasons
    assert any(r.startswith("declares #benefits") for r in reasons) or "e5" not in by_mentee
    for pair in proposal["pairs"]:
        assert pair["reasons"], pair


async def test_capacity_is_never_exceeded(madmin: Api) -> None:
    p = await _people(madmin)
    await evidence(p["asker"], p["m1"], "payroll", 2)
    pid = await new_program(madmin)
    await as_mentor(p["m1"], pid, ["payroll"], 2)
    await as_mentor(p["m2"], pid, ["payroll"], 0)  # enrolled, no room at all
    for name in ("e1", "e2", "e3", "e4"):
        await as_mentee(p[name], pid, ["payroll"])
    proposal = await propose(madmin, pid)
    assert sorted(pairs_of(proposal).values()) == ["m1", "m1"]
    assert len(proposal["unmatched"]) == 2
    for entry in proposal["unmatched"]:
        assert entry["reason"] == "every suitable mentor is at capacity (2 candidates)"
    # The reviewer may not push a mentor past capacity either, and nothing changes.
    left = proposal["unmatched"][0]["mentee"]["username"]
    status, body = await madmin.post(
        f"/api/v1/programs/{pid}/proposals/{proposal['id']}/edits",
        {"op": "assign", "mentee": left, "mentor": "m1"},
    )
    assert status == 409, body
    status, again = await madmin.get(f"/api/v1/programs/{pid}/proposals/{proposal['id']}")
    assert status == 200 and again == proposal


async def test_exclusions_are_respected(madmin: Api) -> None:
    p = await _people(madmin)
    await evidence(p["asker"], p["m1"], "payroll", 4)  # the best mentor by far...
    await evidence(p["asker"], p["m2"], "payroll", 1)
    await evidence(p["asker"], p["m3"], "payroll", 1)
    for name, team in (("m1", "Payroll ops"), ("m2", "Finance"), ("e3", "Payroll ops")):
        status, body = await p[name].put(f"/api/v1/members/{name}/profile", {"team": team})
        assert status == 200, body
    pid = await new_program(madmin, exclude_reporting_line=True)
    for name in ("m1", "m2", "m3"):
        await as_mentor(p[name], pid, ["payroll"], 3, **({"manager": "m2"} if name == "m3" else {}))
    await as_mentee(p["e1"], pid, ["payroll"], avoid=["m1"])  # ...whom e1 ruled out
    await as_mentee(p["e2"], pid, ["payroll"], manager="m1")  # m1 is e2's manager
    await as_mentee(p["e3"], pid, ["payroll"], same_team="avoid")  # m1 is in e3's team
    await as_mentee(p["e4"], pid, ["payroll"], manager="m2")  # m3 reports to m2 as well
    proposal = await propose(madmin, pid)
    pairs = pairs_of(proposal)
    assert pairs["e1"] != "m1" and pairs["e2"] != "m1" and pairs["e3"] != "m1"
    assert pairs["e4"] not in ("m2", "m3")
    assert pairs["e4"] == "m1"
    # A reviewer cannot undo an exclusion by hand.
    status, body = await madmin.post(
        f"/api/v1/programs/{pid}/proposals/{proposal['id']}/edits",
        {"op": "assign", "mentee": "e1", "mentor": "m1"},
    )
    assert status == 409 and "excluded" in body["detail"]


async def test_unmatched_reasons(madmin: Api) -> None:
    p = await _people(madmin)
    await evidence(p["asker"], p["m1"], "payroll", 1)
    pid = await new_program(madmin)
    await as_mentor(p["m1"], pid, ["payroll"], 2)
    await as_mentee(p["e1"], pid, ["quantum"])
    await as_mentee(p["e2"], pid, ["payroll"], avoid=["m1"])
    proposal = await propose(madmin, pid)
    reasons = {u["mentee"]["username"]: u["reason"] for u in proposal["unmatched"]}
    assert reasons == {
        "e1": "no mentor offers #quantum",
        "e2": "all candidates excluded by preferences (1 by avoid list)",
    }


async def test_review_swap_and_remove(madmin: Api) -> None:
    pid, _ = await _tiny(madmin)
    proposal = await propose(madmin, pid)
    before = pairs_of(proposal)
    a, b = [m for m in sorted(before) if before[m] in ("m1", "m2")][:2]
    url = f"/api/v1/programs/{pid}/proposals/{proposal['id']}/edits"
    if before[a] == before[b]:
        b = next(m for m in sorted(before) if before[m] not in (before[a],))
    status, swapped = await madmin.post(url, {"op": "swap", "mentees": [a, b]})
    assert status == 200, swapped
    after = pairs_of(swapped)
    assert (after[a], after[b]) == (before[b], before[a])
    assert swapped["total_score"] <= proposal["total_score"] + 1e-9  # the optimum was optimal
    status, removed = await madmin.post(url, {"op": "remove", "mentee": a})
    assert status == 200 and a not in pairs_of(removed)
    assert {u["mentee"]["username"]: u["reason"] for u in removed["unmatched"]}[a] == (
        "removed by the reviewer"
    )


async def test_bad_edits_and_access(madmin: Api) -> None:
    pid, p = await _tiny(madmin)
    proposal = await propose(madmin, pid)
    url = f"/api/v1/programs/{pid}/proposals/{proposal['id']}"
    for bad in ({"op": "swap", "mentees": ["e1"]}, {"op": "explode"}, {"op": "remove"}):
        status, body = await madmin.post(f"{url}/edits", bad)
        assert status == 422, body
    status, body = await madmin.post(f"{url}/edits", {"op": "remove", "mentee": "nobody"})
    assert status == 422 and body["errors"][0]["field"] == "mentee"
    # Proposals are for admins and program owners only.
    for path in (f"{url}", f"/api/v1/programs/{pid}/report"):
        status, _ = await p["e1"].get(path)
        assert status == 403
    for path in (f"/api/v1/programs/{pid}/match", f"{url}/publish"):
        status, _ = await p["e1"].post(path)
        assert status == 403
    status, again = await madmin.get(url)
    assert again == proposal
    status, _ = await madmin.get(f"/api/v1/programs/{pid}/proposals/01aaaaaaaaaaaaaaaaaaaaaaaa")
    assert status == 404


async def test_program_owner_may_match(madmin: Api) -> None:
    p = await _people(madmin)
    pid = await new_program(madmin, owners=["m3"])
    status, body = await p["m3"].post(f"/api/v1/programs/{pid}/match")
    assert status == 201, body
    status, view = await p["m3"].get(f"/api/v1/programs/{pid}")
    assert view["manager"] is True
    status, view = await p["e1"].get(f"/api/v1/programs/{pid}")
    assert status == 200 and view["manager"] is False


async def test_private_profile_evidence_is_not_described_to_a_program_owner(madmin: Api) -> None:
    p = await _people(madmin)
    await evidence(p["asker"], p["m1"], "payroll", 2)
    status, _ = await p["m1"].put("/api/v1/members/m1/profile", {"sharing": "private"})
    assert status == 200
    pid = await new_program(madmin, owners=["m3"])
    await as_mentor(p["m1"], pid, ["payroll"], 1)
    await as_mentee(p["e1"], pid, ["payroll"])
    status, owner_view = await p["m3"].post(f"/api/v1/programs/{pid}/match")
    assert status == 201
    [pair] = owner_view["pairs"]
    assert pair["mentor"]["username"] == "m1"  # the evidence still counts...
    assert "accepted answer" not in str(pair["reasons"])  # ...but is not described
    admin_view = await propose(madmin, pid)
    assert "2 accepted answers" in str(admin_view["pairs"][0]["reasons"])
    assert admin_view["total_score"] == pytest.approx(owner_view["total_score"])
