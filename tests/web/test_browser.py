"""End to end in a real headless browser: Playwright driving Debian's Chromium against a real
server on 127.0.0.1, in the test's own event loop. Never downloads a browser: where
/usr/bin/chromium is missing these tests skip and say so (`.ci/run` installs it)."""

from __future__ import annotations

import aiohttp
import feedparser
import pytest

from tests.web import journey
from tests.web.journey import ARTIFACTS, CHROMIUM, PASSWORD

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (apt-get install chromium)"
)


class Person(journey.Person):
    async def invite(self, note: str) -> str:
        await self.goto("/admin")
        await self.page.get_by_label("Who is it for?").fill(note)
        await self.page.get_by_role("button", name="Create invitation link").click()
        return await self.page.locator("#new-link").input_value()

    async def join(self, link: str, username: str, name: str) -> None:
        await self.page.goto(link)
        await self.page.get_by_label("Username").fill(username)
        await self.page.get_by_label("Your name").fill(name)
        await self.page.get_by_label("Password").fill(PASSWORD)
        await self.page.get_by_role("button", name="Join").click()
        await self.page.wait_for_url(self.base + "/")


async def test_invite_join_ask_answer_accept_search(site: str, browser) -> None:
    admin = await Person.open(browser, site)
    await admin.login("admin")
    alice_link = await admin.invite("Alice, payroll")
    await admin.check("admin invitation")
    bob_link = await admin.invite("Bob, mentor")
    assert alice_link.startswith(site + "/join/") and alice_link != bob_link

    alice = await Person.open(browser, site)
    await alice.page.goto(alice_link)
    await alice.check("join")
    await alice.join(alice_link, "alice", "Alice Archer")
    assert "Log out" in await alice.page.inner_text("header")
    bob = await Person.open(browser, site)
    await bob.join(bob_link, "bob", "Bob Baker")

    # She creates a private group and adds bob.
    page = alice.page
    await alice.goto("/groups")
    await page.get_by_label("Title").fill("New hires")
    await page.get_by_label("Short name").fill("new-hires")
    await page.get_by_role("button", name="Create group").click()
    await page.wait_for_url(site + "/groups/new-hires")
    await page.get_by_label("Add a member by username").fill("bob")
    await page.get_by_role("button", name="Add member").click()
    assert await page.locator("#members").get_by_text("@bob").count() == 1
    await alice.check("group owner")

    # She asks a question.
    await page.locator("#question-title").fill("What if the check is cut after the deadline?")
    await page.locator("#question-body").fill("The **payroll** cutoff passed yesterday.")
    await page.locator("#question-tags").fill("payroll deadlines")
    await page.get_by_role("button", name="Ask").click()
    await page.wait_for_url(site + "/posts/*")
    thread_url = page.url
    assert await page.locator("h1").inner_text() == "What if the check is cut after the deadline?"
    assert await page.locator(".thread-head strong").inner_text() == "payroll"
    await alice.check("thread question")

    # A second member, in another browser context, answers.
    await bob.page.goto(thread_url)
    await bob.page.get_by_role("textbox", name="Your answer").fill(
        "File a late-pay form with HR today."
    )
    await bob.page.get_by_role("button", name="Post answer").click()
    await bob.page.wait_for_selector("article.reply")
    assert await bob.page.get_by_role("button", name="Accept this answer").count() == 0

    # She accepts it: the accepted answer stands out.
    await page.goto(thread_url)
    await page.get_by_role("button", name="Accept this answer").click()
    accepted = page.locator("article.reply.accepted")
    await accepted.wait_for()
    assert "Accepted answer" in await accepted.inner_text()
    assert "late-pay form" in await accepted.inner_text()
    await alice.check("thread accepted")
    border = await accepted.evaluate("e => getComputedStyle(e).borderTopWidth")
    assert border == "2px"  # styled apart from the others

    # Search (from the header's search box) finds it.
    await page.locator("#nav-q").fill("deadline cutoff")
    await page.locator("#nav-q").press("Enter")
    await page.wait_for_url(site + "/search?q=*")
    hit = page.locator("ol.hits a.post-title").first
    assert await hit.inner_text() == "What if the check is cut after the deadline?"
    await alice.check("search")

    # Her "my feeds" page: the home feed URL, fetched over plain HTTP, is a valid feed with
    # her question in it.
    await alice.goto("/me/feeds")
    feed_url = await page.locator("#feed-home").input_value()
    await alice.check("my feeds")
    assert feed_url.startswith(site + "/feeds/home.atom?token=")
    # A separate HTTP client (no browser cookies): the token in the URL is the credential.
    async with aiohttp.ClientSession() as http, http.get(feed_url) as resp:
        assert resp.status == 200 and resp.content_type == "application/atom+xml"
        parsed = feedparser.parse(await resp.read())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    titles = [e.title for e in parsed.entries]
    assert any("What if the check is cut after the deadline?" in t for t in titles), titles

    # On a phone (390×844) the thread page fits the width; the screenshot is a test artifact.
    phone = await Person.open(
        browser, site, viewport={"width": 390, "height": 844}, device_scale_factor=2,
        is_mobile=True, has_touch=True, storage_state=await alice.context.storage_state(),
    )  # fmt: skip
    await phone.page.goto(thread_url)
    overflow = await phone.page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{overflow}px of horizontal scrolling on a phone"
    ARTIFACTS.mkdir(exist_ok=True)
    await phone.page.screenshot(path=str(ARTIFACTS / "thread-phone.png"), full_page=True)
    await page.goto(thread_url)
    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.screenshot(path=str(ARTIFACTS / "thread-desktop.png"), full_page=True)

    # Pictures of the other pages, for people to look at (not compared).
    await phone.goto("/")
    await phone.page.screenshot(path=str(ARTIFACTS / "home-phone.png"), full_page=True)
    await phone.goto("/groups/new-hires")
    await phone.page.screenshot(path=str(ARTIFACTS / "group-phone.png"), full_page=True)
    # "Who knows #payroll?" on a phone: bob's accepted answer explains him, and it fits.
    await phone.goto("/people?topic=payroll")
    assert "1 accepted answer on #payroll" in await phone.page.inner_text("main")
    overflow = await phone.page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{overflow}px of horizontal scrolling on the directory"
    await phone.page.screenshot(path=str(ARTIFACTS / "people-phone.png"), full_page=True)
    await admin.page.set_viewport_size({"width": 1280, "height": 900})
    for name, path in (("group", "/groups/new-hires"), ("home", "/"), ("admin", "/admin")):
        await admin.goto(path)
        await admin.page.screenshot(path=str(ARTIFACTS / f"{name}-desktop.png"), full_page=True)

    await phone.check("people who know payroll")
    for person in (admin, alice, bob, phone):
        await person.close()


async def test_form_without_csrf_token_is_refused(site: str, browser) -> None:
    admin = await Person.open(browser, site)
    await admin.login("admin")
    page = admin.page
    await admin.goto("/groups")
    await page.get_by_label("Title").fill("Sneaky")
    await page.get_by_label("Short name").fill("sneaky")
    await page.evaluate("document.querySelectorAll('input[name=csrf]').forEach(e => e.remove())")
    await page.get_by_role("button", name="Create group").click()
    await page.wait_for_load_state()
    assert "did not come from this site" in await page.inner_text("main")
    await admin.check("csrf refused")
    response = await admin.goto("/groups/sneaky")
    assert response.status == 404  # nothing was created

    # Keyboard: the first Tab lands on "Skip to content".
    await admin.goto("/")
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Skip to content"
    await admin.context.close()
