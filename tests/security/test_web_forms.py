"""Every state-changing page route checks the CSRF token, and every POST (pages, API,
federation) is bounded in size before anything is parsed."""

from __future__ import annotations

import io
import re

import pytest

from feedserver import appkeys
from feedserver.app import create_app
from feedserver.web.security import WEB_ROUTE_PREFIX
from tests.conftest import Api


def _web_posts(app) -> list[str]:
    """Every non-GET page route of the routing table, placeholders filled in."""
    found = []
    for route in app.router.routes():
        name = route.name or ""
        if route.method in ("GET", "HEAD") or not name.startswith(WEB_ROUTE_PREFIX):
            continue
        path = route.resource.canonical
        path = re.sub(r"\{decision[^}]*\}", "approve", path)
        found.append(re.sub(r"\{[^}]+\}", "x0", path))
    return sorted(set(found))


async def test_every_page_form_refuses_a_missing_or_foreign_csrf_token(browser_for, client) -> None:
    paths = _web_posts(client.app)
    assert len(paths) >= 25  # the table really was read
    admin = await browser_for("admin", create=False)
    for path in paths:
        for data in ({}, {"csrf": "0" * 64}):
            async with admin.client.post(path, data=data, allow_redirects=False) as resp:
                assert resp.status == 403, (path, data, resp.status)


def test_every_non_page_post_is_an_api_or_federation_route(config) -> None:
    """Cookies are only read by page routes; any other POST authenticates otherwise (bearer
    token, HTTP signature, the signed token of a mail's one-click unsubscribe link, which a
    mail client posts with no cookie: RFC 8058), so it needs no CSRF token. (create_app
    does no I/O.)"""
    for route in create_app(config).router.routes():
        if route.method in ("GET", "HEAD") or (route.name or "").startswith(WEB_ROUTE_PREFIX):
            continue
        path = route.resource.canonical
        assert path.startswith("/api/v1/") or path in (
            "/inbox",
            "/federation/handshake",
            "/mail/unsubscribe",
        ), path


async def test_a_session_cookie_does_not_authenticate_the_api(browser_for) -> None:
    alice = await browser_for("alice")
    async with alice.client.get("/api/v1/me") as resp:
        assert resp.status == 401
    async with alice.client.post(
        "/api/v1/groups", json={"name": "via-cookie", "title": "x", "visibility": "org"}
    ) as resp:
        assert resp.status == 401


@pytest.mark.parametrize(
    "path", ["/login", "/groups", "/api/v1/groups", "/inbox", "/federation/handshake"]
)
async def test_oversized_bodies_are_refused(admin: Api, client, path: str) -> None:
    size = client.app[appkeys.CONFIG].max_body_bytes + 1
    kind = "application/json" if path.startswith("/api/") else "application/x-www-form-urlencoded"
    status, _ = await admin.post(
        path, data=io.BytesIO(b"x" * size), json=None, headers={"Content-Type": kind}
    )
    # 413 everywhere; the inbox checks the signature (headers only) first, so 401 there.
    assert status == (401 if path == "/inbox" else 413), (path, status)
    status, listed = await admin.get("/api/v1/groups")
    assert listed["items"] == []
