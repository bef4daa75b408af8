"""Shared expertise profiles through the real API on three servers: A shares with B (its
partner, profiles in scope); C, not a partner, gets nothing."""

from __future__ import annotations

from .servers import PASSWORD


async def login(node, username):
    await node.add_member(username)
    status, body = await node.call(
        "POST", "/api/v1/sessions", {"username": username, "password": PASSWORD}
    )
    assert status == 201
    return body["token"]


PROFILE = {
    "headline": "Payroll lead",
    "field": "Finance",
    "team": "Secret project X",
    "topics": [{"topic": "payroll", "level": "expert"}],
}


async def directory(node, token, topic="payroll"):
    status, body = await node.call("GET", f"/api/v1/experts?topic={topic}", token=token)
    assert status == 200, body
    return body["items"]


async def test_shared_profile_found_on_partner_and_gone_when_unshared(trio):
    a, b, c = trio
    alice = await login(a, "alice")
    bob = await login(b, "bob")
    carol = await login(c, "carol")
    # Shared with the organization only: nothing leaves A.
    status, _ = await a.call("PUT", "/api/v1/members/alice/profile", dict(PROFILE, sharing="org"),
                             token=alice)  # fmt: skip
    assert status == 200 and await a.count("deliveries") == 0
    status, _ = await a.call("PUT", "/api/v1/members/alice/profile",
                             dict(PROFILE, sharing="partners"), token=alice)  # fmt: skip
    assert status == 200
    assert await a.fed.worker.run_once() == 1  # one delivery: B only
    (found,) = [e for e in await directory(b, bob) if e["status"] == "partner"]
    assert found["display_name"] == "Alice" and found["organization"] == "Org A"
    assert found["server"] == a.url and found["headline"] == "Payroll lead"
    assert "Secret project X" not in str(found)  # the team stays home
    assert await directory(c, carol) == []
    # Local entries say where people work too.
    await b.call("PUT", "/api/v1/members/bob/profile", dict(PROFILE, sharing="org"), token=bob)
    local = [e for e in await directory(b, bob) if e["status"] != "partner"]
    assert local and local[0]["organization"] == "Org B" and local[0]["server"] == b.url
    # She unshares: a Delete follows and B forgets her.
    await a.call("PUT", "/api/v1/members/alice/profile", dict(PROFILE, sharing="org"),
                 token=alice)  # fmt: skip
    assert await a.fed.worker.run_once() == 1
    assert [e for e in await directory(b, bob) if e["status"] == "partner"] == []


async def test_removed_partner_profiles_vanish_from_directory(trio):
    a, b, _ = trio
    alice = await login(a, "alice")
    bob = await login(b, "bob")
    await a.call("PUT", "/api/v1/members/alice/profile", dict(PROFILE, sharing="partners"),
                 token=alice)  # fmt: skip
    await a.fed.worker.run_once()
    assert len(await directory(b, bob)) == 1
    assert (await b.call("DELETE", f"/api/v1/admin/partners/{a.host}"))[0] == 200
    assert await directory(b, bob) == []


async def test_partner_without_profile_scope_gets_no_profiles(trio):
    from feedserver.federation import partners

    a, _, c = trio
    code, _ = await partners.invite(a.services, profiles=False)
    await partners.accept(c.fed, code)
    alice = await login(a, "alice")
    await a.call("PUT", "/api/v1/members/alice/profile", dict(PROFILE, sharing="partners"),
                 token=alice)  # fmt: skip
    status, queued = await a.call("GET", "/api/v1/admin/deliveries")
    hosts = {d["host"] for d in queued["items"]}
    assert c.host not in hosts and len(hosts) == 1
