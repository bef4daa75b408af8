"""A home or tag feed over our posts and a copy of a partner's group pages through both by one
cursor: each entry once, newest first, pages of 50 linked by rel="next". The copy's posts are
written by the store's put_post, as the inbox writes them, stamped among our own posts. The
web home and tag pages page the same way."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from feedserver import appkeys
from tests.conftest import Api
from tests.feeds.conftest import feed_urls, new_post, parse
from tests.feeds.copies import add_copy
from tests.web.conftest import Browser

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def _moment(post_id: str) -> datetime:
    """When a post id of ours was made (its first 48 bits: milliseconds)."""
    millis = 0
    for char in post_id[:10]:
        millis = millis * 32 + ALPHABET.index(char)
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=millis)


async def test_feeds_and_pages_run_through_ours_and_the_copys_once(
    admin: Api, client, aiohttp_client
) -> None:
    alice = await admin.add_member("alice")
    assert (await alice.post("/api/v1/groups", {"name": "pay", "title": "Pay"}))[0] == 201
    local = [(await new_post(alice, "pay", f"Local {n}", tags=["payroll"]))["id"]
             for n in range(35)]  # fmt: skip
    services = client.app[appkeys.SERVICES]
    # The copy's posts: one just after each of ours.
    shared = [{"object_id": f"https://a.example/posts/{n}", "title": f"Shared {n}",
               "body_html": "<p>b</p>", "tags": "payroll",
               "published": (_moment(post_id) + timedelta(microseconds=500)).isoformat()}
              for n, post_id in enumerate(local)]  # fmt: skip
    await add_copy(services, "alice", shared)
    async with services.db.read() as conn:
        keys = await conn.execute_fetchall("SELECT object_id, feed_key, title FROM cached_posts")
    base = services.config.public_url
    expected = sorted(
        [(post_id, f"{base}/posts/{post_id}") for post_id in local]
        + [(key, object_id) for object_id, key, _ in keys],
        reverse=True,
    )
    urls = await feed_urls(alice, tag="payroll")
    for url in (urls["home"], urls["tags"][0]["url"]):
        seen, sizes, page = [], [], url
        while page:
            parsed = await parse(client, page)
            seen += [e.id for e in parsed.entries]
            sizes.append(len(parsed.entries))
            page = next((link.href for link in parsed.feed.links if link.rel == "next"), None)
        assert sizes == [50, 20]
        assert seen == [entry_id for _, entry_id in expected]
    # The web home and tag pages too, 20 a page, by the same cursor.
    titles = {post_id: f"Local {n}" for n, post_id in enumerate(local)}
    titles |= {key: title for _, key, title in keys}
    in_order = [titles[key] for key, _ in expected]
    web = await Browser(await aiohttp_client(client.server)).login("alice")
    for path, more in (("/", "More activity"), ("/tags/payroll", "Older posts")):
        seen, page = [], path
        while page:
            status, html = await web.get(page)
            assert status == 200
            seen += re.findall(r">((?:Local|Shared) \d+)</a>", html)
            found = re.search(rf'href="([^"]+)">{more}</a>', html)
            page = found.group(1).replace("&amp;", "&") if found else None
        assert seen == in_order, path
