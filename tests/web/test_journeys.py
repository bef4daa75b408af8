"""Journeys through the pages in Chromium, one job each, checked with axe-core on every page
and pictured at phone and desktop width (test-artifacts/)."""

from __future__ import annotations

import pytest

from tests.web.journey import CHROMIUM, Person

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (apt-get install chromium)"
)

# The contrast of the focus ring against what is behind it (WCAG 2.2 "focus appearance").
_FOCUS_CONTRAST = """() => {
  const rgb = (c) => (c.match(/[0-9.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const el = document.activeElement;
  let behind = el.parentElement;
  const clear = (e) => rgb(getComputedStyle(e).backgroundColor)[3] === 0;
  while (behind && clear(behind)) behind = behind.parentElement;
  const back = rgb(getComputedStyle(behind || document.body).backgroundColor);
  const style = getComputedStyle(el);
  const ring = rgb(style.outlineColor);
  const [a, b] = [lum(ring), lum(back)].sort((x, y) => y - x);
  return {tag: el.tagName + " " + (el.textContent || "").trim().slice(0, 20),
          width: style.outlineWidth, ratio: (a + 0.05) / (b + 0.05)};
}"""


async def _group(person: Person, title: str, name: str) -> None:
    page = person.page
    await person.goto("/groups")
    await page.get_by_label("Title").fill(title)
    await page.get_by_label("Short name").fill(name)
    await page.get_by_role("button", name="Create group").click()
    await page.wait_for_url(f"{person.base}/groups/{name}")


async def _ask(person: Person, group: str, title: str, body: str = "Details.") -> None:
    page = person.page
    await person.goto(f"/groups/{group}")
    await page.locator("#question-title").fill(title)
    await page.locator("#question-body").fill(body)
    await page.get_by_role("button", name="Ask").click()
    await page.wait_for_url(f"{person.base}/posts/*")


async def test_tip_and_note_from_the_group_page_with_a_visible_focus_ring(
    site: str, browser
) -> None:
    admin = await Person.open(browser, site)
    await admin.login("admin")
    page = admin.page
    await _group(admin, "Payroll", "payroll")
    await admin.check("group new")

    await page.get_by_text("Write a tip").click()
    await page.locator("#tip-title").fill("Submit timesheets by Thursday noon")
    await page.locator("#tip-body").fill("Then the **Friday** run picks them up.")
    await page.locator("#tip-tags").fill("timesheets")
    await page.get_by_role("button", name="Post tip").click()
    await page.wait_for_url(site + "/posts/*")
    assert await page.locator("h1").inner_text() == "Submit timesheets by Thursday noon"
    assert await page.locator(".thread-head .badge.kind-tip").count() == 1
    await admin.check("tip")

    await admin.goto("/groups/payroll")
    await page.get_by_text("Write a note").click()
    await page.locator("#note-title").fill("Holiday calendar 2027")
    await page.locator("#note-body").fill("Offices close on 24 and 31 December.")
    await page.get_by_role("button", name="Post note").click()
    await page.wait_for_url(site + "/posts/*")
    await admin.goto("/groups/payroll?kind=tip")
    tips = await page.locator("ul.posts").inner_text()
    assert "Submit timesheets" in tips and "Holiday calendar" not in tips
    await admin.goto("/groups/payroll?kind=note")
    assert "Holiday calendar 2027" in await page.locator("ul.posts").inner_text()
    await admin.check("group notes")

    # Keyboard: every focus ring on the way (header, tabs, forms) stands out at least 3:1.
    seen = []
    for _ in range(14):
        await page.keyboard.press("Tab")
        found = await page.evaluate(_FOCUS_CONTRAST)
        seen.append(found)
        assert found["width"] == "3px", found
        assert found["ratio"] >= 3, found
    assert len({f["tag"] for f in seen}) > 5
    await admin.close()


