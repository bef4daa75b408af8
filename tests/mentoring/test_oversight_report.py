"""The report counts what really happened in the cohort groups (posts, answers, accepted
answers made through the API), and a mentor's oversight lists unanswered questions, silent
members and recent activity -- for their own cohorts only."""

from __future__ import annotations

import pytest

from tests.conftest import Api
from tests.mentoring.conftest import (
    Clock,
    answer_to,
    as_mentee,
    as_mentor,
    evidence,
    make_group,
    new_program,
    post_in,
    propose,
    publish,
)

NAMES = ("asker", "mia", "max", "ann", "ben", "cat")


async def _cohorts(admin: Api) -> tuple[str, dict[str, Api], dict[str, dict]]:
    p = {n: await admin.add_member(n) for n in NAMES}
    await make_group(p["asker"], "commons", "org", *NAMES[1:])
    await evidence(p["asker"], p["mia"], "payroll", 2)
    await evidence(p["asker"], p["max"], "tax", 1)
    pid = await new_program(admin)
    await as_mentor(p["mia"], pid, ["payroll"], 2)
    await as_mentor(p["max"], pid, ["tax"], 1)
    await as_mentee(p["ann"], pid, ["payroll"])
    await as_mentee(p["ben"], pid, ["payroll"])
    await as_mentee(p["cat"], pid, ["tax"])
    await as_mentee(p["asker"], pid, ["astrophysics"])  # nobody offers it
    proposal = await propose(admin, pid)
    pairings = await publish(admin, pid, proposal["id"])
    return pid, p, {x["mentee"]["username"]: x for x in pairings}


async def test_report_counts_match_real_activity(madmin: Api) -> None:
    pid, p, pairs = await _cohorts(madmin)
    group = pairs["ann"]["group"]
    q1 = await post_in(p["ann"], group, "question", "Where is the cut-off?")
    q2 = await post_in(p["ann"], group, "question", "Who signs off?")
    await post_in(p["ann"], group, "story", "My first payroll run")
    a1 = await answer_to(p["mia"], q1)
    await answer_to(p["ben"], q1)
    await answer_to(p["mia"], q2)
    status, _ = await p["ann"].post(f"/api/v1/posts/{a1}/accept")
    assert status == 200
    qb = await post_in(p["ben"], group, "question", "Is overtime taxed?")
    await answer_to(p["ann"], qb)  # ann's answer is ben's help, not ann's
    # Activity elsewhere never counts.
    await post_in(p["ann"], "commons", "question", "Unrelated question")
    status, report = await madmin.get(f"/api/v1/programs/{pid}/report")
    assert status == 200, report
    assert report["enrolled"] == {"mentors": 2, "mentees": 4}
    assert (report["matched"], report["unmatched"]) == (3, 1)
    assert report["match_rate"] == pytest.approx(0.75)
    scores = [x["score"] for x in pairs.values()]
    assert report["average_score"] == pytest.approx(sum(scores) / 3, abs=1e-4)
    activity = {x["pairing"]["mentee"]["username"]: x["activity"] for x in report["pairs"]}
    assert activity["ann"] == {
        "posts": 3, "answers": 3, "mentor_answers": 2, "accepted_answers": 1,
    }  # fmt: skip
    assert activity["ben"] == {
        "posts": 1, "answers": 1, "mentor_answers": 0, "accepted_answers": 0,
    }  # fmt: skip
    assert activity["cat"] == {
        "posts": 0, "answers": 0, "mentor_answers": 0, "accepted_answers": 0,
    }  # fmt: skip
    assert report["activity"] == {
        "posts": 4, "answers": 4, "mentor_answers": 2, "accepted_answers": 1,
    }  # fmt: skip
    # Deleting a post takes it out of the report: the counts are read, not kept.
    status, _ = await p["ben"].delete(f"/api/v1/posts/{qb}")
    assert status == 204
    status, report = await madmin.get(f"/api/v1/programs/{pid}/report")
    activity = {x["pairing"]["mentee"]["username"]: x["activity"] for x in report["pairs"]}
    assert activity["ben"]["posts"] == 0 and report["activity"]["answers"] == 3


async def test_mentor_oversight(madmin: Api, clock: Clock) -> None:
    pid, p, pairs = await _cohorts(madmin)
    group = pairs["ann"]["group"]
    clock.advance(days=20)
    unanswered = await post_in(p["ann"], group, "question", "Nobody answered me")
    answered = await post_in(p["ann"], group, "question", "Answered one")
    await answer_to(p["mia"], answered)
    status, body = await p["mia"].get("/api/v1/me/mentoring", params={"silent_days": 14})
    assert status == 200, body
    [cohort] = body["cohorts"]
    assert cohort["group"]["name"] == group and cohort["program"]["id"] == pid
    assert sorted(m["username"] for m in cohort["mentees"]) == ["ann", "ben"]
    assert [q["id"] for q in cohort["unanswered"]] == [unanswered]
    assert [s["member"]["username"] for s in cohort["silent"]] == ["ben"]
    assert cohort["silent"][0]["last_posted_at"] is None
    recent = [x["id"] for x in cohort["recent"]]
    assert recent[:2] != [] and unanswered in recent and answered in recent
    assert recent == sorted(recent, reverse=True)
    # max sees only max's cohort; a mentee and the admin oversee nothing.
    status, body = await p["max"].get("/api/v1/me/mentoring")
    assert [c["group"]["name"] for c in body["cohorts"]] == [pairs["cat"]["group"]]
    assert body["cohorts"][0]["unanswered"] == []
    for who in (p["ann"], madmin):
        status, body = await who.get("/api/v1/me/mentoring")
        assert status == 200 and body["cohorts"] == []
    for bad in ("0", "x", "1000"):
        status, body = await p["mia"].get("/api/v1/me/mentoring", params={"silent_days": bad})
        assert status == 400, body
    # A mentor demoted in the group no longer oversees it.
    status, _ = await madmin.put(f"/api/v1/groups/{group}/members/mia", {"role": "member"})
    assert status == 200
    status, body = await p["mia"].get("/api/v1/me/mentoring")
    assert body["cohorts"] == []
