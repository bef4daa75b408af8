"""B's home and tag feeds show the posts of the partners' groups a reader belongs to, merged
with B's own posts, and nobody else's: three real servers on loopback, the feeds fetched over
HTTP as a reader fetches them, checked by feedparser, the W3C validator and newsboat."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
import feedparser

from feedserver.federation.objects import OBJECT_CONTEXT
from feedserver.federation.proofs import sign_object
from tests.federation.test_inbox import post, signed_post
from tests.feeds.test_feed_validator import problems
from tests.feeds.test_newsboat import NEWSBOAT, _unread

from .test_shared_group_flow import drain, dump, login, setup_group
from .test_shared_group_pages import page_as

SECRET = "Which payroll run covers the bonus back-pay?"


async def _get(url: str, etag: str | None = None, since: str | None = None) -> tuple[int, str, Any]:
    headers = {"If-None-Match": etag} if etag else {}
    headers |= {"If-Modified-Since": since} if since else {}
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as resp:
        return resp.status, await resp.text(), resp.headers.copy()


async def _feeds(node, token) -> tuple[str, str]:
    """The member's home feed URL and their feed of the tag `payroll` on `node`."""
    status, body = await node.call("GET", "/api/v1/me/feeds?tag=payroll", token=token)
    assert status == 200, body
    return body["home"], body["tags"][0]["url"]


async def _post(node, token, group, title, tags=("payroll",)):
    status, body = await node.call("POST", f"/api/v1/groups/{group}/posts",
                                   {"kind": "question", "title": title, "body": "Details",
                                    "tags": list(tags)}, token=token)  # fmt: skip
    assert status == 201, body
    return body


def _late_post(a) -> dict:
    """A question tagged payroll the host A stamped long ago, relayed now."""
    url = f"{a.url}/groups/payroll-pros"
    obj = {
        "@context": OBJECT_CONTEXT, "id": f"{a.url}/posts/late", "type": "Question",
        "attributedTo": f"{a.url}/users/alice", "audience": url, "content": "<p>Late</p>",
        "name": "Relayed late", "published": "2026-01-01T00:00:00Z",
        "updated": "2026-01-01T00:00:00Z", "feedserver:kind": "question",
        "tag": [{"type": "Hashtag", "name": "#payroll"}],
    }  # fmt: skip
    return {
        "@context": OBJECT_CONTEXT, "id": f"{url}#activity-late", "type": "Create",
        "actor": f"{a.url}/actor", "audience": url,
        "object": sign_object(obj, a.key, a.key_id),
    }  # fmt: skip


async def _next_second() -> None:
    """Until the clock's second changes (at most one): a host stamps `published` to the
    second, so posts made in one second have no order between servers."""
    start = int(time.time())
    while int(time.time()) == start:
        await asyncio.sleep(0.02)


async def _bob_in_the_group(a, b, c):
    """alice hosts payroll-pros on A with bob (on B) in it; carol on B is not; bob also
    belongs to a group of B's own."""
    alice, bob, carol = await setup_group(a, b, c)
    status, _ = await a.call("PUT", f"/api/v1/groups/payroll-pros/members/bob@{b.host}",
                             {"role": "member"}, token=alice)  # fmt: skip
    assert status == 200
    status, _ = await b.call("POST", "/api/v1/groups",
                             {"name": "ours", "title": "Ours"}, token=bob)  # fmt: skip
    assert status == 201
    await drain(a, b, c)
    return alice, bob, carol


async def test_members_home_and_tag_feeds_show_the_copy_and_nobody_elses(trio, tmp_path: Path):
    a, b, c = trio
    alice, bob, carol = await _bob_in_the_group(a, b, c)
    dave = await login(c, "dave")
    await _post(b, bob, "ours", "Older local question")
    await _next_second()
    asked = await _post(a, alice, "payroll-pros", SECRET)
    await drain(a, b, c)
    await _next_second()
    await _post(b, bob, "ours", "Newer local question")
    address = f"payroll-pros@{a.host}"
    home, tag = await _feeds(b, bob)
    for url in (home, tag):
        status, text, _ = await _get(url)
        assert status == 200 and SECRET in text, text
        parsed = feedparser.parse(text)
        # One order, newest first, across B's posts and the copy's.
        assert [e.title for e in parsed.entries] == [
            "Newer local question",
            SECRET,
            "Older local question",
        ]
        shared = parsed.entries[1]
        assert shared.id == f"{a.url}/posts/{asked['id']}"  # its id on its host
        assert shared.link.startswith(f"{b.url}/groups/{address}#p-")
        terms = {t.term for t in shared.tags}
        assert {"payroll", "question", address} <= terms
        assert problems(text.encode(), url) == [], text
    # The link goes to the thread on B's page of the copy.
    anchor = shared.link.split("#", 1)[1]
    status, page = await page_as(b, "bob", f"/groups/{address}")
    assert status == 200 and f'id="{anchor}"' in page
    # B's web home and tag pages show it to bob, linked to the same place.
    for path in ("/", "/tags/payroll"):
        status, page = await page_as(b, "bob", path)
        assert status == 200 and SECRET in page and f'href="/groups/{address}#{anchor}"' in page
        status, page = await page_as(b, "carol", path)
        assert status == 200 and SECRET not in page
    # carol, on B but not in the group; dave on C; anyone without a token: never.
    for node, token in ((b, carol), (c, dave)):
        for url in await _feeds(node, token):
            status, text, _ = await _get(url)
            assert status == 200 and SECRET not in text and "payroll-pros" not in text
    for url in (home.split("?")[0], tag.split("?")[0], home.replace(b.host, c.host)):
        status, text, _ = await _get(url)
        assert status == 404 and SECRET not in text
    # A real reader follows bob's home feed: three entries, then four.
    if NEWSBOAT is not None:
        reader = tmp_path / "newsboat"
        reader.mkdir()
        assert await _unread(reader, home) == 3
        await _post(a, alice, "payroll-pros", "A second shared question")
        await drain(a, b)
        assert await _unread(reader, home) == 4
    # bob removed from the group: gone from both of his feeds.
    status, _ = await a.call("DELETE", f"/api/v1/groups/payroll-pros/members/bob@{b.host}",
                             token=alice)  # fmt: skip
    assert status == 204
    await drain(a, b)
    for url in (home, tag):
        status, text, _ = await _get(url)
        assert status == 200 and SECRET not in text and "Newer local question" in text
    for path in ("/", "/tags/payroll"):
        status, page = await page_as(b, "bob", path)
        assert status == 200 and SECRET not in page and "Newer local question" in page


