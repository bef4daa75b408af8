"""The login throttle counts per address and per account independently: a spray from one
address stays slow even between logins to the sprayer's own account, and a stranger's
failures do not lock a member out of their own account."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from feedserver.config import Config
from tests import pgtest
from tests.conftest import PASSWORD, Api

ATTACKER, VICTIM_HOME = "203.0.113.66", "198.51.100.7"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    # Behind nginx on loopback: X-Forwarded-For names the client, so each test can be many.
    return replace(
        Config(), data_dir=tmp_path / "data", scrypt_n=2**10, sqlite_synchronous="NORMAL",
        database_url=pgtest.database_url(),
        trusted_proxies="127.0.0.1", login_max_failures=5,
    )  # fmt: skip


async def _login(api: Api, username: str, password: str, address: str) -> int:
    status, _ = await api.as_(None).post(
        "/api/v1/sessions", {"username": username, "password": password},
        headers={"X-Forwarded-For": address},
    )  # fmt: skip
    return status


async def test_a_spray_between_own_logins_stays_throttled(admin: Api) -> None:
    victims = [f"v{n}" for n in range(20)]
    for name in [*victims, "mallory"]:
        await admin.add_member(name)
    checked = refused = 0
    for round_ in range(5):  # 4 wrong guesses at other accounts, then 1 login to one's own
        for victim in victims[round_ * 4 : round_ * 4 + 4]:
            status = await _login(admin, victim, "Winter2026!!", ATTACKER)
            assert status in (401, 429)
            checked, refused = checked + (status == 401), refused + (status == 429)
        assert await _login(admin, "mallory", PASSWORD, ATTACKER) == 201  # her own, still fine
    assert checked == 5 and refused == 15  # the address's budget, not one per round
    # Everyone else at other addresses logs in as ever.
    assert await _login(admin, "v0", PASSWORD, "192.0.2.1") == 201


async def test_a_strangers_failures_do_not_lock_the_member_out(admin: Api) -> None:
    await admin.add_member("vera")
    assert await _login(admin, "vera", PASSWORD, VICTIM_HOME) == 201  # she logs in from home
    for _ in range(7):  # a stranger elsewhere tries her account
        assert await _login(admin, "vera", "guess guess!", ATTACKER) in (401, 429)
    assert await _login(admin, "vera", PASSWORD, ATTACKER) == 429  # the account is blocked...
    assert await _login(admin, "vera", PASSWORD, "192.0.2.55") == 429  # ...for new places
    assert await _login(admin, "vera", PASSWORD, VICTIM_HOME) == 201  # but not for her


async def test_a_neighbour_behind_the_same_nat_does_not_lock_members_out(admin: Api) -> None:
    await admin.add_member("vera")
    assert await _login(admin, "vera", PASSWORD, VICTIM_HOME) == 201
    for n in range(7):  # someone at the same public address guesses at other accounts
        assert await _login(admin, f"nobody{n}", "guess guess!", VICTIM_HOME) in (401, 429)
    assert await _login(admin, "admin", PASSWORD, VICTIM_HOME) == 429  # never logged in here
    assert await _login(admin, "vera", PASSWORD, VICTIM_HOME) == 201  # she has, so she passes


async def test_passing_a_block_costs_a_smaller_budget(admin: Api) -> None:
    await admin.add_member("vera")
    assert await _login(admin, "vera", PASSWORD, VICTIM_HOME) == 201
    for n in range(7):
        await _login(admin, f"nobody{n}", "guess guess!", VICTIM_HOME)
    # Her way past the address's block allows two mistakes, then she waits like anyone.
    assert await _login(admin, "vera", "typo typo typo", VICTIM_HOME) == 401
    assert await _login(admin, "vera", "typo typo typo", VICTIM_HOME) == 401
    assert await _login(admin, "vera", PASSWORD, VICTIM_HOME) == 429
