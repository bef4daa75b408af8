"""A group hosted on A, shared with B: three real servers on loopback, everything through
the API; the copy on B is read by B's members in the group and by nobody else, anywhere."""

from __future__ import annotations

import asyncio
import json

from tests.federation.servers import PASSWORD

SECRET = "Quarterly payroll cutover runbook"


async def login(node, username):
    await node.add_member(username)
    status, body = await node.call(
        "POST", "/api/v1/sessions", {"username": username, "password": PASSWORD}
    )
    assert status == 201, body
    return body["token"]


async def drain(*nodes):
    """Run each server's delivery worker until nothing is due (a bounded number of passes).
    A post wakes the worker's own loop too: each pass waits until that loop is idle, so no
    host is held by a run of its while this one looks. A server's loop woken after its turn
    in a pass (B's own loop delivering a member's write to A, whose relay wakes A's loop)
    is not idle at the end of the pass, so the next pass waits for it."""
    for _ in range(10):
        sent = 0
        for node in nodes:
            await asyncio.wait_for(node.fed.worker.idle.wait(), 60)
            sent += await node.fed.worker.run_once()
        if not sent and all(node.fed.worker.idle.is_set() for node in nodes):
            return
    raise AssertionError("deliveries kept coming")


async def dump(node) -> str:
    """Every row of the tables a shared group could leave text in, as one string."""
    out = []
    async with node.services.db.read() as conn:
        for table in ("cached_groups", "cached_posts", "posts", "groups", "deliveries"):
            async with conn.execute(f"SELECT * FROM {table}") as cur:
                out += [json.dumps(list(row)) for row in await cur.fetchall()]
    return "\n".join(out)


async def setup_group(a, b, c):
    alice = await login(a, "alice")
    bob = await login(b, "bob")
    carol = await login(b, "carol")
    group = {"name": "payroll-pros", "title": "Payroll pros", "visibility": "partners",
             "partners": [b.host]}  # fmt: skip
    status, body = await a.call("POST", "/api/v1/groups", group, token=alice)
    assert status == 201, body
    assert body["partners"] == [b.host]
    return alice, bob, carol


async def test_partner_list_is_validated(trio):
    a, b, c = trio
    alice = await login(a, "alice")
    bad = {"name": "g1", "title": "G", "visibility": "partners", "partners": ["nobody.example"]}
    status, body = await a.call("POST", "/api/v1/groups", bad, token=alice)
    assert status == 422 and "nobody.example" in json.dumps(body)
    private = {"name": "g2", "title": "G", "visibility": "private", "partners": [b.host]}
    assert (await a.call("POST", "/api/v1/groups", private, token=alice))[0] == 422
    assert await a.count("groups") == 0
    # The admin API shows the scope.
    status, body = await a.call("GET", "/api/v1/admin/partners")
    assert status == 200 and {p["scopes"]["groups"] for p in body["items"]} == {True}


async def test_group_reaches_its_members_on_b_and_nobody_else(trio):
    a, b, c = trio
    alice, bob, carol = await setup_group(a, b, c)
    status, body = await a.call("PUT", f"/api/v1/groups/payroll-pros/members/bob@{b.host}",
                                {"role": "member"}, token=alice)  # fmt: skip
    assert status == 200 and body["username"] == f"bob@{b.host}"
    status, body = await a.call("POST", "/api/v1/groups/payroll-pros/posts",
                                {"kind": "question", "title": SECRET, "body": "How?",
                                 "tags": ["payroll"]}, token=alice)  # fmt: skip
    assert status == 201, body
    await drain(a, b, c)
    address = f"payroll-pros@{a.host}"
    # bob, on B, sees the group, its host and organization, and the question.
    status, body = await b.call("GET", "/api/v1/groups", token=bob)
    (shared,) = [g for g in body["items"] if g["name"] == address]
    assert shared["host"] == a.host and shared["organization"] == "Org A"
    status, body = await b.call("GET", f"/api/v1/groups/{address}", token=bob)
    assert status == 200 and body["title"] == "Payroll pros" and body["role"] == "member"
    status, body = await b.call("GET", f"/api/v1/groups/{address}/posts", token=bob)
    assert status == 200 and [p["title"] for p in body["items"]] == [SECRET]
    assert body["items"][0]["author"]["username"] == f"alice@{a.host}"
    # carol (B, not a member), B's admin, anonymous: 404 and no text of the group.
    for token in (carol, b.admin_token):
        status, body = await b.call("GET", "/api/v1/groups", token=token)
        assert status == 200 and address not in json.dumps(body)
        for path in (f"/api/v1/groups/{address}", f"/api/v1/groups/{address}/posts"):
            status, body = await b.call("GET", path, token=token)
            assert status == 404 and SECRET not in json.dumps(body)
    status, _ = await b.call("GET", f"/api/v1/groups/{address}", token="nope")
    assert status == 401
    # C, a partner of A the group is not shared with, received nothing.
    assert "payroll" not in await dump(c)
    assert await c.count("cached_groups") == 0
    # The members list on A names bob@B.
    status, body = await a.call("GET", "/api/v1/groups/payroll-pros/members", token=alice)
    assert f"bob@{b.host}" in [m["username"] for m in body["items"]]


