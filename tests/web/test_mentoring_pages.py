"""Mentoring through the pages, end to end in Chromium: an admin creates a program, mentors
and mentees enrol, the admin reviews the proposed matching with its reasons, edits it,
publishes it and reads the report; a mentor sees the cohort and closes a pairing, a mentee
asks to be rematched. axe-core runs on every page on the way."""

from __future__ import annotations

import pytest

from tests.web.journey import CHROMIUM, Person, make_members

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (apt-get install chromium)"
)


async def _enrol(person: Person, program_url: str, side: str, topics: str) -> None:
    page = person.page
    await page.goto(program_url)
    if side == "mentor":
        await page.get_by_label("Topics you can help with").fill(topics)
        await page.get_by_label("How many mentees at once").fill("2")
        await page.get_by_role("button", name="Enrol as mentor").click()
    else:
        await page.get_by_label("Your goals").fill(topics)
        await page.get_by_label("What matters most").select_option("expertise")
        await page.get_by_role("button", name="Enrol as mentee").click()
    await page.wait_for_url(program_url + f"#{side}")
    assert await page.locator(f"#{side}-h").inner_text() == (
        "You mentor here" if side == "mentor" else "You are a mentee here"
    )


async def test_mentoring_end_to_end_through_the_pages(site: str, browser) -> None:
    await make_members(site, "mia", "mo", "nina", "ned")
    admin = await Person.open(browser, site)
    await admin.login("admin")
    page = admin.page
    await page.get_by_role("link", name="Mentoring").click()
    await page.get_by_label("Name", exact=True).fill("Spring cohort")
    await page.get_by_label("Description").fill("Six weeks with someone who has done it.")
    await page.get_by_role("button", name="Create program").click()
    await page.wait_for_url(site + "/mentoring/*")
    program_url = page.url
    await admin.check("program new")

    people = {}
    for username, side, topics in (
        ("mia", "mentor", "payroll"), ("mo", "mentor", "onboarding"),
        ("nina", "mentee", "payroll"), ("ned", "mentee", "onboarding"),
    ):  # fmt: skip
        people[username] = person = await Person.open(browser, site)
        await person.login(username)
        await _enrol(person, program_url, side, topics)
    await people["nina"].check("program enrolled mentee")
    await people["nina"].goto("/mentoring")
    assert "Spring cohort" in await people["nina"].page.locator("main").inner_text()
    await people["nina"].check("mentoring list")

    # The admin proposes a matching: each pair says why.
    await page.goto(program_url)
    assert "2 mentors and 2 mentees enrolled" in await page.locator("main").inner_text()
    await page.get_by_role("button", name="Propose a matching").click()
    await page.wait_for_url(program_url + "/proposals/*")
    proposal_url = page.url
    rows = page.locator("table tbody tr")
    assert await rows.count() == 2
    nina_row = rows.filter(has_text="@nina")
    assert "@mia" in await nina_row.inner_text() and "payroll" in await nina_row.inner_text()
    await admin.check("proposal")

    # Edits: swap, assign back, remove a pair and assign it again.
    await page.get_by_role("button", name="Swap").click()
    await page.wait_for_url(proposal_url)
    assert "@mo" in await rows.filter(has_text="@nina").inner_text()
    await page.get_by_label("Mentee", exact=True).select_option("nina")
    await page.get_by_label("Mentor", exact=True).select_option("mia")
    await page.get_by_role("button", name="Assign").click()
    await page.wait_for_url(proposal_url)
    assert "@mia" in await rows.filter(has_text="@nina").inner_text()
    await page.get_by_role("button", name="Remove the pair of ned").click()
    await page.wait_for_url(proposal_url)
    assert "removed by the reviewer" in await page.locator("main").inner_text()
    assert await rows.count() == 1
    await page.get_by_label("Mentee", exact=True).select_option("ned")
    await page.get_by_label("Mentor", exact=True).select_option("mo")
    await page.get_by_role("button", name="Assign").click()
    await page.wait_for_url(proposal_url)
    assert await rows.count() == 2
    await admin.check("proposal edited")

    await page.get_by_role("button", name="Publish this matching").click()
    await page.wait_for_url(program_url + "/report")
    report = await page.locator("main").inner_text()
    assert "2 active, 0 completed" in report and "2 (100%)" in report
    await admin.check("program report")

    # The mentor's oversight view: her cohort and her mentee.
    mia = people["mia"]
    await mia.goto("/mentoring/cohorts")
    cohort = await mia.page.locator("main").inner_text()
    assert "Spring cohort" in cohort and "Your mentees: Nina" in cohort
    await mia.check("cohorts")

    # The mentee asks to be rematched; the mentor closes the other pairing as completed.
    ned = people["ned"]
    await ned.page.goto(program_url)
    assert "Mo mentors Ned" in await ned.page.locator("#pairings").inner_text()
    await ned.page.get_by_role("button", name="Ask to be rematched").click()
    await ned.page.wait_for_url(program_url + "#pairings")
    assert "rematch" in await ned.page.locator("#pairings .badge").text_content()
    await ned.check("program rematched")
    await mia.page.goto(program_url)
    await mia.page.get_by_label("Completed: we reached the goals").check()
    await mia.page.get_by_role("button", name="Close pairing").click()
    await mia.page.wait_for_url(program_url + "#pairings")
    assert "completed" in await mia.page.locator("#pairings .badge").text_content()
    await mia.check("program mentor")

    # Only the program's managers see the managers' pages.
    response = await ned.page.goto(proposal_url)
    assert response.status == 403
    for person in (admin, *people.values()):
        await person.close()
