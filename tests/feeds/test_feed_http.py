"""HTTP behaviour readers rely on: conditional GET, HEAD, caching headers, RFC 5005 paging,
RFC 6721 tombstones, and renders only when the feed changed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime

import feedparser

from feedserver import appkeys
from feedserver.domain.ids import new_id
from feedserver.models.feeds import PAGE_SIZE
from feedserver.store import posts as post_store
from tests.conftest import Api
from tests.feeds.conftest import cache, feed_urls, fetch, new_post, parse


async def _group(admin: Api) -> tuple[Api, str]:
    alice = await admin.add_member("alice")
    assert (await alice.post("/api/v1/groups", {"name": "pay", "title": "Pay"}))[0] == 201
    return alice, (await feed_urls(alice))["groups"][0]["url"]


async def test_conditional_get_and_etag_changes_with_entries(admin: Api, client) -> None:
    alice, url = await _group(admin)
    post = await new_post(alice, "pay", "Original title")

    status, headers, body = await fetch(client, url)
    assert status == 200
    assert headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert headers["Cache-Control"] == "private, max-age=300"
    etag, modified = headers["ETag"], headers["Last-Modified"]
    assert etag.startswith('"') and not etag.startswith("W/")
    renders = cache(client).renders

    # Repeat, revalidate by ETag, revalidate by date: nothing is rendered again.
    assert (await fetch(client, url))[2] == body
    status, headers, again = await fetch(client, url, **{"If-None-Match": etag})
    assert status == 304 and again == b"" and headers["ETag"] == etag
    status, _, again = await fetch(client, url, **{"If-None-Match": f'"other", W/{etag}'})
    assert status == 304 and again == b""
    # A date past the newest change (Last-Modified itself only once its second is over).
    later = formatdate(parsedate_to_datetime(modified).timestamp() + 2, usegmt=True)
    status, _, again = await fetch(client, url, **{"If-Modified-Since": later})
    assert status == 304 and again == b""
    assert cache(client).renders == renders

    # HEAD: the same headers, no body.
    status, headers, again = await fetch(client, url, method="HEAD")
    assert status == 200 and again == b"" and headers["ETag"] == etag

    # A new post changes the ETag.
    await new_post(alice, "pay", "Second")
    status, headers, _ = await fetch(client, url, **{"If-None-Match": etag})
    assert status == 200 and headers["ETag"] != etag
    etag = headers["ETag"]
    before = {e.id: e for e in feedparser.parse((await fetch(client, url))[2]).entries}

    # An edit keeps the entry's id and moves its `updated`.
    await asyncio.sleep(0.01)
    status, _ = await alice.patch(f"/api/v1/posts/{post['id']}", {"title": "Edited title"})
    assert status == 200
    status, headers, body = await fetch(client, url, **{"If-None-Match": etag})
    assert status == 200 and headers["ETag"] != etag
    etag = headers["ETag"]
    after = {e.id: e for e in feedparser.parse(body).entries}
    assert after.keys() == before.keys()
    entry_id = next(k for k in after if k.endswith(post["id"]))
    assert after[entry_id].title == "Edited title"
    assert after[entry_id].updated > before[entry_id].updated
    assert after[entry_id].published == before[entry_id].published

    # A deletion changes the ETag and leaves an RFC 6721 tombstone.
    status, _ = await alice.delete(f"/api/v1/posts/{post['id']}")
    assert status == 204
    status, headers, body = await fetch(client, url, **{"If-None-Match": etag})
    assert status == 200 and headers["ETag"] != etag
    assert b'xmlns:at="http://purl.org/atompub/tombstones/1.0"' in body
    assert f'<at:deleted-entry ref="{entry_id}"'.encode() in body
    assert [e.title for e in feedparser.parse(body).entries] == ["Second"]


async def test_accepting_an_answer_changes_thread_and_group_etags(admin: Api, client) -> None:
    alice, url = await _group(admin)
    question = await new_post(alice, "pay", "Q?", kind="question")
    status, answer = await alice.post(f"/api/v1/posts/{question['id']}/replies", {"body": "A"})
    assert status == 201
    thread = (await feed_urls(alice, post=question["id"]))["posts"][0]["url"]
    etags = [(await fetch(client, u))[1]["ETag"] for u in (url, thread)]
    assert (await alice.post(f"/api/v1/posts/{answer['id']}/accept"))[0] == 200
    for u, etag in zip((url, thread), etags, strict=True):
        status, headers, _ = await fetch(client, u, **{"If-None-Match": etag})
        assert status == 200 and headers["ETag"] != etag
    feed = await parse(client, thread)
    assert "accepted" in {t.term for t in feed.entries[0].tags}


async def test_home_and_tag_versions_follow_their_groups(admin: Api, client) -> None:
    alice, _ = await _group(admin)
    bob = await admin.add_member("bob")
    assert (await bob.post("/api/v1/groups", {"name": "bobs", "title": "Bob's"}))[0] == 201
    urls = await feed_urls(alice, tag="payroll")
    home, tag = urls["home"], urls["tags"][0]["url"]
    etags = {u: (await fetch(client, u))[1]["ETag"] for u in (home, tag)}
    # A change in a group alice cannot read leaves her feeds alone.
    await new_post(bob, "bobs", "Bob's own", tags=["payroll"])
    for u, etag in etags.items():
        assert (await fetch(client, u, **{"If-None-Match": etag}))[0] == 304
    await new_post(alice, "pay", "Alice's", tags=["payroll"])
    for u, etag in etags.items():
        status, headers, body = await fetch(client, u, **{"If-None-Match": etag})
        assert status == 200 and b"Alice's" in body and b"Bob's own" not in body
        etags[u] = headers["ETag"]
    # Joining and leaving a group change the home feed.
    assert (await bob.put("/api/v1/groups/bobs/members/alice", {"role": "member"}))[0] == 200
    status, headers, body = await fetch(client, home, **{"If-None-Match": etags[home]})
    assert status == 200 and b"Bob's own" in body
    joined = headers["ETag"]
    assert (await alice.delete("/api/v1/groups/bobs/members/alice"))[0] == 204
    status, headers, body = await fetch(client, home, **{"If-None-Match": joined})
    assert status == 200 and b"Bob's own" not in body and headers["ETag"] != joined
    # Back to the very same groups and changes as before joining: the same version again.
    assert headers["ETag"] == etags[home]


async def test_paging_fifty_entries_with_next_links(admin: Api, client) -> None:
    alice, url = await _group(admin)
    db = client.app[appkeys.SERVICES].db
    async with db.read() as conn:
        group = await conn.execute_fetchall("SELECT id FROM groups WHERE name = 'pay'")
        member = await conn.execute_fetchall("SELECT id FROM members WHERE username = 'alice'")
    total = 2 * PAGE_SIZE + 7
    async with db.write() as conn:  # fixture rows straight through the store
        for n in range(total):
            await post_store.insert(
                conn, id=new_id(1_700_000_000_000 + n), group_id=group[0][0], parent_id=None,
                kind="note", author_id=member[0][0], title=f"note {n}", body="b",
                body_html="<p>b</p>", tags=(), now=datetime.now(UTC),
            )  # fmt: skip
    seen: list[str] = []
    page, pages = url, 0
    while page:
        feed = await parse(client, page)
        pages += 1
        links = {link.rel: link.href for link in feed.feed.links}
        assert links["self"] == page
        assert links["first"] == url
        seen += [e.title for e in feed.entries]
        assert len(feed.entries) == (PAGE_SIZE if pages < 3 else 7)
        page = links.get("next")
    assert pages == 3
    assert seen == [f"note {n}" for n in reversed(range(total))]


async def test_repeated_polls_skip_the_database_until_any_write(admin: Api, client) -> None:
    alice, url = await _group(admin)
    await new_post(alice, "pay", "First")
    answers = cache(client).answers
    status, headers, body = await fetch(client, url)
    assert status == 200
    hits = answers.hits
    assert (await fetch(client, url))[2] == body
    status, _, _ = await fetch(client, url, **{"If-None-Match": headers["ETag"]})
    assert status == 304 and answers.hits == hits + 2
    # Any committed write invalidates every remembered answer: the next poll is exact again.
    await new_post(alice, "pay", "Second")
    status, _, changed = await fetch(client, url, **{"If-None-Match": headers["ETag"]})
    assert status == 200 and b"Second" in changed and answers.hits == hits + 2


async def test_a_304_after_an_unrelated_write_lets_the_next_poll_skip_the_database(
    admin: Api, client
) -> None:
    alice, url = await _group(admin)
    await new_post(alice, "pay", "First")
    status, headers, _ = await fetch(client, url)
    assert status == 200
    # A write this feed does not show: the remembered answer is dropped, the ETag is not.
    assert (await alice.post("/api/v1/groups", {"name": "other", "title": "Other"}))[0] == 201
    answers = cache(client).answers
    hits = answers.hits
    status, again, _ = await fetch(client, url, **{"If-None-Match": headers["ETag"]})
    assert status == 304 and again["ETag"] == headers["ETag"] and answers.hits == hits
    status, _, _ = await fetch(client, url, **{"If-None-Match": headers["ETag"]})
    assert status == 304 and answers.hits == hits + 1
