"""A remembered feed answer (http/feed_answers.py) is sent before any other middleware runs,
yet keeps every request's observable contract: a request id in the response and on its log
lines, the request counted in /metrics by route pattern and status, one access line with
the token redacted."""

from __future__ import annotations

import logging

import pytest
from prometheus_client.parser import text_string_to_metric_families
from yarl import URL

from feedserver.logs import REQUEST_ID
from tests.conftest import Api
from tests.feeds.conftest import cache, feed_urls, fetch, new_post

ROUTE = "/feeds/groups/{name}.atom"


class _RequestIds(logging.Handler):
    """The request id each access line is logged under (what every formatter prints)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str | None]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append((record.getMessage(), REQUEST_ID.get()))


async def _counts(api: Api) -> dict[str, float]:
    async with api.client.get("/metrics") as resp:
        text = await resp.text()
    return {
        s.labels["status"]: s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "feedserver_http_requests_total" and s.labels["route"] == ROUTE
    }


async def test_a_remembered_answer_is_counted_logged_and_carries_its_request_id(
    admin: Api, client, caplog: pytest.LogCaptureFixture
) -> None:
    alice = await admin.add_member("alice")
    assert (await alice.post("/api/v1/groups", {"name": "pay", "title": "Pay"}))[0] == 201
    await new_post(alice, "pay", "First")
    url = (await feed_urls(alice))["groups"][0]["url"]
    token = URL(url).query["token"]
    status, headers, _ = await fetch(client, url)
    assert status == 200
    answers = cache(client).answers
    hits = answers.hits
    ids = _RequestIds()
    access = logging.getLogger("feedserver.access")
    access.addHandler(ids)
    caplog.set_level(logging.INFO, logger="feedserver.access")
    try:
        status, first, _ = await fetch(client, url, **{"If-None-Match": headers["ETag"]})
        assert status == 304
        status, second, body = await fetch(client, url, **{"X-Request-Id": "nginx-0123456789"})
        assert status == 200 and b"First" in body
    finally:
        access.removeHandler(ids)
    assert answers.hits == hits + 2  # both from memory
    assert first["X-Request-Id"] and first["X-Request-Id"] != headers["X-Request-Id"]
    assert second["X-Request-Id"] == "nginx-0123456789"  # a proxy's id is kept
    assert [rid for _, rid in ids.seen] == [first["X-Request-Id"], "nginx-0123456789"]
    lines = [message for message, _ in ids.seen]
    assert lines[0].startswith("GET /feeds/groups/pay.atom?token=[redacted] 304 ")
    assert lines[1].startswith("GET /feeds/groups/pay.atom?token=[redacted] 200 ")
    records = [r for r in caplog.records if r.name == "feedserver.access"]
    assert [r.fields["route"] for r in records] == [ROUTE, ROUTE]  # type: ignore[attr-defined]
    assert token not in caplog.text
    assert await _counts(admin) == {"200": 2, "304": 1}
