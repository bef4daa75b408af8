"""A large matching (bench's seeded 1,000 mentees x 300 mentors) runs off the event loop and
outside the write lock: reads and writes of other requests are served while it runs."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bench.matching import instance
from bench.matching_db import _seed
from feedserver import appkeys
from feedserver.domain import members, mentoring_match
from tests.conftest import PASSWORD, Api

Client = TestClient[web.Request, web.Application]


async def _other_admin(client: Client) -> Api:
    """Signed in over HTTP (bench's seed makes its own "admin", without a password)."""
    await members.create(
        client.app[appkeys.SERVICES], username="ops", display_name="Ops", password=PASSWORD,
        is_admin=True,
    )  # fmt: skip
    return await Api(client).login("ops")


async def test_requests_are_served_while_a_large_match_runs(client: Client) -> None:
    services = client.app[appkeys.SERVICES]
    viewer, program_id = await _seed(services, *instance())
    admin = await _other_admin(client)
    matching = asyncio.create_task(mentoring_match.propose(services, viewer, program_id))
    served: list[str] = []  # what was answered while the match ran
    n = 0
    # Until a write and a read were both answered while it ran (or it ended): a few requests,
    # well within the per-member write limit however long the match takes here.
    while not matching.done() and not {"write", "read"} <= set(served):
        n += 1
        status, _ = await admin.post("/api/v1/groups", {"name": f"g{n}", "title": f"G {n}"})
        assert status == 201
        if not matching.done():
            served.append("write")
        assert (await admin.get("/api/v1/me"))[0] == 200
        if not matching.done():
            served.append("read")
    proposal = await matching
    assert sum(1 for e in proposal.entries if e.mentor is not None) > 250
    assert "write" in served and "read" in served, served  # neither waited for the match


async def test_a_pool_that_changes_during_the_match_is_matched_again(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = client.app[appkeys.SERVICES]
    mentors, mentees, evidence = instance()
    mentors = mentors[:20]
    kept = {m.member_id for m in mentors}
    mentees = [replace(m, avoid=m.avoid & kept) for m in mentees[:60]]
    evidence = {key: found for key, found in evidence.items() if key[0] in kept}
    viewer, program_id = await _seed(services, mentors, mentees, evidence)
    calls = 0
    original = mentoring_match._people

    async def people_then_a_late_change(conn, program, only=None):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 2:  # the write's check: a mentee changed their enrolment in between
            await conn.execute(
                "UPDATE program_mentees SET priority = CASE priority WHEN 'team' THEN 'balanced'"
                " ELSE 'team' END WHERE program_id = ? AND member_id = (SELECT member_id FROM"
                " program_mentees WHERE program_id = ? LIMIT 1)", (program_id, program_id),
            )  # fmt: skip
        return await original(conn, program, only)

    monkeypatch.setattr(mentoring_match, "_people", people_then_a_late_change)
    proposal = await mentoring_match.propose(services, viewer, program_id)
    assert calls == 4  # read, changed at the write; read again, unchanged at the write
    assert proposal.status == "draft"
