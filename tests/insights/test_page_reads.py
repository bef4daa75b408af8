"""FAQ pages by readers and by edits: reads through the API and the web page by members who
may read the page, each member once per page per day, counted in memory and written in a
batch (no write per read); only the scopes that may see the pages show them."""

from __future__ import annotations

from feedserver import appkeys
from feedserver.domain.page_reads import PageReads
from feedserver.http.insights import as_csv
from tests.conftest import Api
from tests.web.conftest import Browser

PAGE = "/api/v1/groups/help/pages"


async def _page(olga: Api, slug: str, title: str, edits: int) -> None:
    for base in range(edits):
        status, body = await olga.put(f"{PAGE}/{slug}", {
            "title": title, "body": f"Version {base + 1}", "base_revision": base})  # fmt: skip
        assert status in (200, 201), body


async def _stored_views(admin: Api) -> int:
    services = admin.client.app[appkeys.SERVICES]
    async with services.db.read() as conn, conn.execute(
        "SELECT coalesce(sum(views), 0) FROM insight_pages"
    ) as cur:  # fmt: skip
        return int((await cur.fetchone())[0])


async def test_faq_pages_by_readers_and_edits(admin: Api, aiohttp_client):
    olga, mia, bob, carl = [await admin.add_member(n) for n in ("olga", "mia", "bob", "carl")]
    status, _ = await olga.post("/api/v1/groups", {"name": "help", "title": "Help",
                                                   "visibility": "private"})  # fmt: skip
    assert status == 201
    for name in ("mia", "bob"):
        status, _ = await olga.put(f"/api/v1/groups/help/members/{name}", {"role": "member"})
        assert status in (200, 201)
    await _page(olga, "cut-off", "Cut-off", edits=2)
    await _page(olga, "taxes", "Taxes", edits=1)

    for _ in range(3):  # Mia three times: one reader, three views
        assert (await mia.get(f"{PAGE}/cut-off"))[0] == 200
    assert (await bob.get(f"{PAGE}/cut-off"))[0] == 200
    web = await Browser(await aiohttp_client(admin.client.server)).login("bob")
    status, html = await web.get("/groups/help/pages/cut-off")
    assert status == 200 and "Cut-off" in html
    assert (await olga.get(f"{PAGE}/taxes"))[0] == 200
    assert (await carl.get(f"{PAGE}/taxes"))[0] == 404  # may not read it: not counted
    assert (await admin.as_(None).get(f"{PAGE}/taxes"))[0] == 401
    assert await _stored_views(admin) == 0  # reads wait in memory: no write per read

    status, report = await olga.get("/api/v1/insights?scope=group:help")
    assert status == 200, report
    assert report["reuse"] == {
        "faq_page_edits": 3, "helpful_marks_on_answers": 0, "faq_pages": [
            {"group": "help", "slug": "cut-off", "title": "Cut-off", "readers": 2, "views": 5,
             "edits": 2},
            {"group": "help", "slug": "taxes", "title": "Taxes", "readers": 1, "views": 1,
             "edits": 1},
        ],
    }  # fmt: skip
    assert await _stored_views(admin) == 6  # the report wrote the batch first
    assert "reuse.faq_pages.0.readers,2\r\n" in as_csv(report)
    status, csv = await olga.get("/api/v1/insights?scope=group:help",
                                 headers={"Accept": "text/csv"})  # fmt: skip
    assert status == 200 and "reuse.faq_pages.1.slug,taxes\r\n" in csv

    status, server = await admin.get("/api/v1/insights?scope=server")
    assert status == 200 and server["reuse"]["faq_pages"] == report["reuse"]["faq_pages"]
    # A second read the same day adds a view, not a reader.
    assert (await mia.get(f"{PAGE}/cut-off"))[0] == 200
    status, again = await olga.get("/api/v1/insights?scope=group:help")
    assert again["reuse"]["faq_pages"][0] == {
        "group": "help", "slug": "cut-off", "title": "Cut-off", "readers": 2, "views": 6,
        "edits": 2}  # fmt: skip
    # Who may not see the group's insights sees none of its pages.
    assert (await mia.get("/api/v1/insights?scope=group:help"))[0] == 404
    status, mine = await mia.get("/api/v1/insights?scope=me")
    assert status == 200 and "reuse" not in mine


def test_a_member_counts_once_per_page_per_day() -> None:
    reads = PageReads()
    for day, page, member in (("2026-11-02", "p1", "m1"), ("2026-11-02", "p1", "m1"),
                              ("2026-11-02", "p1", "m2"), ("2026-11-02", "p2", "m1"),
                              ("2026-11-03", "p1", "m1")):  # fmt: skip
        assert reads.record(day, page, "g", member) is False
    assert reads.pending == {
        ("p1", "2026-11-02"): ("g", 2, 3),
        ("p2", "2026-11-02"): ("g", 1, 1),
        ("p1", "2026-11-03"): ("g", 1, 1),
    }
