from __future__ import annotations

import asyncio

import pytest

from feedserver.federation import partners

from .servers import make_node, start


@pytest.fixture
async def trio(aiohttp_server, tmp_path):
    """A and B are partners (profiles in scope); C runs but is nobody's partner."""
    a, b, c = (make_node(n, s, tmp_path) for n, s in (("a", 1), ("b", 2), ("c", 3)))
    for node in (a, b, c):
        await start(node, aiohttp_server)
    code, _ = await partners.invite(a.services, profiles=True)
    await partners.accept(b.fed, code)
    # A's worker was woken by the handshake (backfill): let its pass end, so the tests' own
    # run_once() calls see every delivery they queue.
    await asyncio.wait_for(a.fed.worker.idle.wait(), 60)
    return a, b, c
