"""`feed_cache_bytes` is the bound of everything the feed caches hold, rendered pages and
remembered answers together, counted independently of the caches' own bookkeeping: every
byte string they keep. Before: each of the two caches took the whole setting."""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from typing import Any

import pytest

from feedserver.config import Config
from tests.conftest import Api
from tests.feeds.conftest import cache, feed_urls, fetch, new_post

BOUND = 60_000
TAGS = 24


@pytest.fixture
def config(config: Config) -> Config:
    return replace(config, feed_cache_bytes=BOUND)


def _held(value: Any) -> int:
    """Bytes of every byte and text string reachable from a cached value."""
    if isinstance(value, bytes | str):
        return len(value)
    if isinstance(value, tuple | list):
        return sum(_held(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(_held(getattr(value, f.name)) for f in dataclasses.fields(value))
    return 0


async def test_both_feed_caches_together_hold_to_the_configured_bytes(admin: Api, client) -> None:
    alice = await admin.add_member("alice")
    assert (await alice.post("/api/v1/groups", {"name": "pay", "title": "Pay"}))[0] == 201
    words = " ".join(f"word{n}" for n in range(400))  # ~3.5 kB a body: pages of a few kB
    for n in range(TAGS):
        await new_post(alice, "pay", f"Post {n}", body=f"{words} {n}", tags=[f"tag-{n}"])
    for n in range(TAGS):
        url = (await feed_urls(alice, tag=f"tag-{n}"))["tags"][0]["url"]
        for encoding in ("identity", "gzip"):
            status, _, _ = await fetch(client, url, **{"Accept-Encoding": encoding})
            assert status == 200
    feeds = cache(client)
    pages = [(key, rendered) for key, rendered in feeds._items.items()]
    answers = list(feeds.answers._items.items())
    assert pages and answers  # both caches are in use, and full: more was fetched than fits
    assert feeds.renders == TAGS and feeds.renders > len(pages)
    held = _held(pages) + _held(answers)
    assert held <= BOUND, (held, BOUND)
    assert feeds.bytes <= BOUND
