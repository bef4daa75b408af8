"""Groups: roles, membership, join requests, and the at-least-one-owner rule."""

from __future__ import annotations

from tests.conftest import Api


async def _group(owner: Api, name: str = "ops", visibility: str = "private") -> None:
    status, body = await owner.post(
        "/api/v1/groups", {"name": name, "title": name.title(), "visibility": visibility}
    )
    assert status == 201, body


async def test_private_join_request_is_approved_by_a_mentor(admin: Api) -> None:
    alice = await admin.add_member("alice")
    bob = await admin.add_member("bob")
    mia = await admin.add_member("mia")
    await _group(alice)
    assert (await alice.put("/api/v1/groups/ops/members/mia", {"role": "mentor"}))[0] == 200

    status, body = await bob.post("/api/v1/groups/ops/join-requests")
    assert (status, body) == (202, {"status": "requested"})
    # Same answer for a group that does not exist: a join request reveals no private name.
    assert await bob.post("/api/v1/groups/no-such-group/join-requests") == (202, body)
    assert (await bob.get("/api/v1/groups/ops"))[0] == 404

    status, pending = await mia.get("/api/v1/groups/ops/join-requests")
    assert status == 200 and [r["username"] for r in pending["items"]] == ["bob"]
    assert (await bob.get("/api/v1/groups/ops/join-requests"))[0] == 404
    status, _ = await mia.post("/api/v1/groups/ops/join-requests/bob/approve")
    assert status == 204
    status, group = await bob.get("/api/v1/groups/ops")
    assert status == 200 and group["role"] == "member"
    assert (await mia.post("/api/v1/groups/ops/join-requests/bob/approve"))[0] == 404


async def test_org_group_is_joined_at_once(admin: Api) -> None:
    alice = await admin.add_member("alice")
    bob = await admin.add_member("bob")
    await _group(alice, "all-hands", "org")
    status, group = await bob.get("/api/v1/groups/all-hands")
    assert status == 200 and group["role"] is None and group["permissions"]["join"] is True
    assert await bob.post("/api/v1/groups/all-hands/join-requests") == (201, {"status": "joined"})
    status, group = await bob.get("/api/v1/groups/all-hands")
    assert group["role"] == "member"


async def test_only_owners_manage_and_one_owner_stays(admin: Api) -> None:
    alice = await admin.add_member("alice")
    bob = await admin.add_member("bob")
    await admin.add_member("carol")
    await _group(alice)
    assert (await alice.put("/api/v1/groups/ops/members/bob", {"role": "member"}))[0] == 200
    status, body = await bob.put("/api/v1/groups/ops/members/carol", {"role": "member"})
    assert status == 403 and body["type"] == "/problems/forbidden"
    status, body = await alice.put("/api/v1/groups/ops/members/alice", {"role": "member"})
    assert status == 409
    assert (await alice.delete("/api/v1/groups/ops/members/alice"))[0] == 409
    assert (await alice.put("/api/v1/groups/ops/members/bob", {"role": "owner"}))[0] == 200
    assert (await alice.delete("/api/v1/groups/ops/members/alice"))[0] == 204
    assert (await alice.get("/api/v1/groups/ops"))[0] == 404
    status, members = await bob.get("/api/v1/groups/ops/members")
    assert [(m["username"], m["role"]) for m in members["items"]] == [("bob", "owner")]
    assert (await bob.put("/api/v1/groups/ops/members/nobody", {"role": "member"}))[0] == 404


async def test_group_names_are_unique_and_checked(admin: Api) -> None:
    alice = await admin.add_member("alice")
    await _group(alice)
    status, body = await alice.post("/api/v1/groups", {"name": "ops", "title": "Again"})
    assert status == 409 and body["type"] == "/problems/conflict"
    status, body = await alice.post("/api/v1/groups", {"name": "Bad Name!", "title": "x"})
    assert status == 422 and body["errors"][0]["field"] == "name"


async def test_group_list_is_paged_with_link_header(admin: Api) -> None:
    alice = await admin.add_member("alice")
    for n in range(5):
        await _group(alice, f"g{n}")
    seen: list[str] = []
    path = "/api/v1/groups?limit=2"
    while path:
        async with alice.client.get(
            path, headers={"Authorization": f"Bearer {alice.token}"}
        ) as resp:
            body = await resp.json()
            seen += [g["name"] for g in body["items"]]
            link = resp.headers.get("Link")
            assert (link is None) == (body["next"] is None)
            path = link.split(">")[0][1:] if link else ""
    assert seen == [f"g{n}" for n in range(5)]


async def test_owner_narrows_visibility_and_it_hides_everywhere(admin: Api) -> None:
    alice = await admin.add_member("alice")
    bob = await admin.add_member("bob")
    await _group(alice, "open-door", "org")
    status, post = await alice.post(
        "/api/v1/groups/open-door/posts",
        {"kind": "tip", "title": "Marmalade procedure", "body": "Ask Paddington."},
    )
    assert status == 201
    status, found = await bob.get("/api/v1/search", params={"q": "marmalade"})
    assert len(found["items"]) == 1

    status, body = await bob.patch("/api/v1/groups/open-door", {"visibility": "private"})
    assert status == 403  # bob may read, not manage
    status, body = await alice.patch("/api/v1/groups/open-door", {"nonsense": 1})
    assert status == 422
    status, group = await alice.patch(
        "/api/v1/groups/open-door", {"visibility": "private", "title": "Closed door"}
    )
    assert status == 200 and group["visibility"] == "private" and group["title"] == "Closed door"

    assert (await bob.get("/api/v1/groups/open-door"))[0] == 404
    assert (await bob.get(f"/api/v1/posts/{post['id']}"))[0] == 404
    status, found = await bob.get("/api/v1/search", params={"q": "marmalade"})
    assert found["items"] == []
    status, listed = await bob.get("/api/v1/groups")
    assert listed["items"] == []
    # ...and the group does not exist for him, so he cannot change it back either.
    assert (await bob.patch("/api/v1/groups/open-door", {"visibility": "org"}))[0] == 404
