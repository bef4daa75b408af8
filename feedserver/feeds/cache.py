"""Rendered feed bytes, cached by (feed, version, page) so a repeat or a 304 renders nothing.

A key contains the version, so a stale entry can never be served: after a change the new
version simply misses and the old bytes age out of the LRU. Concurrent misses for one key
share one render. Per process and bounded in bytes; a restart only costs one render per feed.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from feedserver.feeds.atom import Rendered

CacheKey = tuple[str, str, str]  # (feed cache key, version, page)


class FeedCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[CacheKey, Rendered] = OrderedDict()
        self._bytes = 0
        self._pending: dict[CacheKey, asyncio.Future[Rendered]] = {}
        self.renders = 0  # how many times a feed was rendered (tests and benchmarks read it)
        self.hits = 0
        self.answers = RecentAnswers()

    def get(self, key: CacheKey) -> Rendered | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
            self.hits += 1
        return found

    def put(self, key: CacheKey, rendered: Rendered) -> None:
        if rendered.size > self.max_bytes:
            return
        if (old := self._items.pop(key, None)) is not None:
            self._bytes -= old.size
        self._items[key] = rendered
        self._bytes += rendered.size
        while self._bytes > self.max_bytes:
            _, evicted = self._items.popitem(last=False)
            self._bytes -= evicted.size

    async def get_or_render(
        self, key: CacheKey, render: Callable[[], Awaitable[Rendered]]
    ) -> Rendered:
        if (found := self.get(key)) is not None:
            return found
        if (pending := self._pending.get(key)) is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Rendered] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            rendered = await render()
            self.renders += 1
            self.put(key, rendered)
            future.set_result(rendered)
            return rendered
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters re-raise it, nobody else must
            raise
        finally:
            del self._pending[key]


class RecentAnswers:
    """The last answer per exact feed URL (path and query, token included), tagged with the
    database generation it was computed at. While no write has been committed since, the same
    URL gets the same answer without a database round trip: the token check, the access
    decision and the version were all exact at that generation. Bounded by count; the bytes
    are shared with FeedCache.
    """

    def __init__(self, max_items: int = 4096) -> None:
        self.max_items = max_items
        self._items: OrderedDict[str, tuple[int, str, Rendered]] = OrderedDict()
        self.hits = 0  # answers given without the database (tests and benchmarks read it)

    def get(self, url: str, generation: int) -> tuple[str, Rendered] | None:
        found = self._items.get(url)
        if found is None or found[0] != generation:
            return None
        self._items.move_to_end(url)
        self.hits += 1
        return found[1], found[2]

    def put(self, url: str, generation: int, etag: str, rendered: Rendered) -> None:
        self._items[url] = (generation, etag, rendered)
        self._items.move_to_end(url)
        while len(self._items) > self.max_items:
            self._items.popitem(last=False)
