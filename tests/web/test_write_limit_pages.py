"""The write limit holds for web forms too: a member's form posts share the bucket their API
token uses, and an empty bucket shows an error page with Retry-After, storing nothing."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from feedserver.config import Config
from tests import pgtest


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return replace(
        Config(), data_dir=tmp_path / "data", scrypt_n=2**10, sqlite_synchronous="NORMAL",
        database_url=pgtest.database_url(),
        write_burst=2, write_rate_per_minute=1,
    )  # fmt: skip


async def test_form_posts_beyond_the_burst_get_429(browser_for, admin) -> None:
    alice = await browser_for("alice")  # logging in is not a member's write
    for name in ("first-group", "second-group"):
        status, _ = await alice.submit(
            "/groups", "/groups", {"name": name, "title": name, "visibility": "private"}
        )
        assert status == 200
    status, html = await alice.submit(
        "/groups", "/groups", {"name": "third-group", "title": "3", "visibility": "private"}
    )
    assert status == 429 and "Too many writes" in html
    status, groups = await admin.get("/api/v1/groups")
    names = [g["name"] for g in groups["items"]]
    assert "first-group" in names and "third-group" not in names
