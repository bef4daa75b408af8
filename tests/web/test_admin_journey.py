"""An admin manages members from /admin in Chromium: suspends a member (whose live session
stops working), unsuspends, promotes, demotes, resets a password (the member logs in with the
new one; the old session is gone) and deletes a member, keeping their posts anonymized.
axe-core runs on the pages on the way; pictures at phone and desktop width."""

from __future__ import annotations

import pytest

from tests.web.journey import CHROMIUM, PASSWORD, Person, make_members

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (apt-get install chromium)"
)


async def _manage(admin: Person, username: str, button: str) -> None:
    """Open the member's actions on /admin and press one; back on /admin afterwards."""
    page = admin.page
    await admin.goto("/admin")
    await page.locator(f"#m-{username} details.manage > summary").click()
    await page.get_by_role("button", name=button, exact=True).click()
    await page.wait_for_url(f"{admin.base}/admin#m-{username}")


async def _badges(admin: Person, username: str) -> str:
    return await admin.page.locator(f"#m-{username} .member-head").inner_text()


async def _sent_to_login(person: Person) -> bool:
    await person.goto("/groups")
    return person.page.url.startswith(person.base + "/login")


async def test_admin_manages_members_from_the_admin_page(site: str, browser) -> None:
    await make_members(site, "alice", "bob")
    admin = await Person.open(browser, site)
    await admin.login("admin")
    alice = await Person.open(browser, site)
    await alice.login("alice")
    page = admin.page

    # Suspend, by keyboard: the summary opens with Enter, the button is the next stop.
    await admin.goto("/admin")
    await admin.check("admin members")
    await page.locator("#m-alice details.manage > summary").focus()
    await page.keyboard.press("Enter")
    await admin.check("admin member actions open")
    await page.keyboard.press("Tab")
    focused = await page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Suspend @alice", focused
    await page.keyboard.press("Enter")
    await page.wait_for_url(site + "/admin#m-alice")
    assert "SUSPENDED" in (await _badges(admin, "alice")).upper()
    assert await _sent_to_login(alice)  # her live session stopped working
    await admin.check("admin after suspend")

    await _manage(admin, "alice", "Unsuspend @alice")
    assert "ACTIVE" in (await _badges(admin, "alice")).upper()
    await alice.login("alice")

    await _manage(admin, "alice", "Make admin @alice")
    assert "ADMIN" in (await _badges(admin, "alice")).upper()
    response = await alice.goto("/admin")
    assert response.status == 200
    await _manage(admin, "alice", "Remove admin rights from @alice")
    assert "MEMBER" in (await _badges(admin, "alice")).upper()
    response = await alice.goto("/admin")
    assert response.status == 403

    # A new password: the old session is gone, the new password works, the old does not.
    await admin.goto("/admin")
    await page.locator("#m-alice details.manage > summary").click()
    await page.get_by_label("New password for @alice").fill("a fresh start password")
    await page.get_by_role("button", name="Set password for @alice").click()
    await page.wait_for_url(site + "/admin#m-alice")
    assert await _sent_to_login(alice)
    await alice.page.get_by_label("Username").fill("alice")
    await alice.page.get_by_label("Password").fill(PASSWORD)
    await alice.page.get_by_role("button", name="Log in").click()
    await alice.page.wait_for_load_state()
    assert alice.page.url.startswith(site + "/login")
    await alice.login("alice", "a fresh start password")

    # Delete bob, keeping his posts under "Deleted member": a confirm step first.
    await admin.goto("/admin")
    await page.locator("#m-bob details.manage > summary").click()
    await page.get_by_text("Delete @bob…").click()
    await page.locator("#m-bob").get_by_label("Keep them").check()
    await admin.check("admin delete confirm")
    await page.get_by_role("button", name="Delete @bob for good").click()
    await page.wait_for_url(site + "/admin#m-bob")
    assert await page.locator("#m-bob").count() == 0
    assert await page.locator(".badge.state-deleted").count() == 1
    audit = await page.locator("#audit table").inner_text()
    for action in ("suspend", "unsuspend", "promote", "demote", "password-reset", "delete"):
        assert action in audit, action
    assert "content=anonymize" in audit
    await admin.check("admin after delete")
    await alice.close()
    await admin.close()
