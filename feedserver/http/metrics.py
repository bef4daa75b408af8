"""/metrics in the Prometheus text format (prometheus-client), for the addresses the
`metrics_allow` setting names (loopback by default); anyone else gets the same 404 as for
a path that does not exist.

Requests are labelled by route pattern (`/api/v1/posts/{id}`), never the raw path, so no
token, username or id ever becomes a label. Each app has its own registry: several apps in
one process (tests) never share counters.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, Metric
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
        self.requests = Counter(
            "feedserver_http_requests", "HTTP requests answered, by route pattern and status",
            ["route", "method", "status"], registry=r,
        )  # fmt: skip
        self.latency = Histogram(
            "feedserver_http_request_duration_seconds", "Time to answer, by route pattern",
            ["route", "method"], registry=r,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )  # fmt: skip
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
        # Route patterns, methods and statuses are few: this stays small.
        self._per_request: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """On every request: the labelled children are looked up once per label set and
        kept (labels() costs a lock and more than the increment itself)."""
        key = (route, method, status)
        found = self._per_request.get(key)
        if found is None:
            found = self._per_request[key] = (
                self.requests.labels(route, method, str(status)),
                self.latency.labels(route, method),
            )
        found[0].inc()
        found[1].observe(seconds)

    def observe_db_write(self, kind: str, seconds: float) -> None:
        self.db_write.labels(kind).observe(seconds)

    def watch_feed_cache(self, cache: FeedCache) -> None:
        self.registry.register(_FeedCacheCollector(cache))


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
