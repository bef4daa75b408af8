"""Asking to join a shared group from a member server: bob, on B, learns which of A's groups
are shared with B, asks to join one through B's API; A's owner or mentor sees the request and
approves it (bob gets the copy on B) or declines it (bob is told on B). Three real servers
on loopback."""

from __future__ import annotations

from .test_shared_group_flow import drain, login


async def a_with_groups(a, b, c):
    """On A: carol owns payroll-pros (shared with B), mona is its mentor and pete a plain
    member; c-only is shared with C only, and hush is private."""
    carol, mona, pete = [await login(a, who) for who in ("carol", "mona", "pete")]
    for name, partners, visibility in (
        ("payroll-pros", [b.host], "partners"),
        ("c-only", [c.host], "partners"),
        ("hush", [], "private"),
    ):
        group = {"name": name, "title": name.title(), "description": f"About {name}",
                 "visibility": visibility, "partners": partners}  # fmt: skip
        status, body = await a.call("POST", "/api/v1/groups", group, token=carol)
        assert status == 201, body
    for who, role in (("mona", "mentor"), ("pete", "member")):
        status, _ = await a.call("PUT", f"/api/v1/groups/payroll-pros/members/{who}",
                                 {"role": role}, token=carol)  # fmt: skip
        assert status == 200
    return carol, mona, pete


async def offered(node, token):
    status, body = await node.call("GET", "/api/v1/partner-groups", token=token)
    assert status == 200, body
    assert body["unreachable"] == []
    return {g["name"]: g for g in body["items"]}


async def requests_on_a(a, token, name="payroll-pros"):
    status, body = await a.call("GET", f"/api/v1/groups/{name}/join-requests", token=token)
    return status, [r["username"] for r in body["items"]] if status == 200 else body


async def kinds(node, token):
    status, body = await node.call("GET", "/api/v1/me/notifications", token=token)
    assert status == 200, body
    return [(n["kind"], n["text"]) for n in body["items"]]


async def test_bob_asks_on_b_and_carol_approves_on_a(trio):
    a, b, c = trio
    carol, mona, pete = await a_with_groups(a, b, c)
    bob = await login(b, "bob")
    address = f"payroll-pros@{a.host}"
    # B's members see the groups A shares with B, and nothing else of A's.
    groups = await offered(b, bob)
    assert list(groups) == [address]
    assert groups[address] == {"name": address, "title": "Payroll-Pros",
                               "description": "About payroll-pros", "host": a.host,
                               "state": None}  # fmt: skip
    # bob asks from B: pending on B, a request on A for its owners and mentors.
    status, body = await b.call("POST", f"/api/v1/groups/{address}/join-requests", token=bob)
    assert status == 202 and body == {"status": "requested"}
    assert (await offered(b, bob))[address]["state"] == "pending"
    await drain(a, b)
    bob_at_b = f"bob@{b.host}"
    assert await requests_on_a(a, carol) == (200, [bob_at_b])
    assert await requests_on_a(a, mona) == (200, [bob_at_b])
    assert ("join_request", f"{bob_at_b} asks to join Payroll-Pros") in await kinds(a, carol)
    assert ("join_request", f"{bob_at_b} asks to join Payroll-Pros") in await kinds(a, mona)
    assert [k for k, _ in await kinds(a, pete)] == []
    # Asking again changes nothing: one request, told once.
    status, _ = await b.call("POST", f"/api/v1/groups/{address}/join-requests", token=bob)
    assert status == 202
    await drain(a, b)
    assert await a.count("partner_join_requests") == 1
    assert [k for k, _ in await kinds(a, carol)].count("join_request") == 1
    # A plain member of the group may not see or decide requests; a non-member of it sees
    # no group at all.
    assert (await requests_on_a(a, pete))[0] == 403
    approve = f"/api/v1/groups/payroll-pros/join-requests/{bob_at_b}/approve"
    assert (await a.call("POST", approve, token=pete))[0] == 403
    dave = await login(a, "dave")
    assert (await requests_on_a(a, dave))[0] == 404
    assert (await a.call("POST", approve, token=dave))[0] == 404
    assert await a.count("remote_members") == 0
    # Nothing reached B yet: bob is not in the group there.
    assert (await b.call("GET", f"/api/v1/groups/{address}", token=bob))[0] == 404
    # carol approves: bob is a remote member, B holds the copy and shows it to him.
    assert (await a.call("POST", approve, token=carol))[0] == 204
    await drain(a, b, c)
    assert await requests_on_a(a, carol) == (200, [])
    status, body = await a.call("GET", "/api/v1/groups/payroll-pros/members", token=carol)
    assert {m["username"]: m["role"] for m in body["items"]}[bob_at_b] == "member"
    status, body = await b.call("GET", f"/api/v1/groups/{address}", token=bob)
    assert status == 200 and body["role"] == "member"
    assert (await offered(b, bob))[address]["state"] == "member"
    assert await b.count("partner_join_asks") == 0
    # Asked again as a member: refused on B, nothing sent.
    status, _ = await b.call("POST", f"/api/v1/groups/{address}/join-requests", token=bob)
    assert status == 409
    # C heard nothing of any of it.
    assert await c.count("cached_groups") == 0


