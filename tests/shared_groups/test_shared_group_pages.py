"""B's web page of a group shared with it: its members there read it, nobody else does."""

from __future__ import annotations

import aiohttp

from tests.federation.servers import PASSWORD
from tests.web.conftest import csrf_of

from .test_shared_group_flow import SECRET, drain, login, setup_group
from .test_shared_group_writes import QUESTION, shared_group_with_bob_and_carol


async def page_as(node, username: str | None, path: str) -> tuple[int, str]:
    """GET `path` on `node` in a browser-like session signed in as `username` (or nobody)."""
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        if username is not None:
            async with session.get(f"{node.url}/login") as resp:
                csrf = csrf_of(await resp.text())
            form = {"csrf": csrf, "username": username, "password": PASSWORD}
            async with session.post(f"{node.url}/login", data=form) as resp:
                assert resp.status == 200 and "Log out" in await resp.text()
        async with session.get(node.url + path) as resp:
            return resp.status, await resp.text()


async def test_shared_group_page_on_b(trio):
    a, b, c = trio
    alice, bob, carol = await setup_group(a, b, c)
    await a.call("PUT", f"/api/v1/groups/payroll-pros/members/bob@{b.host}", {"role": "member"},
                 token=alice)  # fmt: skip
    await a.call("POST", "/api/v1/groups/payroll-pros/posts",
                 {"kind": "question", "title": SECRET, "body": "How <script>x()</script>?",
                  "tags": ["payroll"]}, token=alice)  # fmt: skip
    await drain(a, b)
    path = f"/groups/payroll-pros@{a.host}"
    status, html = await page_as(b, "bob", path)
    assert status == 200 and SECRET in html and "Org A" in html
    assert f"alice@{a.host}" in html and "<script>x()" not in html
    assert f"/feeds/groups/payroll-pros@{a.host}.atom?token=" in html  # autodiscovery
    status, html = await page_as(b, "bob", "/groups")
    assert status == 200 and f'href="/groups/payroll-pros@{a.host}"' in html
    status, html = await page_as(b, "carol", "/groups")
    assert status == 200 and "Payroll pros" not in html
    for node, who in ((b, "carol"), (b, "admin"), (b, None), (c, "admin"), (a, None)):
        status, html = await page_as(node, who, path)
        assert SECRET not in html and "Payroll pros" not in html, (node.name, who)
        assert status in (404, 200 if who is None else 404)  # anonymous: the login page
    dave = await login(a, "dave")
    assert dave
    status, html = await page_as(a, "dave", "/groups/payroll-pros")
    assert status == 404 and SECRET not in html


async def test_bob_edits_his_post_on_b_page(trio):
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    status, asked = await b.call("POST", f"/api/v1/groups/{address}/posts",
                                 {"kind": "question", "title": QUESTION,
                                  "body": "Which *screen*?", "tags": ["payroll"]},
                                 token=bob)  # fmt: skip
    await drain(a, b)
    path = f"/groups/{address}"
    status, html = await page_as(b, "carol", path)  # not hers: no edit form
    assert status == 200 and f"{path}/edits" not in html
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        async with session.get(f"{b.url}/login") as resp:
            csrf = csrf_of(await resp.text())
        form = {"csrf": csrf, "username": "bob", "password": PASSWORD}
        async with session.post(f"{b.url}/login", data=form) as resp:
            assert resp.status == 200
        async with session.get(b.url + path) as resp:
            html = await resp.text()
        assert f"{path}/edits" in html and "Which *screen*?" in html  # the Markdown to edit
        form = {"csrf": csrf_of(html), "post_id": asked["id"], "title": "Back-dating a run",
                "body": "Which menu?", "tags": "payroll deadlines"}  # fmt: skip
        async with session.post(f"{b.url}{path}/edits", data=form) as resp:
            assert resp.status == 200 and str(resp.url).endswith(path)
    await drain(a, b)
    status, listed = await a.call("GET", "/api/v1/groups/payroll-pros/posts", token=alice)
    (question,) = listed["items"]
    assert (question["title"], question["tags"]) == ("Back-dating a run", ["payroll", "deadlines"])
    status, html = await page_as(b, "bob", path)
    assert "Back-dating a run" in html and QUESTION not in html