async def test_an_answer_typed_when_the_session_ended_survives_logging_in(
    site: str, browser
) -> None:
    admin = await Person.open(browser, site)
    await admin.login("admin")
    page = admin.page
    await _group(admin, "Payroll", "payroll")
    await _ask(admin, "payroll", "Who signs off overtime?", "My manager is away.")
    thread = page.url

    answer = "Ask the deputy manager; HR accepts their sign-off."
    await page.get_by_role("textbox", name="Your answer").fill(answer)
    # The session ends while the page is open (the browser drops the expired cookie).
    kept = [c for c in await admin.context.cookies() if c["name"] != "fs_session"]
    await admin.context.clear_cookies()
    await admin.context.add_cookies(kept)
    await page.get_by_role("button", name="Post answer").click()
    await page.wait_for_url(site + "/posts/*/replies")
    assert "Your session ended" in await page.locator("main").inner_text()
    assert await page.locator("#kept-body").input_value() == answer
    await admin.check("session ended")

    await page.get_by_label("Username").fill("admin")
    await page.get_by_label("Password", exact=True).fill("correct horse battery")
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(thread)  # back on the form...
    assert await page.get_by_role("textbox", name="Your answer").input_value() == answer
    assert await page.get_by_role("status").first.inner_text() == "Your unsent text is back."
    await admin.check("draft restored")
    await page.get_by_role("button", name="Post answer").click()  # ...and it goes through
    await page.wait_for_selector("article.reply")
    assert answer in await page.locator("article.reply").inner_text()
    await page.reload()  # sent: the draft is gone
    assert await page.get_by_role("textbox", name="Your answer").input_value() == ""
    await admin.close()


async def test_writing_aids_preview_similar_questions_times_and_new_markers(
    site: str, browser
) -> None:
    admin = await Person.open(browser, site)
    await admin.login("admin")
    page = admin.page
    await _group(admin, "Payroll", "payroll")

    await _ask(admin, "payroll", "Who signs off overtime?")
    await admin.goto("/groups/payroll")
    first = page.locator("li.post-item", has_text="Who signs off overtime?")
    assert await first.locator(".badge.new").count() == 1  # written since the last visit
    stamp = first.locator("time")
    assert await stamp.inner_text() in ("just now", "1 minute ago")  # relative...
    assert (await stamp.get_attribute("title")).endswith("UTC")  # ...the exact time on hover
    await _ask(admin, "payroll", "Holiday pay in December")
    await admin.goto("/groups/payroll")
    assert await first.locator(".badge.new").count() == 0  # seen on the last visit
    latest = page.locator("li.post-item", has_text="Holiday pay in December")
    assert await latest.locator(".badge.new").count() == 1

    # Typing a title shows the questions already asked that look like it.
    await page.locator("#question-title").press_sequentially("overtime approval rules", delay=20)
    similar = page.locator("#similar-question ul.similar")
    await similar.wait_for()
    assert "Who signs off overtime?" in await similar.inner_text()
    assert "Holiday pay" not in await similar.inner_text()

    # The preview is the server's rendering, through the same sanitizer.
    await page.locator("#question-body").fill("**Bold** move <script>alert(1)</script>")
    await (
        page.locator("details", has=page.locator("#question-body"))
        .get_by_role("button", name="Preview")
        .click()
    )
    preview = page.locator("#question-body ~ .preview")
    await preview.locator("strong").wait_for()
    assert await preview.locator("strong").inner_text() == "Bold"
    assert "<script" not in await preview.inner_html()
    await admin.check("writing aids")
    await admin.close()


async def test_faq_page_history_shows_changes_and_restores_a_revision(site: str, browser) -> None:
    admin = await Person.open(browser, site)
    await admin.login("admin")
    page = admin.page
    await _group(admin, "Payroll", "payroll")
    await admin.goto("/groups/payroll/pages")
    await page.locator("#page-title").fill("Cutoffs")
    await page.locator("#page-body").fill("Checks are cut on Friday.\nAsk HR.")
    await page.get_by_role("button", name="Create page").click()
    await page.wait_for_url(site + "/groups/payroll/pages/cutoffs")
    await page.get_by_role("link", name="Edit page").click()
    await page.locator("#edit-body").fill("Checks are cut on Thursday.\nAsk HR.")
    await page.get_by_role("button", name="Save page").click()
    await page.wait_for_url(site + "/groups/payroll/pages/cutoffs")

    await admin.goto("/groups/payroll/pages/cutoffs/revisions/1")
    diff = page.locator("pre.diff")
    assert "Friday" in await diff.locator("del").inner_text()
    assert "Thursday" in await diff.locator("ins").inner_text()
    await admin.check("faq revision diff")
    await page.get_by_role("button", name="Restore this revision").click()
    await page.wait_for_url(site + "/groups/payroll/pages/cutoffs")
    assert "Friday" in await page.locator("main").inner_text()
    await admin.goto("/groups/payroll/pages/cutoffs/revisions")
    assert "Revision 3" in await page.locator("main").inner_text()
    await admin.check("faq history")

    # The check does catch a violation (so its silence on the other pages means something).
    await page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend', '<input id=bare>')"
    )
    with pytest.raises(AssertionError, match="label"):
        await admin.check("deliberately broken")
    await admin.close()
