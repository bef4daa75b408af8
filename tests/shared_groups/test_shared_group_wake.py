"""A post in a shared group leaves for the member servers when it is written, not at the
delivery worker's next poll (an hour in these tests)."""

from __future__ import annotations

import asyncio

from tests.shared_groups.test_shared_group_flow import SECRET, drain, setup_group


async def _until(predicate, deadline: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    while not await predicate():
        assert loop.time() < end, "the post did not arrive before the deadline"
        await asyncio.sleep(0.05)


async def test_a_shared_post_wakes_the_delivery_worker(trio):
    a, b, c = trio
    alice, bob, _ = await setup_group(a, b, c)
    status, _ = await a.call("PUT", f"/api/v1/groups/payroll-pros/members/bob@{b.host}",
                             {"role": "member"}, token=alice)  # fmt: skip
    assert status == 200
    await drain(a, b, c)  # the group reaches B
    status, _ = await a.call("POST", "/api/v1/groups/payroll-pros/posts",
                             {"kind": "question", "title": SECRET, "body": "How?"},
                             token=alice)  # fmt: skip
    assert status == 201
    await _until(lambda: _has(b, "cached_posts"))
    assert await c.count("cached_posts") == 0


async def _has(node, table: str) -> bool:
    return bool(await node.count(table))
