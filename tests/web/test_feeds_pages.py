"""My feeds (URLs, copy buttons, rotation) and feed autodiscovery on pages."""

from __future__ import annotations

import re

import feedparser

from tests.conftest import Api
from tests.web.conftest import csrf_of
from tests.web.scenes import group_with, post

ALTERNATE = re.compile(
    r'<link rel="alternate" type="application/atom\+xml" title="[^"]*" href="([^"]+)">'
)


def _path(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


async def test_my_feeds_lists_urls_that_work_and_rotation_revokes_them(browser_for, admin: Api):
    alice_api = await admin.add_member("alice")
    await group_with(alice_api, "payroll", {})
    await post(alice_api, "payroll", "Feed me", ["payroll"])
    alice = await browser_for("alice", create=False)
    status, html = await alice.get("/me/feeds?tag=payroll")
    assert status == 200 and 'data-copy="#feed-home"' in html
    rows = dict(re.findall(r'<input id="([^"]+)" class="mono" readonly value="([^"]+)"', html))
    urls = list(rows.values())
    # home, replies, unanswered; the group, its unanswered, its #payroll; the tag asked for
    # and its unanswered.
    assert sorted(rows) == sorted([
        "feed-home", "feed-replies", "feed-unanswered", "feed-group-1",
        "feed-group-unanswered-1", "feed-group-1-tag-1", "feed-tag-1", "feed-tag-unanswered-1",
    ])  # fmt: skip
    for row, url in rows.items():
        async with alice.client.get(_path(url).replace("&amp;", "&")) as resp:
            assert resp.status == 200 and resp.content_type == "application/atom+xml"
            parsed = feedparser.parse(await resp.read())
            assert parsed.bozo == 0
            shown = any(e.title.endswith("Feed me") for e in parsed.entries)
            assert shown == (row != "feed-replies"), row  # an unanswered question: no replies
    # Rotating without the token is refused and changes nothing.
    async with alice.client.post("/me/feeds/rotate", data={}) as resp:
        assert resp.status == 403
    async with alice.client.get(_path(urls[0]).replace("&amp;", "&")) as resp:
        assert resp.status == 200
    # Without the confirmation nothing is revoked: the page asks first.
    status, asked = await alice.submit("/me/feeds", "/me/feeds/rotate", {})
    assert status == 200 and "New feed addresses issued" not in asked
    assert '<details class="confirm" open>' in asked and "stops working now" in asked
    assert re.findall(r'readonly value="([^"]+)"', asked)[0] == urls[0]  # still the same
    status, rotated = await alice.submit("/me/feeds", "/me/feeds/rotate", {"confirm": "yes"})
    assert status == 200 and "New feed addresses issued" in rotated
    new_urls = re.findall(r'readonly value="([^"]+)"', rotated)
    assert new_urls and set(new_urls).isdisjoint(urls)
    async with alice.client.get(_path(urls[0]).replace("&amp;", "&")) as resp:
        assert resp.status == 404
    async with alice.client.get(_path(new_urls[0]).replace("&amp;", "&")) as resp:
        assert resp.status == 200
    status, html = await alice.get("/me/feeds?tag=no%2F%2Fgood")
    assert status == 200 and "A tag is one word" in html


async def test_pages_with_a_feed_carry_an_autodiscovery_link(browser_for, admin: Api):
    alice_api = await admin.add_member("alice")
    await group_with(alice_api, "payroll", {})
    question = await post(alice_api, "payroll", "Linked question", ["payroll"])
    alice = await browser_for("alice", create=False)
    for page, feed in (
        ("/", "/feeds/home.atom"),
        ("/groups/payroll", "/feeds/groups/payroll.atom"),
        ("/groups/payroll?tag=payroll", "/feeds/tags/payroll.atom"),
        ("/tags/payroll", "/feeds/tags/payroll.atom"),
        (f"/posts/{question}", f"/feeds/posts/{question}.atom"),
        ("/people/alice", "/feeds/members/alice.atom"),
    ):
        status, html = await alice.get(page)
        assert status == 200, page
        hrefs = [h.replace("&amp;", "&") for h in ALTERNATE.findall(html)]
        found = [h for h in hrefs if _path(h).startswith(feed + "?token=")]
        assert found, (page, hrefs)
        async with alice.client.get(_path(found[0])) as resp:
            assert resp.status == 200, (page, found[0])
            assert feedparser.parse(await resp.read()).bozo == 0
    status, html = await alice.get("/tags/payroll")
    assert "Linked question" in html
    carol = await browser_for("carol")
    status, html = await carol.get("/tags/payroll")
    assert status == 200 and "Linked question" not in html  # private group: not for carol
    _, html = await carol.get("/")
    assert csrf_of(html)
