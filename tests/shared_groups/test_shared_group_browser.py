"""bob, a member on B of a group hosted on A, asks, reads alice's answer, marks it helpful and
accepts it, in a real headless browser on B's pages (Playwright driving Debian's Chromium;
skips where it is missing, and `.ci/run` installs it). Three real servers on loopback."""

from __future__ import annotations

import pytest

from tests.web.conftest import browser  # noqa: F401  (the fixture)
from tests.web.journey import CHROMIUM, Person

from .test_shared_group_flow import drain
from .test_shared_group_writes import ANSWER, QUESTION, shared_group_with_bob_and_carol

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (apt-get install chromium)"
)


async def test_bob_asks_and_accepts_on_b_pages(trio, browser):  # noqa: F811
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    person = await Person.open(browser, b.url)
    await person.login("bob")
    page = person.page
    await person.goto(f"/groups/{address}")
    await page.get_by_label("Your question").fill(QUESTION)
    await page.locator("#question-body").fill("Which screen do I open?")
    await page.locator("#question-tags").fill("payroll")
    await page.get_by_role("button", name="Ask").click()
    await page.wait_for_url(f"{b.url}/groups/{address}")
    assert "pending: on its way" in (await page.inner_text("main")).lower()
    await person.check("shared group, pending post")
    await drain(a, b)
    status, listed = await a.call("GET", "/api/v1/groups/payroll-pros/posts", token=alice)
    (question,) = listed["items"]
    assert question["title"] == QUESTION
    await a.call("POST", f"/api/v1/posts/{question['id']}/replies", {"body": ANSWER}, token=alice)
    await drain(a, b)
    await person.goto(f"/groups/{address}")
    main = await page.inner_text("main")
    assert ANSWER in main and "pending" not in main.lower()
    await page.get_by_role("button", name="Mark this answer helpful").click()
    await page.wait_for_url(f"{b.url}/groups/{address}")
    await page.get_by_role("button", name="Accept this answer").click()
    await page.wait_for_url(f"{b.url}/groups/{address}")
    await drain(a, b)
    await person.goto(f"/groups/{address}")
    assert "Accepted answer" in await page.inner_text("main")
    await person.check("shared group, accepted answer")
    status, thread = await a.call("GET", f"/api/v1/posts/{question['id']}", token=alice)
    assert thread["post"]["accepted_answer_id"] == thread["items"][0]["id"]
    assert thread["items"][0]["helpful_count"] == 1
    assert person.errors == [] and person.csp_violations == []
    await person.context.close()
