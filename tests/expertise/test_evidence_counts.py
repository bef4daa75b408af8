"""The counts behind experts' explanations (store/evidence_counts.py) stay exactly what a
recount of the evidence gives, through every kind of write that adds or takes evidence away,
and the explanations summed from them are the ones summed from every piece of evidence (the
way they were read before the counts existed), for every kind of viewer and any window."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient

from feedserver import appkeys
from feedserver.domain import access
from feedserver.models import ReadScope
from feedserver.store import evidence_summary, rows
from feedserver.store.db import Connection
from feedserver.store.directory import groupless_condition
from feedserver.store.scope import group_condition
from tests.conftest import Api
from tests.expertise.conftest import Clock, accept, answer, ask_question, make_group

_RECOUNT = {
    "evidence_kind_counts": (
        "SELECT topic, member_id, kind, count(*),"
        " sum(CASE WHEN group_id IS NULL THEN 1 ELSE 0 END) FROM expertise_evidence"
        " GROUP BY topic, member_id, kind"
    ),
    "evidence_group_counts": (
        "SELECT topic, member_id, group_id, count(*),"
        " sum(CASE WHEN kind <> 'endorsement' THEN 1 ELSE 0 END) FROM expertise_evidence"
        " WHERE group_id IS NOT NULL GROUP BY topic, member_id, group_id"
    ),
    "evidence_day_counts": (
        "SELECT topic, member_id, substr(created_at, 1, 10), kind, count(*)"
        " FROM expertise_evidence GROUP BY topic, member_id, substr(created_at, 1, 10), kind"
    ),
}


async def _from_every_piece(
    conn: Connection, scope: ReadScope, topic: str, member_id: str, since: datetime
) -> tuple[Counter[str], Counter[str], int, list[tuple[object, ...]]]:
    """(counts, recent, hidden, newest five readable) read from every piece of evidence."""
    in_group, group_params = group_condition(scope, "e.group_id", "g.visibility")
    no_group, no_group_params = groupless_condition(access.groupless_kinds(scope))
    readable = f"(CASE WHEN e.group_id IS NULL THEN {no_group} ELSE {in_group} END)"
    found = await conn.execute_fetchall(
        f"SELECT e.kind, e.created_at, (CASE WHEN {readable} THEN 1 ELSE 0 END) AS readable"
        " FROM expertise_evidence e LEFT JOIN groups g ON g.id = e.group_id"
        " WHERE e.topic = ? AND e.member_id = ?",
        (*no_group_params, *group_params, topic, member_id),
    )
    counts, recent, hidden = Counter[str](), Counter[str](), 0
    for r in found:
        counts[r["kind"]] += 1
        recent[r["kind"]] += r["created_at"] >= rows.ts(since)
        hidden += not r["readable"]
    listed = await conn.execute_fetchall(
        "SELECT e.kind, e.created_at, e.root_id, e.source_id, g.name,"
        " COALESCE(rp.title, pg.title), pg.slug FROM expertise_evidence e"
        " JOIN groups g ON g.id = e.group_id"
        " LEFT JOIN posts rp ON rp.id = e.root_id LEFT JOIN pages pg ON pg.id = e.root_id"
        f" WHERE e.topic = ? AND e.member_id = ? AND e.kind <> 'endorsement' AND {readable}"
        " ORDER BY e.created_at DESC LIMIT 5",
        (topic, member_id, *no_group_params, *group_params),
    )
    return +counts, +recent, hidden, [tuple(r) for r in listed]


async def _check(client: TestClient) -> int:
    """Asserts both equalities; returns how many (viewer, topic, member, window) it compared."""
    services = client.app[appkeys.SERVICES]
    compared = 0
    async with services.db.read() as conn:
        for table, recount in _RECOUNT.items():
            kept = await conn.execute_fetchall(f"SELECT * FROM {table}")  # noqa: S608
            assert sorted(tuple(r) for r in kept) == sorted(
                tuple(r) for r in await conn.execute_fetchall(recount)
            ), table
        ids = {r[0]: r[1] for r in await conn.execute_fetchall("SELECT username, id FROM members")}
        pairs = await conn.execute_fetchall(
            "SELECT DISTINCT topic, member_id FROM expertise_evidence"
        )
        stamps = await conn.execute_fetchall("SELECT DISTINCT created_at FROM expertise_evidence")
    moments = sorted(rows.parse_ts(r[0]) for r in stamps)
    # Windows starting exactly at a piece, just after one, and at a day's first instant.
    windows = {services.clock() - timedelta(days=90)}
    for moment in moments[:: max(1, len(moments) // 6)]:
        day_start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        windows |= {moment, moment + timedelta(microseconds=1), day_start}
    scopes = [
        ReadScope(everything=True),
        ReadScope(member_id=ids["carol"], org_groups=True),
        ReadScope(member_id=ids["dave"], org_groups=True),
        ReadScope(member_id=ids["outsider"], org_groups=True),
        access.partner_read_scope(),
        ReadScope(),
    ]
    async with services.db.read() as conn:
        for scope in scopes:
            for topic, member_id in pairs:
                for since in sorted(windows):
                    found = await evidence_summary.summaries(
                        conn, scope, topic, [member_id],
                        groupless=access.groupless_kinds(scope), since=since, listed=5,
                    )  # fmt: skip
                    summary = found[member_id]
                    counts, recent, hidden, listed = await _from_every_piece(
                        conn, scope, topic, member_id, since
                    )
                    seen = [
                        (e.kind, rows.ts(e.created_at), e.root_id, e.source_id, e.group_name,
                         e.title, e.page_slug)
                        for e in summary.listed
                    ]  # fmt: skip
                    what = (scope, topic, member_id, since)
                    assert (summary.counts, +summary.recent, summary.hidden) == (
                        counts, recent, hidden
                    ), what  # fmt: skip
                    assert seen == listed, what
                    compared += 1
    return compared


# 0: the newest work is always read group by group (the path taken when the expert's newest
# pieces are mostly in groups the viewer may not read).
@pytest.mark.parametrize("window", [evidence_summary.NEWEST_WINDOW, 0])
async def test_counts_follow_every_write_and_explain_as_every_piece_did(
    xadmin: Api, xclient: TestClient, clock: Clock, monkeypatch: pytest.MonkeyPatch, window: int
) -> None:
    monkeypatch.setattr(evidence_summary, "NEWEST_WINDOW", window)
    alice, bob = await xadmin.add_member("alice"), await xadmin.add_member("bob")
    carol, dave = await xadmin.add_member("carol"), await xadmin.add_member("dave")
    eve = await xadmin.add_member("eve")
    await xadmin.add_member("outsider")
    await make_group(alice, "finance", "org", "bob", "carol", "dave", "eve")
    await make_group(alice, "secret", "private", "bob", "carol")

    async def step(hours: int = 7) -> None:  # every piece of evidence at its own moment
        clock.advance(hours=hours)

    q1 = await ask_question(bob, "finance", "Check cut after the deadline?", ["payroll", "taxes"])
    a1, a2 = await answer(carol, q1), await answer(dave, q1)
    await step()
    await accept(bob, a1)
    await step()
    await accept(bob, a2)  # replaces the first pick
    await step()
    assert (await dave.put(f"/api/v1/posts/{a1}/helpful"))[0] == 200
    await step()
    assert (await eve.put(f"/api/v1/posts/{a1}/helpful"))[0] == 200
    await step()
    assert (await dave.delete(f"/api/v1/posts/{a1}/helpful"))[0] in (200, 204)
    for group, kind in (("secret", "story"), ("finance", "tip")):
        await step(30)
        status, _ = await carol.post(
            f"/api/v1/groups/{group}/posts",
            {"kind": kind, "title": f"A {kind}", "body": "b", "tags": ["payroll"]},
        )
        assert status == 201
    await step()
    q2 = await ask_question(bob, "secret", "Bonus run in a closed month?", ["payroll"])
    a3 = await answer(carol, q2)
    await accept(bob, a3)
    for endorser in (bob, dave):
        await step()
        assert (await endorser.post("/api/v1/members/carol/endorsements/payroll"))[0] == 201
    await step()
    assert (await dave.delete("/api/v1/members/carol/endorsements/payroll"))[0] == 204
    page = "/api/v1/groups/finance/pages/late-checks"
    for editor, revision in ((carol, None), (bob, 1), (carol, 2)):
        await step(20)
        body = {"title": "Late checks", "body": f"r{revision}", "tags": ["payroll"]}
        if revision is not None:
            body["base_revision"] = revision
        assert (await editor.put(page, body))[0] in (200, 201)
    assert await _check(xclient) > 0

    await step()
    assert (await bob.patch(f"/api/v1/posts/{q1}", {"tags": ["payroll", "audit"]}))[0] == 200
    await step()
    assert (await alice.patch("/api/v1/groups/secret", {"visibility": "org"}))[0] == 200
    await step(50)
    q3 = await ask_question(eve, "finance", "Who signs the tax form?", ["taxes"])
    await accept(eve, await answer(carol, q3))
    await step()
    status, _ = await xadmin.delete("/api/v1/admin/members/eve", params={"content": "remove"})
    assert status == 200
    await step()
    assert (await bob.delete(f"/api/v1/posts/{q2}"))[0] in (200, 204)
    assert (await bob.delete(f"/api/v1/posts/{a3}/accept"))[0] in (200, 204, 404)
    assert await _check(xclient) > 0
