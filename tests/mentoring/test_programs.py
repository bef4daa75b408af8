"""Programs and enrolment: admins create, every member sees, enrolment follows the window, and
bad input is refused with problem+json and changes nothing."""

from __future__ import annotations

from tests.conftest import Api
from tests.mentoring.conftest import Clock, as_mentee, as_mentor, new_program


async def test_create_and_see_programs(madmin: Api) -> None:
    alice = await madmin.add_member("alice")
    status, body = await alice.post("/api/v1/programs", {"name": "Mine"})
    assert status == 403
    status, body = await madmin.post(
        "/api/v1/programs",
        {"name": "  New   hires ", "description": "Q3 cohort", "default_capacity": 3,
         "weights": {"expertise": 2, "exclude_same_team": True}},
    )  # fmt: skip
    assert status == 201, body
    assert body["name"] == "New hires" and body["default_capacity"] == 3
    assert body["weights"]["expertise"] == 2 and body["weights"]["exclude_same_team"] is True
    assert body["weights"]["declared_topic"] == 0.2  # defaults filled in
    assert len(body["id"]) == 26
    status, seen = await alice.get(f"/api/v1/programs/{body['id']}")
    assert status == 200 and seen["enrolled"] == {"mentors": 0, "mentees": 0}
    status, listed = await alice.get("/api/v1/programs")
    assert [x["id"] for x in listed["items"]] == [body["id"]]
    for bad_id in ("nope", "01aaaaaaaaaaaaaaaaaaaaaaaa"):
        status, _ = await alice.get(f"/api/v1/programs/{bad_id}")
        assert status == 404
    status, _ = await Api(madmin.client).get(f"/api/v1/programs/{body['id']}")
    assert status == 401


async def test_bad_program_input_changes_nothing(madmin: Api) -> None:
    for bad in (
        {},
        {"name": ""},
        {"name": "x", "default_capacity": 0},
        {"name": "x", "weights": {"nonsense": 1}},
        {"name": "x", "enrol_opens_at": "tomorrow"},
        {"name": "x", "enrol_opens_at": "2026-05-01T00:00:00"},  # no offset
        {"name": "x", "enrol_opens_at": "2026-05-01T00:00:00Z",
         "enrol_closes_at": "2026-04-01T00:00:00Z"},
        {"name": "x", "owners": ["ghost"]},
        {"name": "x", "surprise": True},
    ):  # fmt: skip
        status, body = await madmin.post("/api/v1/programs", bad)
        assert status == 422, (bad, body)
        assert body["status"] == 422 and body["errors"]
    status, listed = await madmin.get("/api/v1/programs")
    assert listed["items"] == []


async def test_enrolment(madmin: Api, clock: Clock) -> None:
    alice, bob = await madmin.add_member("alice"), await madmin.add_member("bob")
    pid = await new_program(madmin, default_capacity=3)
    body = await as_mentor(alice, pid, ["#Payroll", "payroll", "Tax law"], 2)
    assert body["topics"] == ["payroll", "tax-law"] and body["capacity"] == 2
    status, body = await alice.post(f"/api/v1/programs/{pid}/mentors", {"topics": ["tax-law"]})
    assert status == 200 and body["capacity"] == 3  # updated, program default
    body = await as_mentee(bob, pid, ["payroll"], same_team="prefer", avoid=["alice"])
    assert body["avoiding"] == 1 and body["priority"] == "balanced"
    for bad in (
        {"goals": []},
        {"goals": ["!!!"]},
        {"goals": ["a", "b", "c", "d", "e", "f"]},
        {"goals": ["payroll"], "avoid": ["ghost"]},
        {"goals": ["payroll"], "manager": "bob"},  # yourself
        {"goals": ["payroll"], "same_team": "maybe"},
    ):
        status, problem = await bob.post(f"/api/v1/programs/{pid}/mentees", bad)
        assert status == 422, (bad, problem)
    status, mine = await bob.get(f"/api/v1/programs/{pid}/me")
    assert mine["mentee"]["goals"] == ["payroll"] and mine["mentee"]["same_team"] == "prefer"
    status, seen = await bob.get(f"/api/v1/programs/{pid}")
    assert seen["enrolled"] == {"mentors": 1, "mentees": 1}


async def test_enrolment_window(madmin: Api, clock: Clock) -> None:
    alice = await madmin.add_member("alice")
    opens = clock.now.replace(day=10).isoformat()
    closes = clock.now.replace(day=20).isoformat()
    pid = await new_program(madmin, enrol_opens_at=opens, enrol_closes_at=closes)
    status, body = await alice.post(f"/api/v1/programs/{pid}/mentees", {"goals": ["tax"]})
    assert status == 409 and "opens" in body["detail"]
    clock.advance(days=10)
    await as_mentee(alice, pid, ["tax"])
    clock.advance(days=10)
    status, body = await alice.post(f"/api/v1/programs/{pid}/mentors", {"topics": ["tax"]})
    assert status == 409 and "closed" in body["detail"]
    status, mine = await alice.get(f"/api/v1/programs/{pid}/me")
    assert mine["mentor"] is None and mine["mentee"]["goals"] == ["tax"]
