"""Faults and endings: B down while the group is busy converges once it is back, nothing
applied twice; a partnership that ends takes every copy and remote member with it."""

from __future__ import annotations

from datetime import timedelta

from feedserver.federation import partners
from tests.federation.servers import start
from tests.federation.test_inbox import post, signed_post

from .test_shared_group_flow import drain, setup_group


async def titles(node, address, token):
    status, body = await node.call("GET", f"/api/v1/groups/{address}/posts", token=token)
    assert status == 200, body
    return sorted(p["title"] for p in body["items"])


async def test_b_down_then_back_converges_once(trio, aiohttp_server):
    a, b, c = trio
    alice, bob, _ = await setup_group(a, b, c)
    await a.call("PUT", f"/api/v1/groups/payroll-pros/members/bob@{b.host}", {"role": "member"},
                 token=alice)  # fmt: skip
    await drain(a, b)
    await b.server.close()  # B is stopped while the group is busy
    ids = []
    for n in range(4):
        status, body = await a.call("POST", "/api/v1/groups/payroll-pros/posts",
                                    {"kind": "tip", "title": f"Tip {n}", "body": "x"},
                                    token=alice)  # fmt: skip
        ids.append(body["id"])
    await a.call("PATCH", f"/api/v1/posts/{ids[0]}", {"title": "Tip 0 edited"}, token=alice)
    await a.call("DELETE", f"/api/v1/posts/{ids[1]}", token=alice)
    now = a.services.clock()
    assert await a.fed.worker.run_once(now) == 0  # B is down: nothing delivered
    async with a.services.db.read() as conn, conn.execute("SELECT body FROM deliveries") as cur:
        queued = [row[0].encode() for row in await cur.fetchall()]
    await start(b, aiohttp_server)  # same port, same data directory
    later = now + timedelta(hours=2)
    delivered = await a.fed.worker.run_once(later)
    assert delivered == 6, (delivered, len(queued))
    assert await a.fed.worker.run_once(later + timedelta(hours=1)) == 0
    address = f"payroll-pros@{a.host}"
    assert await titles(b, address, bob) == ["Tip 0 edited", "Tip 2", "Tip 3"]
    applied = await b.count("inbox_activities")
    # Everything sent again under fresh signatures (a crash after sending, before recording
    # it): each is a duplicate, applied once only.
    assert len(queued) == 6
    for body in queued:
        status, _, _ = await post(b, *signed_post(a, b, None, body=body))
        assert status == 200
    assert await b.count("inbox_activities") == applied
    assert await titles(b, address, bob) == ["Tip 0 edited", "Tip 2", "Tip 3"]


async def test_partnership_ended_takes_the_copies(trio):
    a, b, c = trio
    alice, bob, _ = await setup_group(a, b, c)
    await a.call("PUT", f"/api/v1/groups/payroll-pros/members/bob@{b.host}", {"role": "member"},
                 token=alice)  # fmt: skip
    await drain(a, b)
    assert await b.count("cached_groups") == 1
    ended = await partners.end_partnership(a.fed, b.host)
    assert ended is not None and ended.told
    # B forgot A, and with it the group; A forgot B, and with it bob's membership.
    assert await b.count("cached_groups") == 0 and await b.count("cached_posts") == 0
    assert (await b.call("GET", f"/api/v1/groups/payroll-pros@{a.host}", token=bob))[0] == 404
    assert await a.count("remote_members") == 0 and await a.count("group_partners") == 0
    assert await a.count("group_copies") == 0