async def test_a_group_narrowed_to_private_leaves_the_feeds(trio):
    a, b, c = trio
    alice, bob, _ = await _bob_in_the_group(a, b, c)
    await _post(a, alice, "payroll-pros", SECRET)
    await drain(a, b)
    home, tag = await _feeds(b, bob)
    assert SECRET in (await _get(home))[1] and SECRET in (await _get(tag))[1]
    status, _ = await a.call("PATCH", "/api/v1/groups/payroll-pros", {"visibility": "private"},
                             token=alice)  # fmt: skip
    assert status == 200
    await drain(a, b)
    for url in (home, tag):
        status, text, _ = await _get(url)
        assert status == 200 and SECRET not in text
    assert SECRET not in await dump(b)


async def test_validators_move_with_every_change_of_a_copy_the_feeds_show(trio):
    """A reader sending its ETag gets the new page (200), never a stale 304, when a post of
    the copy arrives, is edited or deleted, and when the reader joins or leaves the group."""
    a, b, c = trio
    alice, bob, carol = await setup_group(a, b, c)
    await a.call("PUT", f"/api/v1/groups/payroll-pros/members/carol@{b.host}",
                 {"role": "member"}, token=alice)  # fmt: skip
    asked = await _post(a, alice, "payroll-pros", SECRET)
    await drain(a, b)
    # bob's own newest post is later than the copy's posts.
    await _next_second()
    status, _ = await b.call("POST", "/api/v1/groups", {"name": "ours", "title": "Ours"},
                             token=bob)  # fmt: skip
    assert status == 201
    await _post(b, bob, "ours", "Local question")
    await _next_second()  # Last-Modified is no later than the present second: now it is it
    urls = await _feeds(b, bob)
    etags, modified = {}, {}
    for url in urls:
        status, text, headers = await _get(url)
        assert status == 200 and SECRET not in text
        etags[url], modified[url] = headers["ETag"], headers["Last-Modified"]
        assert (await _get(url, etags[url]))[0] == 304  # unchanged: the validator holds

    async def changed(shows: str | None, gone: str | None = None, dated: bool = False) -> None:
        for url in urls:
            status, text, headers = await _get(url, etags[url])
            assert status == 200, (url, status)
            assert shows is None or shows in text
            assert gone is None or gone not in text
            if dated:  # a post that arrived or changed moves Last-Modified too
                assert (await _get(url, since=modified[url]))[0] == 200
            etags[url], modified[url] = headers["ETag"], headers["Last-Modified"]
            assert (await _get(url, etags[url]))[0] == 304

    # bob joins: the copy's question appears in his feeds.
    await a.call("PUT", f"/api/v1/groups/payroll-pros/members/bob@{b.host}",
                 {"role": "member"}, token=alice)  # fmt: skip
    await drain(a, b)
    await changed(SECRET)
    # A new post arrives.
    await _post(a, alice, "payroll-pros", "Bonus cut-off dates")
    await drain(a, b)
    await changed("Bonus cut-off dates", dated=True)
    # A post relayed late (its host stamped it long before bob's own newest post): taken
    # now, it moves Last-Modified all the same.
    status, _, _ = await post(b, *signed_post(a, b, _late_post(a)))
    assert status == 202
    await changed("Relayed late", dated=True)
    # An edit arrives.
    status, _ = await a.call("PATCH", f"/api/v1/posts/{asked['id']}",
                             {"title": "Back-pay: which run?"}, token=alice)  # fmt: skip
    assert status == 200
    await drain(a, b)
    await changed("Back-pay: which run?", gone=SECRET, dated=True)
    # A delete arrives.
    status, _ = await a.call("DELETE", f"/api/v1/posts/{asked['id']}", token=alice)
    assert status == 204
    await drain(a, b)
    await changed(None, gone="Back-pay: which run?")
    # bob leaves: what is left of the copy goes from his feeds.
    await a.call("DELETE", f"/api/v1/groups/payroll-pros/members/bob@{b.host}", token=alice)
    await drain(a, b)
    await changed(None, gone="Bonus cut-off dates")
