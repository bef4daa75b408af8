"""A period the calendar cannot hold is the client's mistake: a 400 problem, not a 500 with a
traceback in the log."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import Api


@pytest.mark.parametrize(
    "query",
    [
        "to=0001-01-05",  # the default 90 days before it are before year 1
        "to=0001-03-01",
    ],
)
async def test_a_period_before_year_one_is_a_bad_request(
    admin: Api, query: str, caplog: pytest.LogCaptureFixture
) -> None:
    member = await admin.add_member("mia")
    with caplog.at_level(logging.ERROR):
        status, body = await member.get(f"/api/v1/insights?{query}")
    assert status == 400, body
    assert body["type"] == "/problems/bad-request"
    assert "Traceback" not in caplog.text and not [
        r for r in caplog.records if r.levelno >= logging.ERROR
    ]
