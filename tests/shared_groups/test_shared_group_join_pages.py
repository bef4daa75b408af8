"""Asking to join on pages: bob, on B, finds A's group on /partner-groups and asks; carol,
its owner on A, sees the request on the group's page and approves it there; bob's page
then links the group. A plain member of the group sees no requests on A."""

from __future__ import annotations

import aiohttp

from tests.federation.servers import PASSWORD
from tests.web.conftest import csrf_of

from .test_shared_group_flow import drain, login
from .test_shared_group_joins import a_with_groups
from .test_shared_group_pages import page_as


async def signed_in(session, node, username):
    async with session.get(f"{node.url}/login") as resp:
        csrf = csrf_of(await resp.text())
    form = {"csrf": csrf, "username": username, "password": PASSWORD}
    async with session.post(f"{node.url}/login", data=form) as resp:
        assert resp.status == 200


async def press(session, node, page, action):
    """Open `page` and submit the form that posts to `action`; the page it lands on."""
    async with session.get(node.url + page) as resp:
        html = await resp.text()
    assert f'action="{action}"' in html, html
    async with session.post(node.url + action, data={"csrf": csrf_of(html)}) as resp:
        return resp.status, str(resp.url), await resp.text()


async def test_ask_on_b_page_and_approve_on_a_page(trio):
    a, b, c = trio
    await a_with_groups(a, b, c)
    await login(b, "bob")
    address = f"payroll-pros@{a.host}"
    status, html = await page_as(b, "bob", "/groups")
    assert status == 200 and 'href="/partner-groups"' in html
    status, html = await page_as(b, "bob", "/partner-groups")
    assert status == 200 and "Payroll-Pros" in html and "About payroll-pros" in html
    assert "C-Only" not in html and "Hush" not in html
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        await signed_in(session, b, "bob")
        status, url, html = await press(session, b, "/partner-groups", f"/groups/{address}/join")
        assert status == 200 and url.endswith("/partner-groups") and "Request pending" in html
        # Withdrawn, then asked again, from the page.
        withdraw = f"/groups/{address}/join/withdraw"
        status, url, html = await press(session, b, "/partner-groups", withdraw)
        assert status == 200 and "Request pending" not in html and "Ask to join" in html
        status, url, html = await press(session, b, "/partner-groups", f"/groups/{address}/join")
        assert status == 200 and "Request pending" in html
    await drain(a, b)
    request_path = f"/groups/payroll-pros/requests/bob@{b.host}/approve"
    status, html = await page_as(a, "pete", "/groups/payroll-pros")
    assert status == 200 and f"bob@{b.host}" not in html  # a plain member: no requests
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        await signed_in(session, a, "carol")
        status, url, html = await press(session, a, "/groups/payroll-pros", request_path)
        assert status == 200 and url.endswith("/groups/payroll-pros")
    await drain(a, b)
    status, html = await page_as(b, "bob", "/partner-groups")
    assert f'href="/groups/{address}"' in html and "You are a member" in html
    status, html = await page_as(b, "bob", f"/groups/{address}")
    assert status == 200 and "Payroll-Pros" in html
