"""A partner's member writes into our shared group under the write limit a local member has:
beyond it the host answers 429 with Retry-After and stores nothing; the member server's
delivery keeps the write and sends it again later, when it is taken. Three real servers."""

from __future__ import annotations

from datetime import timedelta

from feedserver.domain.rate_limit import TokenBucket

from .test_shared_group_flow import drain
from .test_shared_group_writes import a_posts, shared_group_with_bob_and_carol, titles


async def test_a_member_server_flooding_a_group_is_slowed_not_lost(trio):
    a, b, c = trio
    _, bob, _, address = await shared_group_with_bob_and_carol(a, b, c)
    ticks = [0.0]
    a.fed.partner_writes = TokenBucket(2, 1 / 60, clock=lambda: ticks[0])

    for n in range(3):
        status, _ = await b.call("POST", f"/api/v1/groups/{address}/posts",
                                 {"kind": "question", "title": f"Question {n}", "body": "?"},
                                 token=bob)  # fmt: skip
        assert status == 202
    await drain(a, b)

    taken = {title for _, title, *_ in await a_posts(a)}
    assert {"Question 0", "Question 1"} <= taken and "Question 2" not in taken
    async with b.services.db.read() as conn:
        waiting = await conn.execute_fetchall(
            "SELECT last_status, state FROM deliveries WHERE host = ?", (a.host,)
        )
    assert [tuple(r) for r in waiting] == [(429, "pending")]  # kept, to be sent again
    assert ("Question 2", "pending") in await titles(b, address, bob)

    ticks[0] += 60  # a token regained on A; B's retry falls due after A's Retry-After
    later = b.services.clock() + timedelta(seconds=b.config.delivery_max_backoff_seconds + 1)
    assert await b.fed.worker.run_once(later) == 1
    await drain(a, b)
    assert "Question 2" in {title for _, title, *_ in await a_posts(a)}
    assert ("Question 2", "accepted") in await titles(b, address, bob)
