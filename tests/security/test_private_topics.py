"""A topic is a tag, and a private group's tags are private. An expertise profile may count
evidence from groups the viewer cannot read, but must not *name* a topic the viewer could only
have learned from such a group: not on the profile, not in the directory, not to partners."""

from __future__ import annotations

from tests.conftest import Api
from tests.expertise.conftest import make_group, solved
from tests.federation.servers import PASSWORD, Node

SECRET_TAG = "zebracorn"


async def _secret_expert(admin: Api) -> tuple[Api, Api, Api]:
    """carol answered a question tagged SECRET_TAG in a private group; dave is outside it."""
    alice, bob = await admin.add_member("alice"), await admin.add_member("bob")
    carol, dave = await admin.add_member("carol"), await admin.add_member("dave")
    await make_group(alice, "secret-ops", "private", "bob", "carol")
    await make_group(alice, "finance", "org", "bob", "carol")
    await solved(bob, carol, "secret-ops", "Acquisition timing", [SECRET_TAG, "payroll"])
    await solved(bob, carol, "finance", "Cutoff date", ["payroll"])
    return bob, carol, dave


async def test_profile_does_not_name_a_private_groups_tag(admin: Api) -> None:
    bob, carol, dave = await _secret_expert(admin)
    status, seen_by_dave = await dave.get("/api/v1/members/carol/profile")
    assert status == 200
    assert SECRET_TAG not in str(seen_by_dave)
    # payroll has evidence dave may read: it is named, and the private part only counted.
    (payroll,) = [t for t in seen_by_dave["topics"] if t["topic"] == "payroll"]
    assert payroll["explanation"]["hidden"] == 1
    # Members of the group, and carol herself, still see the topic.
    for api in (bob, carol):
        status, seen = await api.get("/api/v1/members/carol/profile")
        assert SECRET_TAG in {t["topic"] for t in seen["topics"]}


async def _login(node: Node, username: str) -> str:
    status, body = await node.call(
        "POST", "/api/v1/sessions", {"username": username, "password": PASSWORD}
    )
    assert status == 201, body
    return body["token"]


async def test_shared_profile_sent_to_partners_names_no_private_tag(trio) -> None:
    a, b, _ = trio
    for name in ("alice", "bob", "carol"):
        await a.add_member(name)
    alice, bob, carol = [await _login(a, n) for n in ("alice", "bob", "carol")]
    for name, visibility in (("secret-ops", "private"), ("finance", "org")):
        doc = {"name": name, "title": name, "visibility": visibility}
        status, body = await a.call("POST", "/api/v1/groups", doc, alice)
        assert status == 201, body
        for who in ("bob", "carol"):
            path = f"/api/v1/groups/{name}/members/{who}"
            assert (await a.call("PUT", path, {"role": "member"}, alice))[0] == 200
    for group_name, tags in (("secret-ops", [SECRET_TAG, "payroll"]), ("finance", ["payroll"])):
        status, q = await a.call(
            "POST", f"/api/v1/groups/{group_name}/posts",
            {"kind": "question", "title": "Q", "body": "B", "tags": tags}, bob,
        )  # fmt: skip
        assert status == 201, q
        status, ans = await a.call("POST", f"/api/v1/posts/{q['id']}/replies", {"body": "A"}, carol)
        assert (await a.call("POST", f"/api/v1/posts/{ans['id']}/accept", None, bob))[0] == 200
    status, _ = await a.call(
        "PUT", "/api/v1/members/carol/profile", {"headline": "Payroll", "sharing": "partners"},
        carol,
    )  # fmt: skip
    assert status == 200
    async with a.services.db.read() as conn, conn.execute("SELECT body FROM deliveries") as cur:
        bodies = [r[0] for r in await cur.fetchall()]
    assert bodies and all("payroll" in body for body in bodies)
    assert not any(SECRET_TAG in body for body in bodies)
