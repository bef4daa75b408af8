"""POST /api/v1/invitations and joining through the link on the web."""

from __future__ import annotations

from datetime import timedelta

from feedserver import appkeys
from tests.conftest import Api
from tests.web.conftest import csrf_of


def _path(url: str) -> str:
    return url[url.index("/join/") :]


async def test_admin_creates_an_invitation_and_it_works_once(admin: Api, browser_for) -> None:
    status, inv = await admin.post("/api/v1/invitations", {"note": "Alice, payroll"})
    assert status == 201, inv
    assert inv["url"].startswith("http://127.0.0.1:8080/join/")
    assert inv["note"] == "Alice, payroll"
    path = _path(inv["url"])

    visitor = await browser_for()
    status, html = await visitor.get(path)
    assert status == 200 and "admin invited you" in html and "Alice, payroll" in html
    async with visitor.client.post(
        path,
        data={"csrf": csrf_of(html), "username": "alice", "display_name": "Alice A.",
              "password": "a long enough password"},
    ) as resp:  # fmt: skip
        assert resp.status == 200 and str(resp.url).endswith("/")
        assert "Log out" in await resp.text()  # joining signs her in
    alice = await Api(admin.client).login("alice", "a long enough password")
    status, me = await alice.get("/api/v1/me")
    assert status == 200 and me["display_name"] == "Alice A." and not me["admin"]

    # The link is spent: the form is gone, and posting it again creates nobody.
    other = await browser_for()
    status, html = await other.get(path)
    assert status == 404 and "not valid" in html
    _, login_page = await other.get("/login")
    async with other.client.post(
        path, data={"csrf": csrf_of(login_page), "username": "mallory",
                    "password": "a long enough password"},
    ) as resp:  # fmt: skip
        assert resp.status == 404
    status, _ = await admin.get("/api/v1/members/mallory")
    assert status == 404


async def test_only_admins_create_invitations(admin: Api) -> None:
    alice = await admin.add_member("alice")
    status, body = await alice.post("/api/v1/invitations", {})
    assert status == 403 and body["type"] == "/problems/forbidden"
    status, body = await admin.as_(None).post("/api/v1/invitations", {})
    assert status == 401


async def test_bad_invitation_bodies_change_nothing(admin: Api, browser_for) -> None:
    for bad in ({"expires_in_days": 0}, {"expires_in_days": 91}, {"note": "x" * 201},
                {"surprise": True}, {"expires_in_days": "7"}):  # fmt: skip
        status, body = await admin.post("/api/v1/invitations", bad)
        assert status == 422, (bad, body)
        assert body["errors"], body
    web_admin = await browser_for("admin")
    status, html = await web_admin.get("/admin")
    assert status == 200 and "Recent invitations" not in html  # still none


async def test_join_form_errors_keep_what_was_typed(admin: Api, browser_for) -> None:
    await admin.add_member("bob")
    _, inv = await admin.post("/api/v1/invitations", {})
    path = _path(inv["url"])
    visitor = await browser_for()
    status, html = await visitor.submit(
        path, path, {"username": "Bad Name!", "display_name": "Dee", "password": "short"}
    )
    assert status == 422
    assert "at least 10 characters" in html and 'value="Dee"' in html
    status, html = await visitor.submit(
        path, path, {"username": "bob", "display_name": "Dee", "password": "long enough pass"}
    )
    assert status == 409 and "taken" in html
    # Still usable after the failures: nothing was claimed.
    status, html = await visitor.submit(
        path, path, {"username": "dee", "display_name": "Dee", "password": "long enough pass"}
    )
    assert status == 200 and "Log out" in html


async def test_expired_and_revoked_links_do_not_work(admin: Api, browser_for, client) -> None:
    _, first = await admin.post("/api/v1/invitations", {"expires_in_days": 1})
    _, second = await admin.post("/api/v1/invitations", {"note": "to revoke"})
    web_admin = await browser_for("admin")
    status, html = await web_admin.submit("/admin", f"/admin/invitations/{second['id']}/revoke", {})
    assert status == 200 and "revoked" in html
    visitor = await browser_for()
    status, _ = await visitor.get(_path(second["url"]))
    assert status == 404
    services = client.app[appkeys.SERVICES]
    later = services.clock() + timedelta(days=2)
    object.__setattr__(services, "clock", lambda: later)  # Services is frozen; tests move time
    status, _ = await visitor.get(_path(first["url"]))
    assert status == 404


async def test_admin_page_creates_a_link_and_lists_members(admin: Api, browser_for) -> None:
    await admin.add_member("alice")
    web_admin = await browser_for("admin")
    status, html = await web_admin.submit("/admin", "/admin/invitations", {"note": "Zed"})
    assert status == 200
    assert "http://127.0.0.1:8080/join/" in html and 'data-copy="#new-link"' in html
    assert "@alice" in html and "open until" in html
    alice = await browser_for("alice", create=False)
    status, html = await alice.get("/admin")
    assert status == 403
    status, _ = await alice.submit("/", "/admin/invitations", {"note": "sneaky"})
    assert status == 403


async def test_creating_an_invitation_redirects_so_a_reload_creates_no_second(
    admin: Api, browser_for
) -> None:
    web_admin = await browser_for("admin")
    status, _ = await web_admin.submit(
        "/admin", "/admin/invitations", {"note": "Only once"}, allow_redirects=False
    )
    assert status == 303  # post/redirect/get
    status, html = await web_admin.get("/admin")
    assert status == 200 and "/join/" in html and 'id="new-link"' in html  # shown once...
    status, html = await web_admin.get("/admin")  # ...a reload is a GET: nothing new
    assert 'id="new-link"' not in html
    assert html.count("Only once") == 1


async def test_an_invitation_can_carry_a_group_to_join(admin: Api, browser_for) -> None:
    alice_api = await admin.add_member("alice")
    status, _ = await alice_api.post(
        "/api/v1/groups",
        {"name": "new-hires", "title": "New hires", "description": "", "visibility": "private"},
    )
    assert status == 201
    web_admin = await browser_for("admin")
    status, html = await web_admin.submit(
        "/admin", "/admin/invitations", {"note": "Dee", "group": "no-such-group"}
    )
    assert status == 422 and 'id="err-group"' in html and 'value="no-such-group"' in html
    status, html = await web_admin.submit(
        "/admin", "/admin/invitations", {"note": "Dee", "group": "new-hires"}
    )
    assert status == 200 and "joins new-hires" in html
    path = _path(html.split('id="new-link" class="mono" readonly value="')[1].split('"')[0])
    visitor = await browser_for()
    status, html = await visitor.get(path)
    assert "You join the group <strong>new-hires</strong>" in html
    status, html = await visitor.submit(
        path, path, {"username": "dee", "display_name": "Dee", "password": "long enough pass"}
    )
    assert status == 200 and "Log out" in html
    status, html = await visitor.get("/groups/new-hires")  # a private group, now hers
    assert status == 200 and "You are a member here." in html
    status, body = await admin.post("/api/v1/invitations", {"group": "new-hires"})
    assert status == 201 and body["group"] == "new-hires"
