"""Write rate limit per member: a token bucket (burst, then a steady rate), 429 problem+json
with Retry-After when empty, nothing stored by a refused write, one member's bucket never
another's, and logging in (a separate throttle) untouched."""

from __future__ import annotations

from dataclasses import replace

from feedserver import appkeys
from feedserver.app import create_app
from feedserver.config import Config
from feedserver.domain import members
from feedserver.domain.rate_limit import TokenBucket
from feedserver.http.write_limit import WRITE_LIMIT
from tests.conftest import PASSWORD, Api


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_a_burst_then_the_steady_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(3, 0.5, clock)  # 3 at once, then one per 2 s
    assert [bucket.take("a") for _ in range(3)] == [0, 0, 0]
    assert bucket.take("a") == 2
    assert bucket.take("b") == 0  # a bucket per key
    clock.now += 1.0
    assert bucket.take("a") == 1  # half a token back: one more second
    clock.now += 1.0
    assert bucket.take("a") == 0
    assert bucket.take("a") == 2
    clock.now += 3600
    assert [bucket.take("a") for _ in range(4)] == [0, 0, 0, 2]  # refills to the burst only
    assert TokenBucket(0, 1.0, clock).take("a") == 0  # burst 0: no limit


async def test_writes_beyond_the_burst_get_429_and_store_nothing(aiohttp_client, config) -> None:
    config = replace(config, write_burst=3, write_rate_per_minute=60)
    app = create_app(config)
    clock = FakeClock()
    app[WRITE_LIMIT] = TokenBucket(config.write_burst, config.write_rate_per_minute / 60, clock)
    client = await aiohttp_client(app)
    services = app[appkeys.SERVICES]
    await members.create(services, username="admin", display_name=None, password=PASSWORD,
                         is_admin=True)  # fmt: skip
    admin = await Api(client).login("admin")
    status, _ = await admin.post("/api/v1/groups", {"name": "busy", "title": "Busy"})
    assert status == 201
    post = {"kind": "note", "title": "n", "body": "b"}
    for _ in range(2):
        status, _ = await admin.post("/api/v1/groups/busy/posts", post)
        assert status == 201
    async with client.post(
        "/api/v1/groups/busy/posts", json=dict(post, title="refused"),
        headers={"Authorization": f"Bearer {admin.token}"},
    ) as resp:  # fmt: skip
        assert resp.status == 429
        assert resp.headers["Retry-After"] == "1"
        assert resp.content_type == "application/problem+json"
        assert (await resp.json())["type"] == "/problems/too-many-requests"
    status, page = await admin.get("/api/v1/groups/busy/posts")
    assert status == 200 and "refused" not in [p["title"] for p in page["items"]]
    # Reads are never limited; another member has a bucket of their own; logging in is
    # the login throttle's business.
    status, _ = await admin.get("/api/v1/me")
    assert status == 200
    await members.create(services, username="other", display_name=None, password=PASSWORD)
    other = await Api(client).login("other")
    status, _ = await other.post("/api/v1/groups", {"name": "calm", "title": "Calm"})
    assert status == 201
    assert await Api(client).login("admin")
    # A second later, one write more.
    clock.now += 1.0
    status, _ = await admin.post("/api/v1/groups/busy/posts", post)
    assert status == 201


def test_default_limits_are_ones_real_use_never_hits() -> None:
    assert (Config().write_burst, Config().write_rate_per_minute) == (60, 60)
