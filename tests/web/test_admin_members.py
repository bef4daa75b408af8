"""Managing members from the /admin page: suspend and unsuspend, promote and demote, reset a
password (typed or generated), delete (content removed or anonymized); the audit log; CSRF;
non-admins; the last-admin rule said beside the action."""

from __future__ import annotations

import re

from tests.conftest import PASSWORD, Api
from tests.web.conftest import Browser


async def _state(admin: Api, username: str) -> dict[str, object]:
    status, body = await admin.get("/api/v1/admin/members")
    assert status == 200, body
    found = [m for m in body["items"] if m["username"] == username]
    assert found, (username, body)
    return found[0]


async def _logged_out(person: Browser) -> bool:
    status, html = await person.get("/")
    return status == 200 and 'action="/login"' in html and "Log out" not in html


def _row(html: str, username: str) -> str:
    start = html.index(f'id="m-{username}"')
    return html[start : html.index("</li>", start)]


async def test_suspend_logs_the_member_out_and_unsuspend_lets_them_back(
    admin: Api, browser_for
) -> None:
    alice = await browser_for("alice")
    web_admin = await browser_for("admin")
    status, html = await web_admin.submit("/admin", "/admin/members/alice/suspend", {})
    assert status == 200
    assert "badge state-suspended" in _row(html, "alice")
    assert re.search(r"<td>admin</td><td>suspend</td><td>alice</td>", html)  # audit log
    assert (await _state(admin, "alice"))["state"] == "suspended"
    assert await _logged_out(alice)  # the live session is gone
    refused = await browser_for()
    status, _ = await refused.submit(
        "/login", "/login", {"username": "alice", "password": PASSWORD}
    )
    assert status != 200 or await _logged_out(refused)

    status, html = await web_admin.submit("/admin", "/admin/members/alice/unsuspend", {})
    assert status == 200 and "badge state-active" in _row(html, "alice")
    assert "<td>unsuspend</td>" in html
    await alice.login("alice")  # may log in again


async def test_promote_and_demote_from_the_page(admin: Api, browser_for) -> None:
    alice = await browser_for("alice")
    assert (await alice.get("/admin"))[0] == 403
    web_admin = await browser_for("admin")
    status, html = await web_admin.submit("/admin", "/admin/members/alice/promote", {})
    assert status == 200 and "badge role-admin" in _row(html, "alice")
    assert (await alice.get("/admin"))[0] == 200
    status, html = await web_admin.submit("/admin", "/admin/members/alice/demote", {})
    assert status == 200 and "badge role-member" in _row(html, "alice")
    assert (await alice.get("/admin"))[0] == 403
    assert "<td>promote</td>" in html and "<td>demote</td>" in html


async def test_reset_password_typed_by_the_admin(admin: Api, browser_for) -> None:
    alice = await browser_for("alice")
    web_admin = await browser_for("admin")
    status, html = await web_admin.submit(
        "/admin", "/admin/members/alice/password", {"password": "short"}
    )
    assert status == 422
    assert 'id="err-m-alice"' in _row(html, "alice") and "at least 10 characters" in html
    assert not await _logged_out(alice)  # nothing changed
    status, html = await web_admin.submit(
        "/admin", "/admin/members/alice/password", {"password": "a brand new password"}
    )
    assert status == 200 and "<td>password-reset</td>" in html
    assert "a brand new password" not in html  # a typed password is never echoed
    assert await _logged_out(alice)
    await alice.login("alice", "a brand new password")
    status, _ = await admin.as_(None).post(
        "/api/v1/sessions", {"username": "alice", "password": PASSWORD}
    )
    assert status == 401


async def test_generated_password_is_shown_once_and_works(admin: Api, browser_for) -> None:
    await admin.add_member("alice")
    web_admin = await browser_for("admin")
    status, html = await web_admin.submit(
        "/admin", "/admin/members/alice/password", {"generate": "yes"}
    )
    assert status == 200
    found = re.search(r'id="new-password" class="mono" readonly value="([^"]+)"', html)
    assert found, html
    password = found.group(1)
    assert len(password) >= 10
    _, again = await web_admin.get("/admin")
    assert password not in again and 'id="new-password"' not in again  # shown once
    await (await browser_for()).login("alice", password)


