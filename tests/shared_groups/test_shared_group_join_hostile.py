"""Asking to join A's shared groups, against hostile or mistaken partners: a `Join` of a
group not shared with the sender, from a partner the group does not list, from a partner
without the groups scope, for an actor forged or unknown to its own server, or replayed, is
refused and stores nothing; the list of offered groups answers only groups partners, each
with its own groups."""

from __future__ import annotations

import asyncio
import time

from feedserver.federation import partners
from feedserver.federation.objects import OBJECT_CONTEXT
from tests.federation.servers import make_node, start
from tests.federation.test_inbox import post, signed_post

from .test_shared_group_flow import login
from .test_shared_group_joins import a_with_groups, offered

STORED = ("partner_join_requests", "notifications", "inbox_activities", "members")


async def stored(node):
    return [await node.count(t) for t in STORED]


def join(sender, group_url, actor, n, obj=None):
    return {
        "@context": OBJECT_CONTEXT, "id": f"{sender.url}/activities/join-{n}", "type": "Join",
        "actor": actor, "audience": group_url, "object": obj or group_url,
    }  # fmt: skip


async def test_hostile_joins_are_refused_and_store_nothing(trio):
    a, b, c = trio
    await a_with_groups(a, b, c)
    await login(b, "bob")
    await login(c, "cleo")
    url, bob = f"{a.url}/groups/payroll-pros", f"{b.url}/users/bob"
    before = await stored(a)
    refused = [
        # A group shared with C only, and a private one: not B's to ask about.
        (b, join(b, f"{a.url}/groups/c-only", bob, 1), 403),
        (b, join(b, f"{a.url}/groups/hush", bob, 2), 403),
        (b, join(b, f"{a.url}/groups/no-such-group", bob, 3), 403),
        # C, a groups partner the group does not list, for its own member.
        (c, join(c, url, f"{c.url}/users/cleo", 4), 403),
        # A forged actor: C signs for bob on B.
        (c, join(c, url, bob, 5) | {"id": f"{b.url}/activities/join-5"}, 403),
        # B signs for an actor its WebFinger does not know, or names another path.
        (b, join(b, url, f"{b.url}/users/ghost", 6), 403),
        (b, join(b, url, f"{b.url}/elsewhere/bob", 7), 422),
        # The group named as the audience but not as the object.
        (b, join(b, url, bob, 8, obj=f"{a.url}/groups/c-only"), 422),
    ]
    for n, (sender, activity, expected) in enumerate(refused):
        status, _, text = await post(a, *signed_post(sender, a, activity))
        assert status == expected, (n, text)
    assert await stored(a) == before
    # A genuine one is taken once; its replay (the same signature) is refused.
    headers, body = signed_post(b, a, join(b, url, bob, 9), created=int(time.time()))
    assert (await post(a, headers, body))[0] == 202
    after = await stored(a)
    assert after[0] == 1
    status, _, _ = await post(a, headers, body)
    assert status == 401 and await stored(a) == after
    # The same person again under a new signature and activity: no second request, and the
    # owners are not told again.
    assert (await post(a, *signed_post(b, a, join(b, url, bob, 10))))[0] == 202
    assert (await stored(a))[:2] == after[:2]


async def test_offered_groups_only_to_groups_partners_each_its_own(trio, aiohttp_server, tmp_path):
    a, b, c = trio
    await a_with_groups(a, b, c)
    bob, cleo = await login(b, "bob"), await login(c, "cleo")
    # Each partner sees the groups shared with it: B payroll-pros, C c-only; never hush.
    assert list(await offered(b, bob)) == [f"payroll-pros@{a.host}"]
    assert list(await offered(c, cleo)) == [f"c-only@{a.host}"]
    # Asking from B for C's group or a private one: not offered, nothing queued.
    queued = await b.count("deliveries")
    for name in ("c-only", "hush", "nothing-here"):
        status, _ = await b.call("POST", f"/api/v1/groups/{name}@{a.host}/join-requests",
                                 token=bob)  # fmt: skip
        assert status == 404
    assert await b.count("deliveries") == queued and await b.count("partner_join_asks") == 0
    # Unsigned: refused; signed by a partner without the groups scope (D): refused.
    status, _ = await a.call("GET", "/shared-groups", token=None, headers={})
    assert status in (401, 403)
    d = make_node("d", 4, tmp_path)
    await start(d, aiohttp_server)
    code, _ = await partners.invite(a.services, profiles=True)
    await partners.accept(d.fed, code)
    await asyncio.wait_for(a.fed.worker.idle.wait(), 60)
    reply = await d.fed.client.request("GET", f"{a.url}/shared-groups", [a.host])
    assert reply.status == 403 and b"payroll" not in reply.body
    dan = await login(d, "dan")
    status, body = await d.call("GET", "/api/v1/partner-groups", token=dan)
    assert status == 200 and body == {"items": [], "unreachable": []}
    before = await stored(a)
    status, _, _ = await post(
        a, *signed_post(d, a, join(d, f"{a.url}/groups/payroll-pros", f"{d.url}/users/dan", 1))
    )
    assert status == 403 and await stored(a) == before
