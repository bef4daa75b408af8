"""The login page's `next` only ever leads to a path on this site. Browsers and yarl drop tabs
and newlines from a URL, so "/<TAB>/evil.example" would become "//evil.example": another site."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.web.conftest import csrf_of

TRICKS = [
    "/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "/ /evil.example",
    "//evil.example", "/\\evil.example", "https://evil.example", "/\x00/evil.example",
]  # fmt: skip


@pytest.mark.parametrize("next_path", TRICKS)
async def test_login_never_redirects_to_another_site(browser_for, next_path: str) -> None:
    await browser_for("alice")
    anon = await browser_for()
    status, html = await anon.get("/login")
    form = {"csrf": csrf_of(html), "username": "alice", "password": "correct horse battery"}
    async with anon.client.post(
        "/login", data={**form, "next": next_path}, allow_redirects=False
    ) as resp:
        assert resp.status == 303
        assert resp.headers["Location"] == "/"
    # Signed in now: the login form itself redirects straight to `next`.
    async with anon.client.get(f"/login?next={quote(next_path)}", allow_redirects=False) as resp:
        assert resp.status == 303 and resp.headers["Location"] == "/"


async def test_login_keeps_a_local_next(browser_for) -> None:
    await browser_for("alice")
    anon = await browser_for()
    status, html = await anon.get("/login")
    form = {"csrf": csrf_of(html), "username": "alice", "password": "correct horse battery"}
    async with anon.client.post(
        "/login", data={**form, "next": "/groups?x=1"}, allow_redirects=False
    ) as resp:
        assert resp.headers["Location"] == "/groups?x=1"
