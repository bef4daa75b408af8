"""What the insight figures count, on one server: the k-anonymity threshold (distinct
members, not searches; a setting never below 3), and edits that move or take back a
question's figures exactly."""

from __future__ import annotations

import pytest

from feedserver import appkeys
from feedserver.config import ConfigError, load_config
from tests.conftest import Api
from tests.insights.sketch import salt_without_collisions


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


async def test_a_term_shows_from_five_distinct_members_not_from_many_searches(admin: Api):
    people = [await admin.add_member(f"m{n}") for n in range(5)]
    services = admin.client.app[appkeys.SERVICES]
    await salt_without_collisions(services, [f"m{n}" for n in range(5)])
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
