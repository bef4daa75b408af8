"""`GET /api/v1/experts` on a partner: local and partners' entries in one ranking, paged with
one cursor: local evidence, partners' evidence (by their counts), local declared, partners'
declared; every entry exactly once, each saying where the person works."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator

from feedserver.federation import profiles

from .test_profile_sync import _answered_question
from .test_shared_profiles import PROFILE, login


async def _share(node, username, evidence):
    member = await node.add_member(username)
    async with node.services.db.write() as conn:
        await profiles.share(conn, node.services, member, summary=f"{username} does payroll",
                             topics=["payroll"], evidence=evidence)  # fmt: skip


# The documented response shape (schemas/openapi.json points at it); every page is checked.
PAGE = Draft202012Validator(
    json.loads((Path(__file__).resolve().parents[2] / "schemas/api/experts-page.json").read_text())
)


async def _walk(node, token, limit, **params):
    seen, cursor = [], None
    for _ in range(20):
        query = {"topic": "payroll", "limit": str(limit), **params}
        if cursor:
            query["cursor"] = cursor
        status, body = await node.call("GET", "/api/v1/experts", token=token, params=query)
        assert status == 200, body
        PAGE.validate(body)
        assert len(body["items"]) <= limit
        seen += [(e["display_name"], e["status"], e["organization"]) for e in body["items"]]
        cursor = body["next"]
        if cursor is None:
            return seen
    raise AssertionError("paging did not end")


async def test_local_and_partner_entries_in_one_ranking_one_cursor(trio):
    a, b, c = trio
    await _share(a, "amir", {"payroll": 2})
    await _share(a, "alice", {"payroll": 5})
    await _share(a, "ann", {})  # declared the topic, no evidence
    assert await a.fed.worker.run_once() == 3
    # B: Bob has evidence (an accepted answer), Dina only declared the topic.
    bob, mia, dina = [await login(b, n) for n in ("bob", "mia", "dina")]
    await b.call("POST", "/api/v1/groups", {"name": "payroll-help", "title": "Payroll help",
                                            "visibility": "org"}, token=mia)  # fmt: skip
    await b.call("PUT", "/api/v1/groups/payroll-help/members/bob", {"role": "member"}, token=mia)
    answer = await _answered_question(b, mia, bob, 1)
    assert (await b.call("POST", f"/api/v1/posts/{answer['id']}/accept", token=mia))[0] == 200
    await b.call("PUT", "/api/v1/members/dina/profile", dict(PROFILE, sharing="org"), token=dina)
    expected = [
        ("Bob", "evidenced", "Org B"),
        ("Alice", "partner", "Org A"),
        ("Amir", "partner", "Org A"),
        ("Dina", "declared", "Org B"),
        ("Ann", "partner", "Org A"),
    ]
    for limit in (1, 2, 3, 5, 50):
        assert await _walk(b, mia, limit) == expected, limit
    # Partner entries carry counts and their server; text search applies to them too.
    status, body = await b.call("GET", "/api/v1/experts", token=mia,
                                params={"topic": "payroll", "q": "amir"})  # fmt: skip
    assert status == 200
    PAGE.validate(body)
    assert [(e["display_name"], e["evidence_count"], e["server"]) for e in body["items"]] == [
        ("Amir", 2, a.url)
    ]
    # C (no partner) sees none of A's people; a bad cursor is a 400.
    carol = await login(c, "carol")
    assert await _walk(c, carol, 2) == []
    status, body = await b.call("GET", "/api/v1/experts", token=mia,
                                params={"topic": "payroll", "cursor": "bm9wZTox"})  # fmt: skip
    assert status == 400, body
