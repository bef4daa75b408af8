"""The member side against hostile partners: a group only its host may speak for, objects
only their server signs, older state and replays change nothing; each refusal stores
nothing."""

from __future__ import annotations

import time

from feedserver.federation import partners
from feedserver.federation.objects import OBJECT_CONTEXT
from feedserver.federation.proofs import sign_object
from tests.federation.test_inbox import post, signed_post

from .test_shared_group_flow import SECRET, drain, login, setup_group

TABLES = ("cached_groups", "cached_group_members", "cached_posts", "inbox_activities")


async def counts(node):
    return [await node.count(t) for t in TABLES]


def group_update(host_node, url, version, members, n):
    obj = {
        "@context": OBJECT_CONTEXT, "id": url, "type": "Group",
        "preferredUsername": url.rsplit("/", 1)[1], "name": "Payroll pros", "summary": "",
        "feedserver:version": version, "feedserver:members": members,
    }  # fmt: skip
    return {
        "@context": OBJECT_CONTEXT, "id": f"{url}#activity-x{n}", "type": "Update",
        "actor": f"{host_node.url}/actor", "audience": url,
        "object": sign_object(obj, host_node.key, host_node.key_id),
    }  # fmt: skip


def create_post(sender, url, obj_id, key_node, n, title=SECRET):
    obj = {
        "@context": OBJECT_CONTEXT, "id": obj_id, "type": "Question",
        "attributedTo": f"{url.split('/groups/')[0]}/users/alice", "audience": url,
        "content": f"<p>{title}</p>", "name": title, "published": "2026-01-01T00:00:00Z",
        "updated": "2026-01-01T00:00:00Z", "feedserver:kind": "question",
    }  # fmt: skip
    return {
        "@context": OBJECT_CONTEXT, "id": f"{url}#activity-p{n}", "type": "Create",
        "actor": f"{sender.url}/actor", "audience": url,
        "object": sign_object(obj, key_node.key, key_node.key_id),
    }  # fmt: skip


async def test_hostile_partners_are_refused_and_nothing_is_stored(trio):
    a, b, c = trio
    alice, bob, _ = await setup_group(a, b, c)
    await a.call("PUT", f"/api/v1/groups/payroll-pros/members/bob@{b.host}", {"role": "member"},
                 token=alice)  # fmt: skip
    await drain(a, b)
    url = f"{a.url}/groups/payroll-pros"
    # C partners with B too (groups in scope), then turns hostile.
    code, _ = await partners.invite(b.services, profiles=False, groups=True)
    await partners.accept(c.fed, code)
    before = await counts(b)
    me = [{"actor": f"{b.url}/users/bob", "role": "owner"}]
    # C speaks for A's group: refused (a partner speaks only for the groups it hosts).
    status, _, _ = await post(b, *signed_post(c, b, group_update(c, url, 99, me, 1)))
    assert status == 403
    # C hosts nothing we hold: a post "in" its own group of that name is refused.
    own = f"{c.url}/groups/payroll-pros"
    status, _, _ = await post(b, *signed_post(c, b, create_post(c, own, f"{c.url}/posts/1", c, 2)))
    assert status == 422
    # A's object forged by C, delivered by C: refused.
    forged = create_post(c, url, f"{a.url}/posts/forged", c, 3)
    status, _, _ = await post(b, *signed_post(c, b, forged))
    assert status == 403
    # A post claiming A's id but proven by C's key, sent by A's key: the proof fails.
    forged = create_post(a, url, f"{a.url}/posts/forged", c, 4)
    status, _, _ = await post(b, *signed_post(a, b, forged))
    assert status in (403, 422)
    assert await counts(b) == before
    # A genuine one, then its replay (same signature): applied once, the replay refused.
    genuine = create_post(a, url, f"{a.url}/posts/genuine", a, 5, title="Genuine")
    headers, body = signed_post(a, b, genuine, created=int(time.time()))
    assert (await post(b, headers, body))[0] == 202
    after = await counts(b)
    status, _, _ = await post(b, headers, body)
    assert status in (401, 403) and await counts(b) == after
    # Older state of the group (a lower version, bob not in it) changes nothing.
    status, _, _ = await post(b, *signed_post(a, b, group_update(a, url, 0, [], 6)))
    assert status == 202
    assert (await b.call("GET", f"/api/v1/groups/payroll-pros@{a.host}", token=bob))[0] == 200


async def test_partner_without_groups_scope_sends_no_group(trio):
    a, b, c = trio
    # A partnership made without the groups scope (B and C): C's groups are refused at B.
    code, _ = await partners.invite(b.services, profiles=True)
    await partners.accept(c.fed, code)
    bob = await login(b, "bob")
    url = f"{c.url}/groups/pay"
    members = [{"actor": f"{b.url}/users/bob", "role": "member"}]
    status, _, _ = await post(b, *signed_post(c, b, group_update(c, url, 1, members, 1)))
    assert status == 403
    assert await b.count("cached_groups") == 0
    status, body = await b.call("GET", "/api/v1/groups", token=bob)
    assert c.host not in str(body)


async def test_hostile_b_cannot_write_into_a(trio):
    """Writes from member servers are not accepted yet: whatever B sends into A's group, as
    bob (a member), as a non-member or as A, is refused; nothing is stored or relayed."""
    a, b, c = trio
    alice, bob, _ = await setup_group(a, b, c)
    await a.call("PUT", f"/api/v1/groups/payroll-pros/members/bob@{b.host}", {"role": "member"},
                 token=alice)  # fmt: skip
    await drain(a, b, c)
    url = f"{a.url}/groups/payroll-pros"
    before = (
        await a.count("posts"),
        await a.count("deliveries"),
        await a.count("inbox_activities"),
    )
    as_bob = create_post(b, url, f"{b.url}/posts/x1", b, 7)
    as_bob["object"]["attributedTo"] = f"{b.url}/users/bob"
    for n, activity in enumerate((as_bob, create_post(b, url, f"{a.url}/posts/x2", b, 8),
                                  group_update(b, url, 99, [], 9))):  # fmt: skip
        status, _, text = await post(a, *signed_post(b, a, activity))
        assert status == 403, (n, text)
    after = (await a.count("posts"), await a.count("deliveries"), await a.count("inbox_activities"))
    assert after == before
    assert await c.count("cached_posts") == 0 and await c.count("inbox_activities") == 0
