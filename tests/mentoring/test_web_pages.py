"""Mentoring pages without a browser: mistakes shown beside their field, who may do what, and
a mentor's cohort page naming the mentee who went silent (the clock moves)."""

from __future__ import annotations

from tests.conftest import Api
from tests.mentoring.conftest import as_mentee, as_mentor, new_program, propose, publish
from tests.web.conftest import Browser


async def _browser(aiohttp_client, mclient, username: str) -> Browser:
    return await Browser(await aiohttp_client(mclient.server)).login(username)


async def test_program_form_mistakes_stay_on_the_form(aiohttp_client, mclient, madmin: Api):
    admin = await _browser(aiohttp_client, mclient, "admin")
    status, html = await admin.submit(
        "/mentoring", "/mentoring", {"name": "Spring", "default_capacity": "lots"}
    )
    assert status == 422 and "a whole number" in html and 'value="Spring"' in html
    status, html = await admin.submit(
        "/mentoring", "/mentoring", {"name": "Spring", "default_capacity": "3", "owners": "@ghost"}
    )
    assert status == 422 and "no such member" in html
    status, html = await admin.submit(
        "/mentoring", "/mentoring", {"name": "Spring", "default_capacity": "3"}
    )
    assert status == 200 and "<h1>Spring</h1>" in html and "Propose a matching" in html

    await madmin.add_member("nina")
    nina = await _browser(aiohttp_client, mclient, "nina")
    status, html = await nina.get("/mentoring")
    assert "Spring" in html and "Create program" not in html
    status, _ = await nina.submit(
        "/mentoring", "/mentoring", {"name": "Mine", "default_capacity": "2"}
    )
    assert status == 403
    pid = (await madmin.get("/api/v1/programs"))[1]["items"][0]["id"]
    status, html = await nina.submit(
        f"/mentoring/{pid}", f"/mentoring/{pid}/enrol/mentee",
        {"goals": "!!", "same_team": "any", "priority": "balanced"},
    )  # fmt: skip
    assert status == 422 and 'id="err-mentee"' in html and 'value="!!"' in html
    status, html = await nina.get(f"/mentoring/{pid}")
    assert "Propose a matching" not in html  # not a manager
    status, _ = await nina.submit(f"/mentoring/{pid}", f"/mentoring/{pid}/match", {})
    assert status == 403


async def test_cohort_page_names_the_silent_mentee(aiohttp_client, mclient, madmin: Api, clock):
    pid = await new_program(madmin)
    mia, nina = await madmin.add_member("mia"), await madmin.add_member("nina")
    await as_mentor(mia, pid, ["payroll"], 2)
    await as_mentee(nina, pid, ["payroll"])
    proposal = await propose(madmin, pid)
    await publish(madmin, pid, proposal["id"])
    clock.advance(days=20)
    page = await _browser(aiohttp_client, mclient, "mia")
    status, html = await page.get("/mentoring/cohorts")
    assert status == 200 and "Your mentees: Nina" in html
    silent = html.split('class="plain silent"')[1].split("</ul>")[0]
    assert "@nina" in silent and "has not posted since joining" in silent
    # The mentee's page shows the pairing and the rematch form, not the close form.
    nina_page = await _browser(aiohttp_client, mclient, "nina")
    status, html = await nina_page.get(f"/mentoring/{pid}")
    assert "Mia mentors Nina" in " ".join(
        html.replace("<strong>", "").replace("</strong>", "").split()
    )
    assert "Ask to be rematched" in html and "Close pairing" not in html
