"""Rendered feed pages, cached by (feed, validator, page) so a repeat renders nothing.

A key contains the page's validator (a digest of what the page shows), so a stale entry can
never be served, in this process or any other: after a change the new validator simply misses
and the old bytes age out of the LRU. Concurrent misses for one key
share one render. Per process and bounded in bytes; a restart only costs one render per feed.

`feed_cache_bytes` bounds both caches together: rendered pages (shared by every reader of a
group feed) take PAGES_SHARE of it, the remembered answers (one per exact URL, so per reader;
feed polls and API reads, http/api_answers.py) the rest. Each entry is counted with
ENTRY_OVERHEAD bytes on top of its bytes, for the Python objects that hold them.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from feedserver.feeds.atom import Rendered

CacheKey = tuple[str, str, str]  # (feed cache key, validator, page)
PAGES_SHARE = 0.75
ENTRY_OVERHEAD = 512  # the key, the tuple and the bytes objects' headers of one entry


class FeedCache:
    def __init__(self, max_bytes: int) -> None:
        pages = int(max_bytes * PAGES_SHARE)
        self.max_bytes = pages  # of rendered pages; the answers have the rest
        self._items: OrderedDict[CacheKey, Rendered] = OrderedDict()
        self._bytes = 0
        self._pending: dict[CacheKey, asyncio.Future[Rendered]] = {}
        self.renders = 0  # how many times a feed was rendered (tests and benchmarks read it)
        self.hits = 0
        self.answers = RecentAnswers(max_bytes - pages)

    @property
    def bytes(self) -> int:
        """What both caches hold, as counted against `feed_cache_bytes`."""
        return self._bytes + self.answers.bytes

    def get(self, key: CacheKey) -> Rendered | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
            self.hits += 1
        return found

    def put(self, key: CacheKey, rendered: Rendered) -> None:
        size = rendered.size + ENTRY_OVERHEAD
        if size > self.max_bytes:
            return
        if (old := self._items.pop(key, None)) is not None:
            self._bytes -= old.size + ENTRY_OVERHEAD
        self._items[key] = rendered
        self._bytes += size
        while self._bytes > self.max_bytes:
            _, evicted = self._items.popitem(last=False)
            self._bytes -= evicted.size + ENTRY_OVERHEAD

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


@dataclass(frozen=True, slots=True)
class Answer:
    """A feed response ready to send again: headers and the body with the reader's token."""

    generation: int
    etag: str
    newest: float  # POSIX time of the feed's newest change (its <updated>)
    body: bytes
    gzip: bytes  # the same body as a gzip member
    # What every response to it carries (validators, caching), made once by the HTTP layer
    # and copied per response; never changed in place.
    headers: dict[str, str]
    route: str  # the route pattern that made it, which metrics and logs name it by

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzip)


@dataclass(frozen=True, slots=True)
class JsonAnswer:
    """An API read's response ready to send again to the same bearer token (http/api_answers.py)."""

    generation: int
    body: bytes
    headers: dict[str, str]  # made once by the HTTP layer, copied per response
    route: str
    fresh_until: float  # POSIX time: past it, the token's use must be checked again

    @property
    def size(self) -> int:
        return len(self.body)


class RecentAnswers:
    """The last answer per exact feed URL (path and query, token included), or per bearer
    token and API URL (http/api_answers.py), tagged with the database's data version it was
    computed at (Database.data_version, which moves with a write committed by any process:
    another worker, the command line). While it has not moved, the same URL gets the same
    answer without a database round trip: the token check, the access decision and the
    version were all exact at that version. Bounded in bytes.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, Answer | JsonAnswer] = OrderedDict()
        self._bytes = 0
        self.hits = 0  # answers given without the database (tests and benchmarks read it)

    def get(self, url: str, generation: int, now: float = 0.0) -> Answer | JsonAnswer | None:
        """The answer remembered for `url` at `generation`; a JsonAnswer only before its
        `fresh_until` (`now`, POSIX time)."""
        found = self._items.get(url)
        if found is None or found.generation != generation:
            return None
        if isinstance(found, JsonAnswer) and now >= found.fresh_until:
            return None
        self._items.move_to_end(url)
        self.hits += 1
        return found

    @property
    def bytes(self) -> int:
        return self._bytes

    def put(self, url: str, answer: Answer | JsonAnswer) -> None:
        size = answer.size + len(url) + ENTRY_OVERHEAD
        if size > self.max_bytes:
            return
        if (old := self._items.pop(url, None)) is not None:
            self._bytes -= old.size + len(url) + ENTRY_OVERHEAD
        self._items[url] = answer
        self._bytes += size
        while self._bytes > self.max_bytes:
            evicted_url, evicted = self._items.popitem(last=False)
            self._bytes -= evicted.size + len(evicted_url) + ENTRY_OVERHEAD
