"""The inbox's fast path keeps every check: concurrent deliveries share a group commit but
each is all or nothing; the in-memory key cache never outlives the database's word; a replay
is refused even after a restart."""

from __future__ import annotations

import asyncio
import json
import time

from feedserver.federation import partners
from feedserver.store.engine import open_engine

from .servers import start
from .test_inbox import counts, post, profile_update, signed_post


async def test_concurrent_deliveries_each_all_or_nothing(trio):
    a, b, _ = trio
    good = [signed_post(a, b, profile_update(a, f"user{n}", activity=f"g{n}")) for n in range(12)]
    bad = profile_update(a, "mallory", activity="bad")
    bad["object"]["summary"] = "altered after signing"  # the proof no longer verifies
    # A replay of the first good delivery, sent in the same burst.
    burst = [*good, signed_post(a, b, bad), good[0]]
    results = await asyncio.gather(*(post(b, h, body) for h, body in burst))
    statuses = [status for status, _, _ in results]
    assert sorted(statuses[:12] + [statuses[13]]) == [202] * 12 + [401]  # one of the twins
    assert statuses[12] == 422
    # Twelve profiles, twelve activities: the bad one and the replay left nothing behind,
    # even though they may have shared a transaction with good ones, but the bad one's
    # signature, spent (thirteen signatures).
    assert await counts(b) == [12, 12, 13]


async def test_key_removed_by_another_process_is_refused(trio):
    """The CLI (another process) removes A while B's inbox holds A's key in its cache."""
    a, b, _ = trio
    headers, body = signed_post(a, b, profile_update(a, activity="first"))
    assert (await post(b, headers, body))[0] == 202  # A's key is now cached by B
    other = open_engine(
        b.config.database_url, b.config.db_path, readers=1, synchronous="NORMAL"
    )  # as the CLI opens it
    await other.open()
    try:
        async with other.write() as conn:
            await conn.execute("DELETE FROM partners WHERE host = ?", (a.host,))
    finally:
        await other.close()
    before = await counts(b)
    status, content_type, text = await post(b, *signed_post(a, b, profile_update(a, "zed")))
    assert (status, content_type) == (403, "application/problem+json"), text
    assert json.loads(text)["type"] == "/problems/not-a-partner"
    # The cascade emptied profiles; no new rows but the refused signature, spent.
    assert await counts(b) == [0, before[1], before[2] + 1]


async def test_removed_partner_through_the_api_is_refused_at_once(trio):
    a, b, _ = trio
    assert (await post(b, *signed_post(a, b, profile_update(a, activity="1"))))[0] == 202
    assert await partners.remove(b.services, a.host)
    status, _, _ = await post(b, *signed_post(a, b, profile_update(a, activity="2")))
    assert status == 403


async def test_replay_refused_after_restart(trio, aiohttp_server):
    a, b, _ = trio
    headers, body = signed_post(a, b, profile_update(a, activity="r"), created=int(time.time()))
    assert (await post(b, headers, body))[0] == 202
    await b.server.close()
    await start(b, aiohttp_server)  # same data directory: a fresh, empty key cache
    before = await counts(b)
    status, _, text = await post(b, headers, body)
    assert status == 401 and "replayed" in text
    assert await counts(b) == before