async def test_ending_it_leaves_nothing_readable_on_b(trio):
    a, b, c = trio
    alice, bob, carol = await setup_group(a, b, c)
    for who in ("bob", "carol"):
        await a.call("PUT", f"/api/v1/groups/payroll-pros/members/{who}@{b.host}",
                     {"role": "member"}, token=alice)  # fmt: skip
    await a.call("POST", "/api/v1/groups/payroll-pros/posts",
                 {"kind": "question", "title": SECRET, "body": "How?"}, token=alice)  # fmt: skip
    await drain(a, b)
    address = f"payroll-pros@{a.host}"
    assert (await b.call("GET", f"/api/v1/groups/{address}", token=carol))[0] == 200
    # carol removed: B stops showing her the group, bob still sees it.
    status, _ = await a.call("DELETE", f"/api/v1/groups/payroll-pros/members/carol@{b.host}",
                             token=alice)  # fmt: skip
    assert status == 204
    await drain(a, b)
    assert (await b.call("GET", f"/api/v1/groups/{address}", token=carol))[0] == 404
    assert (await b.call("GET", f"/api/v1/groups/{address}", token=bob))[0] == 200
    # Narrowed to private: B is told and keeps nothing of it.
    status, _ = await a.call("PATCH", "/api/v1/groups/payroll-pros", {"visibility": "private"},
                             token=alice)  # fmt: skip
    assert status == 200
    await drain(a, b)
    assert (await b.call("GET", f"/api/v1/groups/{address}", token=bob))[0] == 404
    assert SECRET not in await dump(b)
    assert await b.count("cached_posts") == 0 and await b.count("cached_groups") == 0


async def test_last_member_removed_and_partner_dropped(trio):
    a, b, c = trio
    alice, bob, _ = await setup_group(a, b, c)
    await a.call("PUT", f"/api/v1/groups/payroll-pros/members/bob@{b.host}", {"role": "member"},
                 token=alice)  # fmt: skip
    await drain(a, b)
    assert await b.count("cached_groups") == 1
    # B taken off the partner list: its members go with it, and B's copy.
    status, body = await a.call("PATCH", "/api/v1/groups/payroll-pros", {"partners": []},
                                token=alice)  # fmt: skip
    assert status == 200 and body["partners"] == []
    await drain(a, b)
    assert await b.count("cached_groups") == 0
    status, body = await a.call("GET", "/api/v1/groups/payroll-pros/members", token=alice)
    assert [m["username"] for m in body["items"]] == ["alice"]


async def test_remote_members_resolve_by_signed_webfinger_only(trio):
    """bob shares no profile: anyone asking B's WebFinger gets 404, a groups partner's signed
    request finds him; a host the group is not shared with, or a missing user, is refused."""
    a, b, c = trio
    alice, bob, carol = await setup_group(a, b, c)
    status, _ = await b.call("GET", f"/.well-known/webfinger?resource=acct:bob@{b.host}")
    assert status == 404
    status, body = await a.call("PUT", f"/api/v1/groups/payroll-pros/members/nobody@{b.host}",
                                {"role": "member"}, token=alice)  # fmt: skip
    assert status == 404
    status, body = await a.call("PUT", f"/api/v1/groups/payroll-pros/members/carol@{c.host}",
                                {"role": "member"}, token=alice)  # fmt: skip
    assert status == 422 and c.host in json.dumps(body)
    assert await a.count("remote_members") == 0
    status, body = await a.call("PUT", f"/api/v1/groups/payroll-pros/members/bob@{b.host}",
                                {"role": "mentor"}, token=alice)  # fmt: skip
    assert status == 200 and body["role"] == "mentor"


async def test_access_matrix_on_a_and_c(trio):
    """On A the shared group reads like a private one to non-members; C's members (a partner
    the group is not shared with) see nothing of it on C."""
    a, b, c = trio
    alice, bob, _ = await setup_group(a, b, c)
    await a.call("PUT", f"/api/v1/groups/payroll-pros/members/bob@{b.host}", {"role": "member"},
                 token=alice)  # fmt: skip
    await a.call("POST", "/api/v1/groups/payroll-pros/posts",
                 {"kind": "question", "title": SECRET, "body": "How?"}, token=alice)  # fmt: skip
    await drain(a, b, c)
    dave = await login(a, "dave")
    erin = await login(c, "erin")
    for node, token in ((a, dave), (c, erin), (c, c.admin_token)):
        status, body = await node.call("GET", "/api/v1/groups", token=token)
        assert status == 200 and "payroll-pros" not in json.dumps(body)
        status, body = await node.call("GET", "/api/v1/search?q=Quarterly", token=token)
        assert status == 200 and SECRET not in json.dumps(body)
        for path in ("/api/v1/groups/payroll-pros", "/api/v1/groups/payroll-pros/posts",
                     f"/api/v1/groups/payroll-pros@{a.host}",
                     f"/api/v1/groups/payroll-pros@{a.host}/posts"):  # fmt: skip
            status, body = await node.call("GET", path, token=token)
            assert status == 404 and SECRET not in json.dumps(body), (node.name, path)
    # Pages too: nothing on any server for an outsider.
    for node, token in ((a, None), (b, None), (c, None)):
        status, body = await node.call("GET", f"/groups/payroll-pros@{a.host}", token=token)
        assert SECRET not in str(body)
    assert await c.count("cached_posts") == 0
