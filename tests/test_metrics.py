"""/metrics: Prometheus text from prometheus-client, labelled by route pattern (no path, id,
username or token ever appears), with feed cache hits and database write latency; only the
addresses `metrics_allow` names may read it, everyone else (a proxied request included) gets
the same 404 as an unknown path."""

from __future__ import annotations

from dataclasses import replace

from prometheus_client.parser import text_string_to_metric_families
from yarl import URL

from feedserver.app import create_app
from tests.conftest import Api


async def _scrape(api: Api, **headers: str) -> tuple[int, str]:
    async with api.client.get("/metrics", headers=headers) as resp:
        return resp.status, await resp.text()


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_metrics_by_route_pattern_with_cache_hits_and_write_latency(admin: Api) -> None:
    status, _ = await admin.post("/api/v1/groups", {"name": "metered", "title": "M"})
    assert status == 201
    status, post = await admin.post(
        "/api/v1/groups/metered/posts", {"kind": "note", "title": "t", "body": "b"}
    )
    assert status == 201
    status, _ = await admin.get(f"/api/v1/posts/{post['id']}")
    assert status == 200
    status, _ = await admin.get("/api/v1/posts/NOSUCHPOST0000000000000000")
    assert status == 404
    status, feeds = await admin.get("/api/v1/me/feeds")
    feed = URL(feeds["home"]).path_qs
    for _ in range(3):
        async with admin.client.get(feed) as resp:
            assert resp.status == 200
    async with admin.client.get("/no/such/path/admin") as resp:
        assert resp.status == 404
    await admin.add_member("zeppelin")
    status, _ = await admin.get("/api/v1/members/zeppelin")
    assert status == 200

    status, text = await _scrape(admin)
    assert status == 200
    found = _samples(text)
    route = "/api/v1/posts/{id}"
    ok = ("feedserver_http_requests_total",
          (("method", "GET"), ("route", route), ("status", "200")))  # fmt: skip
    missing = ("feedserver_http_requests_total",
               (("method", "GET"), ("route", route), ("status", "404")))  # fmt: skip
    assert found[ok] == 1 and found[missing] == 1
    assert found[("feedserver_http_request_duration_seconds_count",
                  (("method", "GET"), ("route", route)))] == 2  # fmt: skip
    assert found[("feedserver_http_requests_total",
                  (("method", "GET"), ("route", "unmatched"), ("status", "404")))] == 1  # fmt: skip
    # Three fetches of one feed URL: one render, then answers from memory.
    assert found[("feedserver_feed_renders_total", ())] >= 1
    hits = sum(v for (n, _), v in found.items() if n == "feedserver_feed_cache_hits_total")
    assert hits >= 2
    writes = found[("feedserver_db_write_seconds_count", (("kind", "transaction"),))]
    assert writes >= 2  # the group and the post, at least
    # Nothing that identifies a member, a post or a secret.
    token = URL(feeds["home"]).query["token"]
    for secret in (post["id"], token, admin.token, "zeppelin", "/no/such/path"):
        assert secret not in text


async def test_metrics_refused_to_addresses_not_allowed(aiohttp_client, config) -> None:
    """The test client connects from 127.0.0.1: allowed by default, not when the setting
    names only another network; and a proxied request is never the proxy's own."""
    client = await aiohttp_client(create_app(config))
    async with client.get("/metrics") as resp:
        assert resp.status == 200
    async with client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}) as resp:
        assert resp.status == 404
    async with client.get("/metrics", headers={"Forwarded": "for=127.0.0.1"}) as resp:
        assert resp.status == 404
    elsewhere = await aiohttp_client(create_app(replace(config, metrics_allow="10.0.0.0/8")))
    async with elsewhere.get("/metrics") as resp:
        assert resp.status == 404
        assert "feedserver" not in await resp.text()
    # Behind a trusted proxy, the client the proxy names must be allowed.
    proxied = await aiohttp_client(
        create_app(replace(config, trusted_proxies="127.0.0.1", metrics_allow="10.0.0.0/8"))
    )
    async with proxied.get("/metrics", headers={"X-Forwarded-For": "10.1.2.3"}) as resp:
        assert resp.status == 200
    async with proxied.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}) as resp:
        assert resp.status == 404


async def test_inbox_refusals_are_counted_by_reason(admin: Api) -> None:
    async with admin.client.post(
        "/inbox", data=b"{}", headers={"Content-Type": "application/activity+json"}
    ) as resp:
        assert resp.status == 401
    _, text = await _scrape(admin)
    found = _samples(text)
    key = ("feedserver_inbox_activities_total",
           (("outcome", "refused"), ("reason", "signature-rejected")))  # fmt: skip
    assert found[key] == 1


async def test_every_response_carries_a_request_id(admin: Api) -> None:
    async with admin.client.get("/api/v1/me") as resp:
        first = resp.headers["X-Request-Id"]
    async with admin.client.get("/api/v1/me") as resp:
        assert resp.headers["X-Request-Id"] != first
    async with admin.client.get("/healthz", headers={"X-Request-Id": "nginx-0123456789"}) as resp:
        assert resp.headers["X-Request-Id"] == "nginx-0123456789"  # the proxy's id is kept
    async with admin.client.get("/healthz", headers={"X-Request-Id": "bad id\tx"}) as resp:
        assert resp.headers["X-Request-Id"] != "bad id\tx"
    async with admin.client.get("/login?next=/x", allow_redirects=False) as resp:
        assert resp.headers.get("X-Request-Id")


def test_request_latency_buckets_are_cumulative_as_prometheus_reads_them() -> None:
    """Requests are counted in plain dicts (no lock per increment); the scrape must still
    read as a Counter and a Histogram: cumulative `le` buckets, +Inf equal to the count."""
    from prometheus_client import generate_latest

    from feedserver.http.metrics import Metrics

    metrics = Metrics()
    for seconds in (0.0005, 0.001, 0.003, 0.3, 20.0):
        metrics.observe_request("/feeds/home.atom", "GET", 200, seconds)
    metrics.observe_request("/feeds/home.atom", "GET", 304, 0.0001)
    found = _samples(generate_latest(metrics.registry).decode())
    route = (("method", "GET"), ("route", "/feeds/home.atom"))

    def bucket(le: str) -> float:
        return found[
            (
                "feedserver_http_request_duration_seconds_bucket",
                (("le", le), *route),
            )
        ]

    assert [bucket(le) for le in ("0.001", "0.0025", "0.005", "0.25", "0.5", "10.0", "+Inf")] == [
        3,
        3,
        4,
        4,
        5,
        5,
        6,
    ]
    assert found[("feedserver_http_request_duration_seconds_count", route)] == 6
    assert abs(found[("feedserver_http_request_duration_seconds_sum", route)] - 20.3046) < 1e-9
    assert found[("feedserver_http_requests_total", (*route, ("status", "304")))] == 1
    assert found[("feedserver_http_requests_total", (*route, ("status", "200")))] == 5
