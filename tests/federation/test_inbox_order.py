"""The receiver applies only newer state of each partner object, and a refused delivery's
signature is spent: a captured request replayed later resurrects nothing.

Real servers on loopback, B behind a real aiohttp proxy (tests/federation/proxy.py) that
keeps every POST to B's inbox exactly as A's worker signed and sent it; the attacker replays
one of those to B within the signature window.
"""

from __future__ import annotations

import json

import pytest

from feedserver.federation import partners

from .proxy import Proxy
from .servers import make_node, start
from .test_delivery import experts, share, unshare
from .test_delivery_order import members, queued


@pytest.fixture
async def captured(aiohttp_server, tmp_path):
    """A and B partners (profiles in scope), B behind a capturing Proxy."""
    a, b = make_node("a", 1, tmp_path), make_node("b", 2, tmp_path)
    proxy = Proxy(b.config.port)
    await proxy.start(aiohttp_server)
    proxy.front(b)
    for node in (a, b):
        await start(node, aiohttp_server)
        node.fed.wake_worker.clear()  # the tests drive the worker
    code, _ = await partners.invite(a.services, profiles=True)
    await partners.accept(b.fed, code)
    return a, b, proxy


async def drain(node) -> None:
    """Run the worker until nothing is queued (each pass as if the backoff had passed)."""
    for _ in range(5):
        await node.fed.worker.run_once(node.services.clock() + node.fed.worker.backoff(30))
        if await queued(node) == []:
            return
    raise AssertionError(f"still queued: {await queued(node)}")


async def summaries(node) -> list[str]:
    return [found["summary"] for found in await experts(node)]


@pytest.mark.parametrize("then", ["unshares", "edits"])
async def test_an_update_refused_while_b_was_down_replayed_after_what_superseded_it(captured, then):
    a, b, proxy = captured
    (alice,) = await members(a, "alice")
    proxy.down = True
    await share(a, alice, summary="old")
    assert await a.fed.worker.run_once() == 0  # B is down: 503, to be retried
    ((old_headers, old_body),) = proxy.captured
    proxy.down = False
    if then == "unshares":
        await unshare(a, alice)
    else:
        await share(a, alice, summary="new")
    await drain(a)
    expected = [] if then == "unshares" else ["new"]
    assert await summaries(b) == expected
    # The Update B never saw, replayed within the signature window: its signature is new to
    # B, its activity id too, but its object is older than the Delete (tombstone) or the
    # newer Update B holds.
    status, _, _ = await proxy.forward("POST", "/inbox", old_headers, old_body)
    assert status == 200  # accepted, changes nothing
    assert await summaries(b) == expected
    # Sharing again later is newer than the tombstone: it applies.
    await share(a, alice, summary="again")
    await drain(a)
    assert await summaries(b) == ["again"]


async def test_a_delete_replayed_after_a_newer_share_changes_nothing(captured):
    a, b, proxy = captured
    (alice,) = await members(a, "alice")
    await share(a, alice, summary="first")
    await drain(a)
    proxy.down = True
    await unshare(a, alice)
    assert await a.fed.worker.run_once() == 0
    delete_headers, delete_body = proxy.captured[-1]
    assert json.loads(delete_body)["type"] == "Delete"
    proxy.down = False
    await share(a, alice, summary="second")  # supersedes the Delete waiting in the queue
    await drain(a)
    assert await summaries(b) == ["second"]
    status, _, _ = await proxy.forward("POST", "/inbox", delete_headers, delete_body)
    assert status == 200 and await summaries(b) == ["second"]


async def test_a_refused_deliverys_signature_is_not_accepted_later(captured):
    """B refused a verified Update (its admin had narrowed the partnership); replayed once the
    scope is back, within the window, it is refused as a replay."""
    a, b, proxy = captured
    (alice,) = await members(a, "alice")
    async with b.services.db.write() as conn:
        await conn.execute("UPDATE partners SET profiles = 0 WHERE host = ?", (a.host,))
    await share(a, alice, summary="refused")
    await a.fed.worker.run_once()
    (headers, body) = proxy.captured[-1]
    assert proxy.log[-1].endswith("403")
    async with b.services.db.write() as conn:
        await conn.execute("UPDATE partners SET profiles = 1 WHERE host = ?", (a.host,))
    status, text, _ = await proxy.forward("POST", "/inbox", headers, body)
    assert status == 401 and b"replayed" in text
    assert await summaries(b) == []
