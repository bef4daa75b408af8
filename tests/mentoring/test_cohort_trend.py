"""Mentoring programs in insights (scope=program:ID): the program report's cohort figures by
the week pairs started, for admins and the program's owners; questions only from the cohort
groups the viewer may read; other members are refused as for the report."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import Api
from tests.mentoring.conftest import (
    START,
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

NAMES = ("asker", "mia", "max", "ann", "ben", "cat", "dan", "olga")
PERIOD = "&from=2026-02-20&to=2026-03-20"


async def _insights(api: Api, pid: str) -> dict:
    status, body = await api.get(f"/api/v1/insights?scope=program:{pid}{PERIOD}")
    assert status == 200, body
    return body


async def test_cohort_figures_by_the_week_pairs_started(madmin: Api, clock: Clock) -> None:
    p = {n: await madmin.add_member(n) for n in NAMES}
    await make_group(p["asker"], "commons", "org", *NAMES[1:])
    await evidence(p["asker"], p["mia"], "payroll", 2)
    await evidence(p["asker"], p["max"], "tax", 2)
    pid = await new_program(madmin, owners=["olga"])
    await as_mentor(p["mia"], pid, ["payroll"], 2)
    await as_mentor(p["max"], pid, ["tax"], 2)
    for name, goal in (("ann", "payroll"), ("ben", "payroll"), ("cat", "tax")):
        await as_mentee(p[name], pid, [goal])
    first = {x["mentee"]["username"]: x for x in await publish(
        madmin, pid, (await propose(madmin, pid))["id"])}  # fmt: skip
    group = first["ann"]["group"]
    question = await post_in(p["ann"], group, "question", "Where is the cut-off?")
    await post_in(p["ann"], group, "story", "My first payroll run")
    answer = await answer_to(p["mia"], question)
    assert (await p["ann"].post(f"/api/v1/posts/{answer}/accept"))[0] == 200
    status, _ = await p["max"].post(f"/api/v1/programs/{pid}/pairings/{first['cat']['id']}/close",
                                    {"outcome": "completed"})  # fmt: skip
    assert status == 200
    clock.now = START + timedelta(days=7)  # a week on, a second cohort starts
    await as_mentee(p["dan"], pid, ["tax"])
    second = await publish(madmin, pid, (await propose(madmin, pid))["id"])
    assert [x["mentee"]["username"] for x in second] == ["dan"]

    report = await _insights(madmin, pid)
    scores = [first[n]["score"] for n in ("ann", "ben", "cat")]
    assert report["cohorts"] == [
        {"week": "2026-02-23", "pairs": 3, "active": 2, "completed": 1, "ended": 0,
         "rematch": 0, "average_score": pytest.approx(round(sum(scores) / 3, 4)),
         "mentee_posts": 2, "answers": 1, "mentor_answers": 1, "accepted_answers": 1},
        {"week": "2026-03-02", "pairs": 1, "active": 1, "completed": 0, "ended": 0,
         "rematch": 0, "average_score": pytest.approx(second[0]["score"]),
         "mentee_posts": 0, "answers": 0, "mentor_answers": 0, "accepted_answers": 0},
    ]  # fmt: skip
    assert report["title"] == "Mentoring: New hires 2026"
    # The admin reads the cohort groups: their questions count.
    assert (report["questions"]["asked"], report["questions"]["accepted"]) == (1, 1)

    # The owner sees the report's figures, but no question of groups they may not read.
    owned = await _insights(p["olga"], pid)
    assert owned["cohorts"] == report["cohorts"]
    assert owned["questions"]["asked"] == 0 and owned["experts"] == []
    status, csv = await p["olga"].get(f"/api/v1/insights?scope=program:{pid}{PERIOD}",
                                      headers={"Accept": "text/csv"})  # fmt: skip
    assert status == 200 and "cohorts.1.pairs,1\r\n" in csv and "cohorts.0.completed,1\r\n" in csv

    # Another member (a mentee, a mentor) is refused as for the report; no program is 404.
    for name in ("ann", "mia"):
        status, body = await p[name].get(f"/api/v1/insights?scope=program:{pid}")
        assert status == 403, body
    status, _ = await madmin.get("/api/v1/insights?scope=program:" + "0" * 26)
    assert status == 404
    assert "cohorts" not in await _insights_group(madmin, group)


async def _insights_group(api: Api, group: str) -> dict:
    status, body = await api.get(f"/api/v1/insights?scope=group:{group}")
    assert status == 200, body
    return body