async def test_mentor_approves_owner_declines_and_bob_is_told(trio):
    a, b, c = trio
    carol, mona, _ = await a_with_groups(a, b, c)
    bob, erin = await login(b, "bob"), await login(b, "erin")
    address = f"payroll-pros@{a.host}"
    for token in (bob, erin):
        status, _ = await b.call("POST", f"/api/v1/groups/{address}/join-requests", token=token)
        assert status == 202
    await drain(a, b)
    assert await requests_on_a(a, carol) == (200, [f"bob@{b.host}", f"erin@{b.host}"])
    # mona, a mentor, approves bob; carol declines erin.
    path = "/api/v1/groups/payroll-pros/join-requests"
    assert (await a.call("POST", f"{path}/bob@{b.host}/approve", token=mona))[0] == 204
    assert (await a.call("POST", f"{path}/erin@{b.host}/reject", token=carol))[0] == 204
    # Decided once: a second answer finds no request.
    assert (await a.call("POST", f"{path}/erin@{b.host}/approve", token=carol))[0] == 404
    await drain(a, b)
    assert (await b.call("GET", f"/api/v1/groups/{address}", token=bob))[0] == 200
    assert (await b.call("GET", f"/api/v1/groups/{address}", token=erin))[0] == 404
    # erin hears it on B, and sees it on the list; asking again is refused for a while,
    # on B and on A.
    told = await kinds(b, erin)
    assert told == [("join_declined",
                     f"Your request to join Payroll-Pros ({address}) was declined")]  # fmt: skip
    assert (await offered(b, erin))[address]["state"] == "declined"
    status, _ = await b.call("POST", f"/api/v1/groups/{address}/join-requests", token=erin)
    assert status == 409
    assert await kinds(b, bob) == []


async def test_bob_withdraws_his_pending_request(trio):
    a, b, c = trio
    carol, _, _ = await a_with_groups(a, b, c)
    bob = await login(b, "bob")
    address = f"payroll-pros@{a.host}"
    path = f"/api/v1/groups/{address}/join-requests"
    # Nothing to withdraw yet; a local group's request is not withdrawn this way.
    assert (await b.call("DELETE", path, token=bob))[0] == 404
    assert (await a.call("DELETE", "/api/v1/groups/payroll-pros/join-requests",
                         token=carol))[0] == 404  # fmt: skip
    assert (await b.call("POST", path, token=bob))[0] == 202
    await drain(a, b)
    assert await requests_on_a(a, carol) == (200, [f"bob@{b.host}"])
    assert (await b.call("DELETE", path, token=bob))[0] == 204
    assert (await offered(b, bob))[address]["state"] is None
    await drain(a, b)
    assert await requests_on_a(a, carol) == (200, [])
    assert await a.count("partner_join_requests") == 0
    # Approving it now finds nothing; bob may ask again, and that one is pending.
    approve = f"/api/v1/groups/payroll-pros/join-requests/bob@{b.host}/approve"
    assert (await a.call("POST", approve, token=carol))[0] == 404
    assert (await b.call("POST", path, token=bob))[0] == 202
    await drain(a, b)
    assert await requests_on_a(a, carol) == (200, [f"bob@{b.host}"])


async def test_a_join_the_host_will_not_take_is_marked_refused(trio):
    """carol adds bob directly, and bob asks from B before B hears of it (A's worker runs
    only when the test drives it): A refuses his Join (a member already), and B marks his
    ask refused when its delivery fails for good."""
    a, b, c = trio
    carol, _, _ = await a_with_groups(a, b, c)
    bob = await login(b, "bob")
    address = f"payroll-pros@{a.host}"
    status, _ = await a.call("PUT", f"/api/v1/groups/payroll-pros/members/bob@{b.host}",
                             {"role": "member"}, token=carol)  # fmt: skip
    assert status == 200
    assert (await b.call("POST", f"/api/v1/groups/{address}/join-requests", token=bob))[0] == 202
    await drain(a, b)
    async with b.services.db.read() as conn:
        found = await conn.execute_fetchall("SELECT state FROM partner_join_asks")
    assert [tuple(r) for r in found] == [("refused",)]
    assert await a.count("partner_join_requests") == 0
    assert (await offered(b, bob))[address]["state"] == "member"
