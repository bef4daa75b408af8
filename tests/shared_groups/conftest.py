from __future__ import annotations

import asyncio

import pytest

from feedserver.federation import partners
from tests.federation.servers import make_node, start


@pytest.fixture
async def trio(aiohttp_server, tmp_path):
    """A hosts groups; B and C are both A's partners with the groups scope (B is where the
    group's remote members live, C a partner the group is not shared with)."""
    a, b, c = (make_node(n, s, tmp_path) for n, s in (("a", 1), ("b", 2), ("c", 3)))
    for node in (a, b, c):
        await start(node, aiohttp_server)
    for other in (b, c):
        code, _ = await partners.invite(a.services, profiles=True, groups=True)
        await partners.accept(other.fed, code)
        await asyncio.wait_for(a.fed.worker.idle.wait(), 60)
    return a, b, c
