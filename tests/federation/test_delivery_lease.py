"""One delivery run per receiving host, whatever supersedes what is on the wire.

Real servers on loopback, B behind a real aiohttp proxy (tests/federation/proxy.py) that
holds one POST to B's inbox until the test lets it go: an Update held on the wire while its
member unshares, and a second worker (as another server process would) running meanwhile.
The workers are driven with run_once; every wait is on a condition with a deadline.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest

from feedserver.federation import delivery, partners
from feedserver.federation.delivery import DeliveryWorker
from feedserver.store import federation_queue as queue_store

from .proxy import Proxy
from .servers import make_node, start
from .test_delivery import experts, share, unshare
from .test_delivery_order import label, members, queued
from .test_delivery_runs import until


@pytest.fixture
async def behind_proxy(aiohttp_server, tmp_path):
    """A and B partners (profiles in scope), B reached through a Proxy that holds the first
    profile Update."""
    a, b = make_node("a", 1, tmp_path), make_node("b", 2, tmp_path)
    proxy = Proxy(b.config.port, hold_first_update=True)
    await proxy.start(aiohttp_server)
    proxy.front(b)
    for node in (a, b):
        await start(node, aiohttp_server)
        node.fed.wake_worker.clear()  # the tests drive the workers
    code, _ = await partners.invite(a.services, profiles=True)
    await partners.accept(b.fed, code)
    return a, b, proxy


async def test_unsharing_while_an_update_is_held_on_the_wire_leaves_the_partner_without_it(
    behind_proxy,
):
    a, b, proxy = behind_proxy
    (alice,) = await members(a, "alice")
    await share(a, alice)
    first = asyncio.create_task(a.fed.worker.run_once())

    async def held():
        return proxy.holding

    await until(held)
    await unshare(a, alice)  # supersedes the Update being sent
    # Another worker (as in another server process: only the database is shared) finds B's
    # run still going and sends it nothing.
    assert await DeliveryWorker(a.fed).run_once() == 0
    assert proxy.log == []
    proxy.release.set()
    assert await first == 1

    async def drained():
        await a.fed.worker.run_once()
        return await queued(a) == []

    await until(drained)
    assert proxy.log == [
        "sent Update alice", "answered Update alice 202",
        "sent Delete alice", "answered Delete alice 202",
    ]  # fmt: skip
    assert await experts(b) == []  # B shows no profile of alice
    assert await a.count("delivery_leases") == 0


async def test_a_host_stays_held_by_its_run_until_released_or_expired(behind_proxy):
    """The host's lease, not its head row, keeps other runs out: the head being superseded
    (marked, not deleted) changes nothing; only its holder releases it early."""
    a, b, _ = behind_proxy
    alice, bob = await members(a, "alice", "bob")
    await share(a, alice)
    await share(a, bob)  # queued behind alice's, in the same host's queue
    now = a.services.clock()
    lease = now + delivery.LEASE
    async with a.services.db.write() as conn:
        claimed = await queue_store.claim_due(conn, now, lease, 50, 8, "first")
    await unshare(a, alice)
    rows = await queued(a)
    assert [r["activity_id"] for r in rows[:2]] == [d.activity_id for d in claimed]
    async with a.services.db.write() as conn:
        assert await queue_store.claim_due(conn, now, lease, 50, 8, "second") == []
        await queue_store.release_host(conn, b.host, "second")  # not its lease
        assert await queue_store.claim_due(conn, now, lease, 50, 8, "second") == []
        await queue_store.release(conn, [d.id for d in claimed])
        await queue_store.release_host(conn, b.host, "first")
        # Released: the superseded row goes, unsent; bob's Update, then alice's Delete.
        found = await queue_store.claim_due(conn, now, lease, 50, 8, "second")
    assert [label(json.loads(d.body)) for d in found] == ["Update bob", "Delete alice"]
    # A lease whose run died ends with its time.
    later = lease + timedelta(seconds=1)
    async with a.services.db.write() as conn:
        again = await queue_store.claim_due(conn, later, later + delivery.LEASE, 50, 8, "third")
    assert [d.id for d in again] == [d.id for d in found]


async def test_a_removed_partner_takes_its_lease_with_it(behind_proxy):
    a, b, _ = behind_proxy
    (alice,) = await members(a, "alice")
    await share(a, alice)
    now = a.services.clock()
    async with a.services.db.write() as conn:
        assert await queue_store.claim_due(conn, now, now + delivery.LEASE, 50, 8, "run")
    assert await a.count("delivery_leases") == 1
    assert await partners.remove(a.services, b.host)
    assert await a.count("delivery_leases") == 0