async def test_delete_with_anonymize_keeps_posts_under_a_new_name(admin: Api, browser_for) -> None:
    alice_api = await admin.add_member("alice")
    status, _ = await admin.post("/api/v1/groups", {"name": "payroll", "title": "Payroll"})
    assert status == 201
    status, _ = await admin.put("/api/v1/groups/payroll/members/alice", {"role": "member"})
    assert status in (200, 201)
    status, post = await alice_api.post(
        "/api/v1/groups/payroll/posts",
        {"kind": "question", "title": "When is the cutoff?", "body": "For timesheets."},
    )
    assert status == 201, post
    web_admin = await browser_for("admin")
    # The confirm step and the choice are required: nothing happens without them.
    status, html = await web_admin.submit("/admin", "/admin/members/alice/delete", {})
    assert status == 422 and 'id="err-m-alice"' in _row(html, "alice")
    status, html = await web_admin.submit(
        "/admin", "/admin/members/alice/delete", {"confirm": "yes"}
    )
    assert status == 422 and "remove or anonymize" in _row(html, "alice")
    assert (await _state(admin, "alice"))["state"] == "active"

    status, html = await web_admin.submit(
        "/admin", "/admin/members/alice/delete", {"confirm": "yes", "content": "anonymize"}
    )
    assert status == 200 and "badge state-deleted" in html and 'id="m-alice"' not in html
    assert "content=anonymize" in html  # the audit log says what was chosen
    status, thread = await web_admin.get(f"/posts/{post['id']}")
    assert status == 200 and "When is the cutoff?" in thread and "Deleted member" in thread


async def test_delete_with_remove_takes_the_posts_away(admin: Api, browser_for) -> None:
    alice_api = await admin.add_member("alice")
    await admin.post("/api/v1/groups", {"name": "payroll", "title": "Payroll"})
    await admin.put("/api/v1/groups/payroll/members/alice", {"role": "member"})
    _, post = await alice_api.post(
        "/api/v1/groups/payroll/posts",
        {"kind": "question", "title": "When is the cutoff?", "body": "For timesheets."},
    )
    web_admin = await browser_for("admin")
    status, html = await web_admin.submit(
        "/admin", "/admin/members/alice/delete", {"confirm": "yes", "content": "remove"}
    )
    assert status == 200 and "content=remove posts_removed=1" in html
    status, _ = await web_admin.get(f"/posts/{post['id']}")
    assert status in (404, 410)


async def test_a_form_without_the_csrf_token_changes_nothing(admin: Api, browser_for) -> None:
    alice = await browser_for("alice")
    web_admin = await browser_for("admin")
    for action in ("suspend", "promote", "password", "delete"):
        status, html = await web_admin.submit(
            "/admin", f"/admin/members/alice/{action}",
            {"password": "a brand new password", "confirm": "yes", "content": "remove"},
            csrf=False,
        )  # fmt: skip
        assert status == 403 and "did not come from this site" in html, action
    found = await _state(admin, "alice")
    assert found["state"] == "active" and not found["admin"]
    assert not await _logged_out(alice)


async def test_non_admins_get_what_they_get_for_the_admin_page(admin: Api, browser_for) -> None:
    await admin.add_member("bob")
    alice = await browser_for("alice")
    status, page = await alice.get("/admin")
    assert status == 403
    for action in ("suspend", "unsuspend", "promote", "demote", "password", "delete"):
        status, html = await alice.submit(
            "/", f"/admin/members/bob/{action}",
            {"password": "a brand new password", "confirm": "yes", "content": "remove"},
        )  # fmt: skip
        assert status == 403, (action, status)
    found = await _state(admin, "bob")
    assert found["state"] == "active" and not found["admin"]
    anonymous = await browser_for()
    status, html = await anonymous.get("/admin")
    assert status == 200 and 'action="/login"' in html  # sent to log in, as before


async def test_the_last_admin_cannot_step_down_and_is_told_beside_the_action(
    admin: Api, browser_for
) -> None:
    await admin.add_member("alice")
    web_admin = await browser_for("admin")
    status, html = await web_admin.submit("/admin", "/admin/members/admin/demote", {})
    assert status == 409
    row = _row(html, "admin")
    assert 'id="err-m-admin"' in row and "last active admin" in row
    assert '<details class="manage" open>' in row  # the actions stay open, the page whole
    assert 'id="invitations"' in html and 'id="m-alice"' in html
    # No suspending or deleting oneself is offered (the domain refuses it too).
    assert "/admin/members/admin/suspend" not in row and "/admin/members/admin/delete" not in row
    assert "/admin/members/alice/suspend" in html and "/admin/members/alice/delete" in html
    assert (await _state(admin, "admin"))["admin"] is True
    # With a second admin, stepping down works.
    await web_admin.submit("/admin", "/admin/members/alice/promote", {})
    status, html = await web_admin.submit("/admin", "/admin/members/admin/demote", {})
    assert status == 403  # no longer an admin: the page answers as for any member
    assert (await _state(await admin.login("alice"), "admin"))["admin"] is False
