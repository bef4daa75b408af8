"""/metrics in the Prometheus text format (prometheus-client), for the addresses the
`metrics_allow` setting names (loopback by default); anyone else gets the same 404 as for
a path that does not exist.

Requests are labelled by route pattern (`/api/v1/posts/{id}`), never the raw path, so no
token, username or id ever becomes a label. Each app has its own registry: several apps in
one process (tests) never share counters.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_left
from collections.abc import Iterable

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from feedserver import appkeys
from feedserver.federation import partners
from feedserver.feeds.cache import FeedCache
from feedserver.http.sessions import client_address

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
FORWARDING_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")
UNMATCHED = "unmatched"  # a path no route knows: one label for all, whatever was asked


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = _RequestCollector()
        r.register(self.requests)
        self.db_write = Histogram(
            "feedserver_db_write_seconds",
            "Write transactions, from asking for the writer to the end of COMMIT",
            ["kind"], registry=r,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
        )  # fmt: skip
        self.inbox = Counter(
            "feedserver_inbox_activities",
            "Activities partner servers posted to the inbox, accepted or refused, by reason",
            ["outcome", "reason"], registry=r,
        )  # fmt: skip
        self.queue_depth = Gauge(
            "feedserver_delivery_queue_depth", "Deliveries waiting to be sent, per partner",
            ["partner"], registry=r,
        )  # fmt: skip
        self.delivery_failed = Gauge(
            "feedserver_delivery_failed",
            "Deliveries given up on (kept for admins to see), per partner", ["partner"],
            registry=r,
        )  # fmt: skip
        self.delivery_failing = Gauge(
            "feedserver_delivery_consecutive_failures",
            "Failed attempts in a row to reach the partner (0 when the last one worked)",
            ["partner"], registry=r,
        )  # fmt: skip

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.observe(route, method, status, seconds)

    def observe_db_write(self, kind: str, seconds: float) -> None:
        self.db_write.labels(kind).observe(seconds)

    def watch_feed_cache(self, cache: FeedCache) -> None:
        self.registry.register(_FeedCacheCollector(cache))


LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
_BOUNDS = [repr(float(b)) for b in LATENCY_BUCKETS] + ["+Inf"]  # as prometheus-client spells le


class _RequestCollector(Collector):
    """Requests by route pattern, method and status, and their latency by route pattern.

    Counted on every request, so counted in plain dicts on the event loop (which is the only
    thread that answers requests, and the one that scrapes): prometheus-client's labelled
    Counter and Histogram take a lock per increment, three per request, which cost more than
    the rest of a remembered feed answer. The families are built at scrape time, with the
    names, labels and buckets a Counter and a Histogram would have."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str, int], int] = {}
        # Per (route, method): a count per bucket (not cumulative; the last is +Inf), then
        # the sum of seconds.
        self._timings: dict[tuple[str, str], list[float]] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        self._counts[key] = self._counts.get(key, 0) + 1
        timing = self._timings.get((route, method))
        if timing is None:
            timing = self._timings[(route, method)] = [0.0] * (len(LATENCY_BUCKETS) + 2)
        timing[bisect_left(LATENCY_BUCKETS, seconds)] += 1
        timing[-1] += seconds

    def collect(self) -> Iterable[Metric]:
        requests = CounterMetricFamily(
            "feedserver_http_requests", "HTTP requests answered, by route pattern and status",
            labels=["route", "method", "status"],
        )  # fmt: skip
        for (route, method, status), count in list(self._counts.items()):
            requests.add_metric([route, method, str(status)], count)
        yield requests
        latency = HistogramMetricFamily(
            "feedserver_http_request_duration_seconds", "Time to answer, by route pattern",
            labels=["route", "method"],
        )  # fmt: skip
        for (route, method), timing in list(self._timings.items()):
            cumulative, buckets = 0.0, []
            for bound, in_bucket in zip(_BOUNDS, timing[:-1], strict=True):
                cumulative += in_bucket
                buckets.append((bound, cumulative))
            latency.add_metric([route, method], buckets, timing[-1])
        yield latency

    def describe(self) -> Iterable[Metric]:
        return []  # described at scrape time: nothing to check at registration


class _FeedCacheCollector(Collector):
    """Reads the feed cache's own counters at scrape time: nothing on the feed's hot path."""

    def __init__(self, cache: FeedCache) -> None:
        self.cache = cache

    def collect(self) -> Iterable[Metric]:
        hits = CounterMetricFamily(
            "feedserver_feed_cache_hits",
            "Feed requests answered from memory: 'answer' without the database at all,"
            " 'rendered' from cached bytes after the token and access checks",
            labels=["cache"],
        )
        hits.add_metric(["answer"], self.cache.answers.hits)
        hits.add_metric(["rendered"], self.cache.hits)
        yield hits
        yield CounterMetricFamily(
            "feedserver_feed_renders", "Feed pages rendered (cache misses)", self.cache.renders
        )


METRICS = web.AppKey("metrics", Metrics)


def route_label(request: web.Request) -> str:
    """The route's pattern: never the raw path (tokens and names live in paths)."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED


def parse_allowed(setting: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(part.strip(), strict=False) for part in setting.split(",")
            if part.strip()]  # fmt: skip


def _allowed(request: web.Request) -> bool:
    config = request.app[appkeys.CONFIG]
    trusted = {a.strip() for a in config.trusted_proxies.split(",") if a.strip()}
    # A request a proxy forwarded comes from whoever the proxy serves, however local the
    # proxy is: only a trusted proxy's word on the client counts, and then that client must
    # be allowed. Prometheus scrapes directly and sends none of these headers.
    if any(h in request.headers for h in FORWARDING_HEADERS) and request.remote not in trusted:
        return False
    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    return any(address in network for network in parse_allowed(config.metrics_allow))


async def metrics(request: web.Request) -> web.Response:
    if not _allowed(request):
        raise web.HTTPNotFound()
    found = request.app[METRICS]
    await _refresh_deliveries(request, found)
    return web.Response(
        body=generate_latest(found.registry), headers={"Content-Type": CONTENT_TYPE}
    )


async def _refresh_deliveries(request: web.Request, found: Metrics) -> None:
    """Queue depth and failures per partner, read at scrape time (one query)."""
    listed = await partners.list_partners(request.app[appkeys.SERVICES])
    for gauge in (found.queue_depth, found.delivery_failed, found.delivery_failing):
        gauge.clear()  # a removed partner's series goes
    for p in listed:
        found.queue_depth.labels(p.host).set(p.pending)
        found.delivery_failed.labels(p.host).set(p.failed)
        found.delivery_failing.labels(p.host).set(p.failures)
