"""A shared profile names to partners only topics any local member may read (access policy),
and keeps doing so when that changes: a group narrowed after the fact takes its tag back from
the partners, and a mentee's goal (mentoring evidence, in no group) is never named at all."""

from __future__ import annotations

import json

import pytest

from .servers import Node
from .test_shared_profiles import PROFILE, directory, login


async def _solved_in(node: Node, owner: str, expert: str, group: str, tags: list[str]) -> None:
    """`expert` answers `owner`'s question tagged `tags` in `group`; `owner` accepts it."""
    status, q = await node.call(
        "POST", f"/api/v1/groups/{group}/posts",
        {"kind": "question", "title": f"On {tags[0]}", "body": "b", "tags": tags}, owner,
    )  # fmt: skip
    assert status == 201, q
    status, ans = await node.call("POST", f"/api/v1/posts/{q['id']}/replies", {"body": "A"}, expert)
    assert status == 201, ans
    assert (await node.call("POST", f"/api/v1/posts/{ans['id']}/accept", None, owner))[0] == 200


async def _group(node: Node, owner: str, name: str, visibility: str, *members: str) -> None:
    doc = {"name": name, "title": name.title(), "visibility": visibility}
    status, body = await node.call("POST", "/api/v1/groups", doc, owner)
    assert status == 201, body
    for username in members:
        path = f"/api/v1/groups/{name}/members/{username}"
        assert (await node.call("PUT", path, {"role": "member"}, owner))[0] == 200


async def _sent_profiles(node: Node) -> list[dict]:
    """The Profile objects queued for partners (delivered ones leave the queue)."""
    async with node.services.db.read() as conn, conn.execute("SELECT body FROM deliveries") as cur:
        bodies = [json.loads(r[0]) for r in await cur.fetchall()]
    return [b["object"] for b in bodies if b["type"] == "Update"]


def _tags(profile: dict) -> set[str]:
    return {t["name"] for t in profile["tag"]}


@pytest.mark.parametrize("narrowed_to", ["private", "partners"])
async def test_narrowed_group_takes_its_topic_back_from_partners(trio, narrowed_to: str) -> None:
    a, b, _ = trio
    mia, alice, zoe = await login(a, "mia"), await login(a, "alice"), await login(a, "zoe")
    bob = await login(b, "bob")
    await _group(a, mia, "reorg", "org", "alice", "zoe")
    await _group(a, mia, "finance", "org", "alice", "zoe")
    await _solved_in(a, mia, alice, "reorg", ["layoffs"])
    await _solved_in(a, mia, zoe, "reorg", ["layoffs"])  # zoe does not share her profile
    await _solved_in(a, mia, alice, "finance", ["payroll"])
    for who, token in (("alice", alice), ("mia", mia)):  # mia: no evidence in reorg
        status, _ = await a.call("PUT", f"/api/v1/members/{who}/profile",
                                 dict(PROFILE, sharing="partners"), token)  # fmt: skip
        assert status == 200
    assert await a.fed.worker.run_once() == 2
    assert [e["display_name"] for e in await directory(b, bob, "layoffs")] == ["Alice"]

    # A title change names nothing new: nothing is pushed.
    status, _ = await a.call("PATCH", "/api/v1/groups/reorg", {"title": "Reorg 2026"}, mia)
    assert status == 200 and await a.count("deliveries") == 0

    status, body = await a.call("PATCH", "/api/v1/groups/reorg", {"visibility": narrowed_to}, mia)
    assert status == 200 and body["visibility"] == narrowed_to
    # Queued in the edit's transaction: alice's profile only, the one member who has evidence
    # in the group and shares her profile (zoe does not share; mia has no evidence there).
    [update] = await _sent_profiles(a)
    assert update["describes"].endswith("/users/alice")
    assert "#layoffs" not in _tags(update) and "layoffs" not in update["feedserver:evidence"]
    assert {"#payroll"} <= _tags(update)
    assert await a.fed.worker.run_once() == 1
    assert await directory(b, bob, "layoffs") == []
    (found,) = [e for e in await directory(b, bob, "payroll") if e["display_name"] == "Alice"]
    assert "layoffs" not in json.dumps(found)

    # Opened to the organization again: the topic may be named again, and is.
    status, _ = await a.call("PATCH", "/api/v1/groups/reorg", {"visibility": "org"}, mia)
    assert status == 200
    assert await a.fed.worker.run_once() == 1
    assert [e["display_name"] for e in await directory(b, bob, "layoffs")] == ["Alice"]


async def _completed_mentoring(a: Node, mia: str, ann: str, goals: list[str]) -> None:
    """mia mentors ann, whose goals are `goals`, through the program API; mia closes the
    pairing as completed (mentoring evidence on every goal, recorded with no group)."""
    status, program = await a.call("POST", "/api/v1/programs", {"name": "Growth"})
    assert status == 201, program
    pid = program["id"]
    status, body = await a.call(
        "POST", f"/api/v1/programs/{pid}/mentors", {"topics": ["payroll"], "capacity": 1}, mia
    )
    assert status in (200, 201), body
    status, body = await a.call("POST", f"/api/v1/programs/{pid}/mentees", {"goals": goals}, ann)
    assert status in (200, 201), body
    status, proposal = await a.call("POST", f"/api/v1/programs/{pid}/match")
    assert status == 201 and len(proposal["pairs"]) == 1, proposal
    status, pairings = await a.call(
        "POST", f"/api/v1/programs/{pid}/proposals/{proposal['id']}/publish"
    )
    assert status == 201, pairings
    [pairing] = pairings["items"]
    status, body = await a.call(
        "POST", f"/api/v1/programs/{pid}/pairings/{pairing['id']}/close",
        {"outcome": "completed"}, mia,
    )  # fmt: skip
    assert status == 200 and body["status"] == "completed", body


async def test_mentees_goal_is_not_named_to_partners(trio) -> None:
    a, b, _ = trio
    mia, ann, bob = await login(a, "mia"), await login(a, "ann"), await login(b, "bob")
    # mia shares her profile (it declares payroll) before she mentors anyone.
    status, _ = await a.call("PUT", "/api/v1/members/mia/profile",
                             dict(PROFILE, sharing="partners"), mia)  # fmt: skip
    assert status == 200 and await a.fed.worker.run_once() == 1
    # ann's goals: payroll, and one only she, her mentor and the program's admins may see.
    await _completed_mentoring(a, mia, ann, ["payroll", "performance-improvement-plan"])
    # The new evidence pushed mia's profile again: its count went up under the topic that is
    # nameable anyway (declared); the private goal is neither a tag nor a count.
    [sent] = await _sent_profiles(a)
    assert "performance-improvement-plan" not in json.dumps(sent)
    assert _tags(sent) == {"#payroll"} and sent["feedserver:evidence"] == {"payroll": 1}
    assert await a.fed.worker.run_once() == 1
    assert await directory(b, bob, "performance-improvement-plan") == []
    (found,) = await directory(b, bob, "payroll")
    assert found["display_name"] == "Mia"
    assert "performance-improvement-plan" not in json.dumps(found)
