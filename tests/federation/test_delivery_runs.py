"""The app's own delivery worker serves each receiving host in a run of its own: a partner
that is slow to answer holds up only its own deliveries; a claim takes no more hosts than
the worker has room for; stopping the server cuts runs short and loses nothing.

Real servers on loopback and the worker loop the app runs (woken by its one-second poll);
a partner that must be slow is a small aiohttp inbox that answers only when the test lets
it, so nothing here depends on how fast the machine is.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import timedelta

import pytest

from feedserver.federation import delivery
from feedserver.models import Partner
from feedserver.store import federation as fed_store
from feedserver.store import federation_queue as queue_store

from .servers import make_node, start
from .test_delivery import share
from .test_delivery_order import FakePartner, label, members, queued


async def until(condition, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, "not within the time allowed"
        await asyncio.sleep(0.05)


@pytest.fixture
async def polling(aiohttp_server, tmp_path):
    """A, whose worker loop looks for due deliveries every second."""
    a = make_node("a", 1, tmp_path)
    a.config = replace(a.config, delivery_poll_seconds=1)
    return await start(a, aiohttp_server)


async def test_a_slow_partner_holds_up_only_its_own_deliveries(polling, aiohttp_server):
    a = polling
    gate = asyncio.Event()  # the slow partner answers once this is set
    slow = await FakePartner.on(a, aiohttp_server, [(202, {}, gate.wait)])
    fast = await FakePartner.on(a, aiohttp_server, [(202, {}, None)])
    alice, bob = await members(a, "alice", "bob")

    await share(a, alice)

    async def alice_sent():
        return len(slow.requests) == 1 and len(fast.accepted) == 1

    await until(alice_sent)
    # alice's Update is on the wire to the slow partner (and will be until the gate opens);
    # bob's, queued now, reaches the fast one anyway: its run does not wait for the slow one.
    await share(a, bob)

    async def bob_sent_to_fast():
        return [label(x) for x in fast.accepted] == ["Update alice", "Update bob"]

    await until(bob_sent_to_fast)
    assert slow.accepted == [] and len(slow.requests) == 1  # bob's waits behind alice's
    gate.set()

    async def all_sent():
        return [label(x) for x in slow.accepted] == ["Update alice", "Update bob"]

    await until(all_sent)
    assert await queued(a) == []


async def test_a_claim_takes_no_more_hosts_than_there_is_room_for(polling):
    a = polling
    a.fed.wake_worker.clear()  # the test claims; the app's loop must not
    now = a.services.clock()
    hosts = [f"p{i}.example:443" for i in range(3)]
    async with a.services.db.write() as conn:
        for i, host in enumerate(hosts):
            await fed_store.upsert_partner(
                conn, Partner(host, f"https://{host}", f"https://{host}/actor",
                              f"https://{host}/inbox", host, True, now),
            )  # fmt: skip
            for n in range(2):  # p2 has waited longest, then p1, then p0
                await queue_store.enqueue(
                    conn, id=f"d{i}{n}", host=host, activity_id=f"https://a.example/{i}/{n}",
                    body="{}", now=now - timedelta(minutes=10 * i) + timedelta(seconds=n),
                )  # fmt: skip
        claimed = await queue_store.claim_due(conn, now, now + delivery.LEASE, 50, 2, "run1")
        rest = await queue_store.claim_due(conn, now, now + delivery.LEASE, 50, 2, "run2")
    assert [d.id for d in claimed] == ["d20", "d21", "d10", "d11"]  # both rows of each
    assert [d.id for d in rest] == ["d00", "d01"]  # the hosts being sent to are skipped


async def test_stopping_cuts_a_run_short_and_loses_nothing(polling, aiohttp_server):
    a = polling
    never = asyncio.Event()
    slow = await FakePartner.on(a, aiohttp_server, [(202, {}, never.wait), (202, {}, None)])
    (alice,) = await members(a, "alice")
    await share(a, alice)

    async def on_the_wire():
        return len(slow.requests) == 1

    await until(on_the_wire)
    began = time.monotonic()
    await a.server.close()  # the app's cleanup stops the worker and the run it started
    assert time.monotonic() - began < a.config.fetch_timeout_seconds / 2
    await start(a, aiohttp_server)  # same data directory, same port
    (row,) = await queued(a)
    assert row["state"] == "pending" and slow.accepted == []
    # Its lease still runs (the run that held it may have been mid-send): once it ends, the
    # delivery goes out, once.
    await a.fed.worker.run_once(a.services.clock() + delivery.LEASE + timedelta(seconds=1))
    assert [label(x) for x in slow.accepted] == ["Update alice"]
    assert await queued(a) == []
