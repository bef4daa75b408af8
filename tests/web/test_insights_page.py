"""/insights in Chromium: the admin opens it from /admin and the group's owner from the
group page; the charts are drawn (SVG, no script), each with its table; axe finds nothing of
moderate impact or above; pictures at desktop and phone width are kept (test-artifacts/)."""

from __future__ import annotations

import aiohttp
import pytest

from feedserver.domain.services import Services
from tests.insights.sketch import salt_without_collisions
from tests.web.journey import CHROMIUM, PASSWORD, Person, make_members

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (apt-get install chromium)"
)
PEOPLE = ("olga", "bob", "carl", "dina", "emil")


async def _token(http: aiohttp.ClientSession, username: str) -> str:
    async with http.post(
        "/api/v1/sessions", json={"username": username, "password": PASSWORD}
    ) as resp:
        return str((await resp.json())["token"])


async def _scene(site: str, services: Services) -> str:
    """Questions (answered and not), a topic asked three times that nobody knows, a search
    that five members made and that found nothing, a FAQ page read, and a mentoring program
    Olga owns with one pair; returns the program's id."""
    await make_members(site, *PEOPLE)
    await salt_without_collisions(services, list(PEOPLE))  # five searchers count as five
    async with aiohttp.ClientSession(base_url=site) as http:
        t = {name: await _token(http, name) for name in (*PEOPLE, "admin")}

        async def call(method: str, path: str, who: str, body: object = None) -> dict:
            headers = {"Authorization": f"Bearer {t[who]}"}
            async with http.request(method, path, json=body, headers=headers) as resp:
                assert resp.status < 300, await resp.text()
                return dict(await resp.json()) if resp.content_length != 0 else {}

        await call(
            "POST",
            "/api/v1/groups",
            "olga",
            {"name": "payroll-help", "title": "Payroll help", "visibility": "org"},
        )
        for name in PEOPLE[1:]:
            await call(
                "PUT", f"/api/v1/groups/payroll-help/members/{name}", "olga", {"role": "member"}
            )
        for n, tag in enumerate(("payroll", "visas", "visas", "visas")):
            q = await call(
                "POST",
                "/api/v1/groups/payroll-help/posts",
                "carl",
                {"kind": "question", "title": f"Question {n}?", "body": "How?", "tags": [tag]},
            )
            if tag == "payroll":
                await call("POST", f"/api/v1/posts/{q['id']}/replies", "bob", {"body": "So."})
        for name in PEOPLE:
            await call("GET", "/api/v1/search?q=kerberos", name)
        page = "/api/v1/groups/payroll-help/pages/cut-off"
        await call("PUT", page, "olga", {"title": "Payroll cut-off", "body": "The 20th."})
        for name in PEOPLE[1:]:
            await call("GET", page, name)
        program = await call("POST", "/api/v1/programs", "admin",
                             {"name": "New hires", "owners": ["olga"]})  # fmt: skip
        pid = program["id"]
        await call("POST", f"/api/v1/programs/{pid}/mentors", "bob",
                   {"topics": ["payroll"], "capacity": 1})  # fmt: skip
        await call("POST", f"/api/v1/programs/{pid}/mentees", "dina", {"goals": ["payroll"]})
        proposal = await call("POST", f"/api/v1/programs/{pid}/match", "olga")
        await call("POST", f"/api/v1/programs/{pid}/proposals/{proposal['id']}/publish", "olga")
        return str(pid)


async def test_insights_page_draws_its_charts_accessibly(
    site_services: tuple[str, Services], browser
) -> None:
    site, services = site_services
    pid = await _scene(site, services)
    admin = await Person.open(browser, site)
    await admin.login("admin")
    await admin.goto("/admin")
    await admin.page.get_by_role("link", name="Learning insights").click()
    await admin.page.wait_for_url(f"{site}/insights?scope=server")
    page = admin.page
    charts = page.locator("svg.chart[role=img]")
    assert await charts.count() == 5  # by week, shares, gaps, pages, searches that found nothing
    assert await page.locator("script:not([src])").count() == 0
    for name in ("Median time to a first answer, by week", "Knowledge gaps: questions per topic",
                 "FAQ pages by readers", "Searches that found nothing"):  # fmt: skip
        assert await page.get_by_role("img", name=name).count() == 1
    assert await page.locator("table caption").count() == 5
    text = await page.locator("main").inner_text()
    assert "#visas" in text and "kerberos" in text and "Payroll cut-off (payroll-help)" in text
    await admin.check("insights-server")
    await admin.close()

    owner = await Person.open(browser, site)
    await owner.login("olga")
    await owner.goto("/groups/payroll-help")
    await owner.page.get_by_role("link", name="Insights").click()
    await owner.page.wait_for_url(f"{site}/insights?scope=group:payroll-help")
    assert "kerberos" not in await owner.page.locator("main").inner_text()
    await owner.check("insights-group")
    await owner.page.get_by_role("link", name="New hires").click()
    await owner.page.wait_for_url(f"{site}/insights?scope=program%3A{pid}*")
    chart = owner.page.get_by_role("img", name="Mentoring pairs by the week they started")
    assert await chart.count() == 1
    assert "Started week of" in await owner.page.locator("main").inner_text()
    await owner.check("insights-program")
    await owner.close()

    member = await Person.open(browser, site)
    await member.login("bob")
    await member.goto("/groups/payroll-help")
    assert await member.page.get_by_role("link", name="Insights").count() == 0
    response = await member.goto("/insights?scope=group:payroll-help")
    assert response.status == 404
    await member.goto("/insights")
    await member.check("insights-mine")
    await member.close()
