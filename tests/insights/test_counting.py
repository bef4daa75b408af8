"""What the insight figures count, on one server: the k-anonymity threshold (distinct
members, not searches; a setting never below 3), and edits that move or take back a
question's figures exactly."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from feedserver import appkeys
from feedserver.config import ConfigError, load_config
from feedserver.domain.insight_buckets import day_of, week_of
from feedserver.store.search_misses import SKETCH_BITS, week_salt
from tests.conftest import Api


def test_the_threshold_is_never_below_three() -> None:
    with pytest.raises(ConfigError, match="insights_min_searchers"):
        load_config(overrides={"insights_min_searchers": 2}, environ={})
    assert (
        load_config(overrides={"insights_min_searchers": 3}, environ={}).insights_min_searchers == 3
    )


async def _misses(admin: Api) -> list[dict]:
    status, body = await admin.get("/api/v1/insights?scope=server")
    assert status == 200, body
    return list(body["searches_without_results"])


async def _salt_without_collisions(admin: Api, usernames: list[str]) -> None:
    """Store this week's salt, chosen so these members fall on distinct bits of the sketch:
    with a random salt, 5 members share a bit about 4% of the time (the count errs low, by
    design), and the test would say so that often."""
    services = admin.client.app[appkeys.SERVICES]
    week = week_of(day_of(services.clock()))
    async with services.db.read() as conn:
        marks = ", ".join("?" for _ in usernames)
        async with conn.execute(
            f"SELECT id FROM members WHERE username IN ({marks})", usernames
        ) as cur:
            ids = [r[0] for r in await cur.fetchall()]
    for n in range(1000):
        salt = n.to_bytes(32, "big")
        bits = {
            int.from_bytes(hmac.new(salt, i.encode(), hashlib.sha256).digest()[:4], "big")
            % SKETCH_BITS
            for i in ids
        }
        if len(bits) == len(ids):
            break
    async with services.db.write() as conn:
        assert await week_salt(conn, week, salt) == salt


async def test_a_term_shows_from_five_distinct_members_not_from_many_searches(admin: Api):
    people = [await admin.add_member(f"m{n}") for n in range(5)]
    await _salt_without_collisions(admin, [f"m{n}" for n in range(5)])
    for _ in range(6):  # one member, many times: still one member
        assert (await people[0].get("/api/v1/search?q=Kerberos"))[0] == 200
    for person in people[1:4]:
        await person.get("/api/v1/search?q=kerberos!")
    assert await _misses(admin) == []  # four members
    await people[4].get("/api/v1/search?q=KERBEROS")
    assert await _misses(admin) == [{"term": "kerberos", "kind": "search", "searches": 10}]


async def test_retag_and_deletion_move_and_take_back_a_questions_figures(admin: Api):
    status, _ = await admin.post("/api/v1/groups", {"name": "help", "title": "Help",
                                                    "visibility": "org"})  # fmt: skip
    assert status == 201
    status, q = await admin.post(
        "/api/v1/groups/help/posts",
        {"kind": "question", "title": "Payroll?", "body": "How?", "tags": ["payroll"]},
    )
    assert status == 201

    async def asked(scope: str) -> int:
        status, body = await admin.get(f"/api/v1/insights?scope={scope}")
        assert status == 200, body
        return int(body["questions"]["asked"])

    assert (await asked("tag:payroll"), await asked("tag:taxes")) == (1, 0)
    status, _ = await admin.patch(f"/api/v1/posts/{q['id']}", {"tags": ["taxes"]})
    assert status == 200
    assert (await asked("tag:payroll"), await asked("tag:taxes")) == (0, 1)
    assert await asked("group:help") == 1
    assert (await admin.delete(f"/api/v1/posts/{q['id']}"))[0] == 204
    assert (await asked("group:help"), await asked("tag:taxes"), await asked("me")) == (0, 0, 0)
