"""The durable delivery queue between real servers: profiles shared and unshared, a partner
that is down, restarts, retry policy, post proofs and key rotation."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from feedserver.federation import partners, profiles
from feedserver.federation.keys import public_key_from_multibase
from feedserver.federation.proofs import verify_object
from feedserver.models import Partner, Viewer
from feedserver.store import federation as fed_store
from feedserver.store import federation_objects as object_store

from .servers import start


async def share(node, member, topic="payroll", summary="cuts checks"):
    async with node.services.db.write() as conn:
        await profiles.share(conn, node.services, member, summary=summary, topics=[topic],
                             evidence={"accepted_answers": 2})  # fmt: skip


async def unshare(node, member):
    async with node.services.db.write() as conn:
        await profiles.unshare(conn, node.services, member)


async def experts(node, topic=None):
    viewer = Viewer(await _member(node, "reader"))
    return await profiles.partner_experts(node.services, viewer, topic)


async def _member(node, username):
    async with node.services.db.read() as conn:
        from feedserver.store import members as member_store

        found = await member_store.by_username(conn, username)
    return found or await node.add_member(username)


async def test_shared_profile_found_on_partner_then_gone(trio):
    a, b, c = trio
    alice = await a.add_member("alice")
    await share(a, alice)
    assert await a.fed.worker.run_once() == 1
    (found,) = await experts(b, "payroll")
    assert (found["name"], found["organization"], found["server"]) == ("Alice", "Org A", a.url)
    assert await experts(c) == []  # C is no partner: nothing was sent there
    await unshare(a, alice)
    assert await a.fed.worker.run_once() == 1
    assert await experts(b) == []
    # A removed partner's profiles vanish.
    await share(a, alice)
    await a.fed.worker.run_once()
    assert len(await experts(b)) == 1
    assert await partners.remove(b.services, a.host)
    assert await experts(b) == [] and await b.count("partner_keys") == 0


async def test_partner_down_queue_survives_restart_and_arrives_once(trio, aiohttp_server):
    a, b, _ = trio
    alice = await a.add_member("alice")
    await b.server.close()  # B is stopped
    await share(a, alice, summary="v1")
    await share(a, alice, summary="v2")
    now = a.services.clock()
    assert await a.fed.worker.run_once(now) == 0
    bob = await a.add_member("bob")
    await share(a, bob, summary="bob v1")
    now = a.services.clock()
    assert await a.fed.worker.run_once(now) == 0
    status, queued = await a.call("GET", "/api/v1/admin/deliveries?state=pending")
    # One pending profile Update per member and partner: alice's v2 replaced her v1 waiting in
    # the queue, bob's is his own.
    assert status == 200 and len(queued["items"]) == 2
    # First in, first out per host: alice's, the oldest, was tried and backs off; bob's waits
    # behind it, not tried.
    head, behind = sorted(queued["items"], key=lambda item: item["created_at"])
    assert head["attempts"] >= 1 and head["last_error"]
    assert head["next_attempt_at"] > now.isoformat()[:19]  # backed off
    assert behind["attempts"] == 0
    (health,) = (await a.call("GET", "/api/v1/admin/partners"))[1]["items"]
    assert health["health"]["pending"] == 2 and health["health"]["consecutive_failures"] >= 1
    # A restarts too: the queue is in the database, not in memory.
    await a.server.close()
    await start(a, aiohttp_server)
    await start(b, aiohttp_server)  # same port, same data directory
    assert await a.fed.worker.run_once(now) == 0  # not due yet: backoff holds
    assert await a.fed.worker.run_once(now + timedelta(hours=2)) == 2
    assert await a.fed.worker.run_once(now + timedelta(hours=3)) == 0
    assert await b.count("inbox_activities") == 2
    found = {x["name"]: x for x in await experts(b)}
    assert found["Alice"]["summary"] == "v2" and found["Bob"]["summary"] == "bob v1"
    (health,) = (await a.call("GET", "/api/v1/admin/partners"))[1]["items"]
    assert health["health"]["consecutive_failures"] == 0 and health["health"]["pending"] == 0


async def _fake_partner(node, aiohttp_server, responses):
    """A loopback server answering the inbox with the given (status, headers) in turn."""
    seen = []

    async def inbox(request):
        seen.append(await request.read())
        status, headers = responses[min(len(seen), len(responses)) - 1]
        return web.Response(status=status, headers=headers)

    app = web.Application()
    app.router.add_post("/inbox", inbox)
    server = await aiohttp_server(app)
    url = f"http://127.0.0.1:{server.port}"
    host = url.split("://")[1]
    async with node.services.db.write() as conn:
        fake = Partner(host, url, f"{url}/actor", f"{url}/inbox", "Fake", True,
                       node.services.clock())  # fmt: skip
        await fed_store.upsert_partner(conn, fake)
    return seen, host


async def test_retry_policy(trio, aiohttp_server):
    a, b, _ = trio
    await partners.remove(a.services, b.host)
    alice = await a.add_member("alice")
    seen, host = await _fake_partner(
        a, aiohttp_server, [(429, {"Retry-After": "3000"}), (503, {}), (202, {})]
    )
    await share(a, alice)
    now = a.services.clock()
    await a.fed.worker.run_once(now)
    (item,) = (await a.call("GET", "/api/v1/admin/deliveries"))[1]["items"]
    # Retry-After is honoured (up to delivery_max_backoff_seconds, 1 h).
    assert item["last_status"] == 429 and item["next_attempt_at"] >= (
        now + timedelta(seconds=3000)).isoformat()[:19]  # fmt: skip
    assert await a.fed.worker.run_once(now + timedelta(minutes=45)) == 0 and len(seen) == 1
    assert await a.fed.worker.run_once(now + timedelta(hours=3)) == 0  # 503: retried later
    assert await a.fed.worker.run_once(now + timedelta(hours=6)) == 1 and len(seen) == 3
    # A 4xx other than 408/429 is final and shown to admins; no retry.
    seen2, host2 = await _fake_partner(a, aiohttp_server, [(400, {})])
    await partners.remove(a.services, host)
    await share(a, alice)
    await a.fed.worker.run_once(now)
    await a.fed.worker.run_once(now + timedelta(days=1))
    assert len(seen2) == 1
    (failed,) = (await a.call("GET", "/api/v1/admin/deliveries?state=failed"))[1]["items"]
    assert failed["last_status"] == 400 and failed["host"] == host2


async def test_failing_host_paused_then_resumed_and_given_up_after_3_days(trio, aiohttp_server):
    a, b, _ = trio
    await partners.remove(a.services, b.host)
    alice = await a.add_member("alice")
    seen, host = await _fake_partner(a, aiohttp_server, [(500, {})] * 5 + [(202, {})])
    await share(a, alice)
    now = a.services.clock()
    for hour in range(5):
        await a.fed.worker.run_once(now + timedelta(hours=hour * 3))
    async with a.services.db.read() as conn:
        partner = await fed_store.partner(conn, host)
    assert partner.failures == 5 and partner.paused_until is not None
    # While paused nothing is sent, even when the delivery itself is due.
    await a.fed.worker.run_once(partner.paused_until - timedelta(seconds=1))
    assert len(seen) == 5
    assert await a.fed.worker.run_once(partner.paused_until + timedelta(hours=2)) == 1
    async with a.services.db.read() as conn:
        assert (await fed_store.partner(conn, host)).paused_until is None
    # A delivery still failing three days after it was queued is given up, visibly.
    await partners.remove(a.services, host)
    _, down = await _fake_partner(a, aiohttp_server, [(503, {})])
    await share(a, alice, summary="late")
    await a.fed.worker.run_once(now)
    assert (await a.call("GET", "/api/v1/admin/deliveries?state=failed"))[1]["items"] == []
    await a.fed.worker.run_once(now + timedelta(days=3, hours=1))
    (failed,) = (await a.call("GET", "/api/v1/admin/deliveries?state=failed"))[1]["items"]
    assert failed["host"] == down and "gave up" in failed["last_error"]


async def test_key_rotation_reaches_partner(trio):
    a, b, _ = trio
    new = await partners.rotate_keys(a.fed)
    assert await a.fed.worker.run_once() == 1  # the Update is signed with the old, pinned key
    _, actor = await a.call("GET", "/actor")
    assert {k["id"] for k in actor["assertionMethod"]} == {a.key_id, f"{a.url}/actor#{new}"}
    async with b.services.db.read() as conn:
        assert await fed_store.partner_key(conn, f"{a.url}/actor#{new}", b.services.clock())
    # Deliveries are now signed with the new key, and B accepts them.
    alice = await a.add_member("alice")
    await share(a, alice)
    assert await a.fed.worker.run_once() == 1
    assert public_key_from_multibase(
        next(k for k in actor["assertionMethod"] if k["id"].endswith(new))["publicKeyMultibase"]
    )


async def test_faq_pages_carry_a_proof_per_revision(trio):
    a, _, _ = trio
    from .servers import PASSWORD

    await a.add_member("alice")
    _, login = await a.call("POST", "/api/v1/sessions",
                            {"username": "alice", "password": PASSWORD})  # fmt: skip
    token = login["token"]
    await a.call("POST", "/api/v1/groups", {"name": "pay", "title": "Pay", "description": "",
                                            "visibility": "org"}, token=token)  # fmt: skip
    status, page = await a.call(
        "PUT",
        "/api/v1/groups/pay/pages/late-checks",
        {"title": "Late checks", "body": "File the form."},
        token=token,
    )
    assert status in (200, 201), page
    resolve = {a.key_id: a.key.public_key()}.get
    async with a.services.db.read() as conn, conn.execute("SELECT page_id FROM page_objects") as c:
        (page_id,) = [r[0] for r in await c.fetchall()]
    async with a.services.db.read() as conn:
        obj = await object_store.page_object(conn, page_id)
    assert obj["type"] == "Article" and verify_object(obj, resolve) == a.key_id
    await a.call(
        "PUT",
        "/api/v1/groups/pay/pages/late-checks",
        {"title": "Late checks", "body": "File form B.", "base_revision": 1},
        token=token,
    )
    async with a.services.db.read() as conn:
        obj2 = await object_store.page_object(conn, page_id)
    assert obj2["feedserver:revision"] == 2 and verify_object(obj2, resolve)
