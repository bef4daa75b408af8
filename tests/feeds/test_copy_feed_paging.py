"""A home or tag feed over our posts and a copy of a partner's group pages through both by one
cursor: each entry once, newest first, pages of 50 linked by rel="next". The copy's posts are
written by the store's put_post, as the inbox writes them, stamped among our own posts. The
web home and tag pages page the same way."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from feedserver import appkeys
from feedserver.store import cached_groups as cached_store
from tests.conftest import Api
from tests.feeds.conftest import feed_urls, new_post, parse
from tests.web.conftest import Browser

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
ACTOR = "https://a.example/groups/payroll-pros"


def _moment(post_id: str) -> datetime:
    """When a post id of ours was made (its first 48 bits: milliseconds)."""
    millis = 0
    for char in post_id[:10]:
        millis = millis * 32 + ALPHABET.index(char)
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=millis)


def _copy(raw, member_id: str, local_ids: list[str]) -> None:
    raw.execute(
        "INSERT INTO partners (host, base_url, actor_id, inbox_url, created_at, groups)"
        " VALUES ('a.example', 'https://a.example', 'https://a.example/actor',"
        " 'https://a.example/inbox', '2026-01-01T00:00:00.000000Z', 1)"
    )
    now = datetime.now(UTC)
    cached_store.put_group(
        raw, actor_id=ACTOR, host="a.example", name="payroll-pros", title="Payroll pros",
        description="", version=1, members=[(member_id, "member")], now=now,
    )  # fmt: skip
    for n, local_id in enumerate(local_ids):  # one just after each of ours
        when = (_moment(local_id) + timedelta(microseconds=500)).isoformat()
        cached_store.put_post(
            raw, object_id=f"https://a.example/posts/{n}", group_actor=ACTOR, parent_id=None,
            kind="question", author="dora@a.example", title=f"Shared {n}", body_html="<p>b</p>",
            tags="payroll", published=when, updated=when, obj={}, now=now,
        )  # fmt: skip


async def test_feeds_and_pages_run_through_ours_and_the_copys_once(
    admin: Api, client, aiohttp_client
) -> None:
    alice = await admin.add_member("alice")
    assert (await alice.post("/api/v1/groups", {"name": "pay", "title": "Pay"}))[0] == 201
    local = [(await new_post(alice, "pay", f"Local {n}", tags=["payroll"]))["id"]
             for n in range(35)]  # fmt: skip
    services = client.app[appkeys.SERVICES]
    async with services.db.read() as conn:
        found = await conn.execute_fetchall("SELECT id FROM members WHERE username = 'alice'")
    member_id = next(iter(found))[0]
    await services.db.write_grouped(lambda raw: _copy(raw, member_id, local))
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
