"""Bytes and caching: gzip from the cache, pages capped in bytes, validators that move exactly
with what a feed shows, a Last-Modified that moves within a second, entries whose `updated`
never goes backwards, and tag feeds with only their own tombstones."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime

import aiohttp
import feedparser
import pytest
from aiohttp.test_utils import TestClient
from yarl import URL

from feedserver import appkeys
from feedserver.app import create_app
from feedserver.config import Config
from feedserver.domain import members
from feedserver.domain.ids import new_id
from feedserver.domain.services import Services
from feedserver.models.feeds import PAGE_SIZE
from feedserver.store import posts as post_store
from feedserver.store.engine import open_engine
from tests.conftest import PASSWORD, Api
from tests.expertise.conftest import Clock
from tests.feeds.conftest import cache, feed_urls, fetch, new_post, parse
from tests.feeds.test_feed_validator import problems


async def raw(client: TestClient, url: str, **headers: str):
    """(status, headers, body) exactly as sent: no Accept-Encoding unless given, and a gzip
    body left compressed (the test client's own session would add and undo both)."""
    headers.setdefault("Accept-Encoding", "identity")
    target = client.make_url(URL(url).path_qs)
    async with (
        aiohttp.ClientSession(auto_decompress=False) as session,
        session.get(target, headers=headers) as resp,
    ):
        return resp.status, resp.headers, await resp.read()


async def _group(api: Api, name: str = "pay") -> str:
    assert (await api.post("/api/v1/groups", {"name": name, "title": name.title()}))[0] == 201
    return next(g["url"] for g in (await feed_urls(api))["groups"] if g["name"] == name)


async def test_gzip_comes_from_the_cached_page_with_each_readers_token(admin: Api, client) -> None:
    alice = await admin.add_member("alice")
    bob = await admin.add_member("bob")
    url = await _group(alice)
    assert (await alice.put("/api/v1/groups/pay/members/bob", {"role": "member"}))[0] == 200
    for n in range(20):
        await new_post(
            alice, "pay", f"Late check {n}", kind="question", body="The same words. " * 40
        )
    bob_url = next(g["url"] for g in (await feed_urls(bob))["groups"] if g["name"] == "pay")

    status, headers, plain = await raw(client, url)
    assert status == 200 and "Content-Encoding" not in headers
    assert headers["Vary"] == "Accept-Encoding"
    renders = cache(client).renders
    status, headers, packed = await raw(client, url, **{"Accept-Encoding": "gzip, br"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert headers["Vary"] == "Accept-Encoding" and headers["ETag"]
    assert gzip.decompress(packed) == plain
    assert len(packed) * 4 < len(plain)
    # Bob's copy: the same cached page (no render), compressed once, with his own tokens.
    status, headers, bobs = await raw(client, bob_url, **{"Accept-Encoding": "gzip"})
    assert status == 200 and cache(client).renders == renders
    bob_plain = gzip.decompress(bobs)
    assert bob_url.split("token=")[1].encode() in bob_plain
    assert url.split("token=")[1].encode() not in bob_plain
    rendered = next(iter(cache(client)._items.values()))
    for piece in rendered.pieces.packed:
        assert piece in bobs  # the deflate blocks compressed when the page was rendered
    # The thread feed each question links to opens with the reader's own token.
    replies = [link.href for e in feedparser.parse(bob_plain).entries for link in e.links
               if link.rel == "replies"]  # fmt: skip
    assert len(replies) == 20
    assert (await raw(client, replies[0]))[0] == 200
    # Refused or not asked: plain. 304s carry no body either way.
    status, headers, body = await raw(client, url, **{"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in headers and body == plain
    status, headers, body = await fetch(
        client, url, **{"Accept-Encoding": "gzip", "If-None-Match": headers["ETag"]}
    )
    assert status == 304 and body == b"" and headers["Vary"] == "Accept-Encoding"


async def test_a_page_of_huge_bodies_is_capped_in_bytes_and_still_valid(admin: Api, client) -> None:
    alice = await admin.add_member("alice")
    url = await _group(alice)
    db = client.app[appkeys.SERVICES].db
    async with db.read() as conn:
        group = (await conn.execute_fetchall("SELECT id FROM groups WHERE name = 'pay'"))[0][0]
        member = await conn.execute_fetchall("SELECT id FROM members WHERE username = 'alice'")
    huge = "<p>" + "All work and no play. " * 4545 + "</p>"  # 100,000 characters
    async with db.write() as conn:  # fixture rows straight through the store
        for n in range(PAGE_SIZE):
            await post_store.insert(
                conn, id=new_id(1_700_000_000_000 + n), group_id=group, parent_id=None,
                kind="note", author_id=member[0][0], title=f"huge {n}", body="b",
                body_html=huge if n % 2 else "<p>small</p>", tags=(), now=datetime.now(UTC),
            )  # fmt: skip
    for n in range(20):  # "page updated" entries just under the size shown whole
        status, _ = await alice.put(
            f"/api/v1/groups/pay/pages/long-{n}", {"title": f"Long {n}", "body": "Text. " * 10_500}
        )
        assert status in (200, 201)
    seen, page, pages = [], url, 0
    while page:
        status, _, body = await fetch(client, page)
        assert status == 200
        assert len(body) < 1024 * 1024, len(body)
        assert problems(body, page) == []
        feed = feedparser.parse(body)
        pages += 1
        seen += [e.title for e in feed.entries if not e.title.startswith("Page updated")]
        for entry in feed.entries:
            if entry.title.startswith("huge") and int(entry.title.split()[1]) % 2:
                assert entry.summary and "too long for a feed" in entry.content[0].value
        page = {link.rel: link.href for link in feed.feed.links}.get("next")
    assert seen == [f"huge {n}" for n in reversed(range(PAGE_SIZE))]


async def test_validators_move_only_with_what_each_feed_shows(admin: Api, client) -> None:
    alice = await admin.add_member("alice")
    bob = await admin.add_member("bob")
    group_url = await _group(alice)
    assert (await alice.put("/api/v1/groups/pay/members/bob", {"role": "member"}))[0] == 200
    await _group(alice, "other")
    one = await new_post(alice, "pay", "One?", kind="question", tags=["payroll"])
    two = await new_post(alice, "pay", "Two?", kind="question")
    status, answer = await bob.post(f"/api/v1/posts/{one['id']}/replies", {"body": "Do X."})
    assert status == 201
    urls = await feed_urls(alice, tag="payroll", post=[one["id"], two["id"]])
    feeds = {"group": group_url, "home": urls["home"], "tag": urls["tags"][0]["url"],
             "one": urls["posts"][0]["url"], "two": urls["posts"][1]["url"],
             "replies": urls["replies"]}  # fmt: skip

    async def changed() -> set[str]:
        moved = set()
        for name, url in feeds.items():
            status, headers, _ = await fetch(client, url, **{"If-None-Match": etags[name]})
            if status == 200:
                moved.add(name)
                etags[name] = headers["ETag"]
        return moved

    etags = {name: (await fetch(client, url))[1]["ETag"] for name, url in feeds.items()}
    # A helpful mark shows nowhere: no feed moves.
    assert (await alice.put(f"/api/v1/posts/{answer['id']}/helpful"))[0] in (200, 204)
    assert await changed() == set()
    # An untagged post in another group: none of these feeds shows it.
    await new_post(alice, "other", "Elsewhere")
    assert await changed() == {"home"}
    # An answer to question two: its thread, the replies feed, and the feeds that show its
    # answer count (thr:count); not question one's thread, not the tag feed it is not in.
    status, _ = await bob.post(f"/api/v1/posts/{two['id']}/replies", {"body": "Do Y."})
    assert status == 201
    assert await changed() == {"two", "replies", "group", "home"}
    # Renaming the group: the feeds that show its title (a thread's subtitle names it).
    status, _ = await alice.patch("/api/v1/groups/pay", {"title": "Payroll people"})
    assert status == 200
    assert await changed() == {"group", "one", "two"}


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 2, 9, 0, 0, 300_000, tzinfo=UTC))


@pytest.fixture
async def clocked(aiohttp_client, config: Config, clock: Clock) -> TestClient:
    db = open_engine(
        config.database_url,
        config.db_path,
        readers=config.db_readers,
        synchronous=config.sqlite_synchronous,
    )
    app = create_app(config, Services(db=db, config=config, clock=clock))
    client = await aiohttp_client(app)
    await members.create(
        client.app[appkeys.SERVICES], username="admin", display_name="Admin",
        password=PASSWORD, is_admin=True,
    )  # fmt: skip
    return client


async def test_last_modified_moves_when_two_posts_land_in_one_second(
    clocked: TestClient, clock: Clock
) -> None:
    admin = await Api(clocked, None).login("admin")
    alice = await admin.add_member("alice")
    url = await _group(alice)
    await new_post(alice, "pay", "First")  # at 09:00:00.3
    status, headers, _ = await fetch(clocked, url)
    assert status == 200
    first = headers["Last-Modified"]
    clock.advance(milliseconds=400)
    await new_post(alice, "pay", "Second")  # at 09:00:00.7, the same second
    status, headers, body = await fetch(clocked, url, **{"If-Modified-Since": first})
    assert status == 200 and b"Second" in body  # a date-only reader does not miss it
    assert parsedate_to_datetime(headers["Last-Modified"]) <= clock.now
    # Once the second is over, Last-Modified is the end of it, and revalidates.
    clock.advance(seconds=2)
    status, headers, _ = await fetch(clocked, url)
    settled = headers["Last-Modified"]
    assert settled == formatdate(datetime(2026, 3, 2, 9, 0, 1, tzinfo=UTC).timestamp(), usegmt=True)
    assert (await fetch(clocked, url, **{"If-Modified-Since": settled}))[0] == 304


async def test_changing_the_accepted_answer_never_moves_an_entry_back(
    clocked: TestClient, clock: Clock
) -> None:
    admin = await Api(clocked, None).login("admin")
    alice = await admin.add_member("alice")
    await _group(alice)
    question = await new_post(alice, "pay", "Which form?", kind="question")
    answers = []
    for text in ("Form A.", "Form B."):
        clock.advance(minutes=1)
        status, reply = await alice.post(f"/api/v1/posts/{question['id']}/replies", {"body": text})
        assert status == 201
        answers.append(reply["id"])
    thread = (await feed_urls(alice, post=question["id"]))["posts"][0]["url"]

    async def entries() -> dict[str, feedparser.FeedParserDict]:
        status, _, body = await fetch(clocked, thread)
        assert status == 200 and problems(body, thread) == []  # no DuplicateUpdated
        return {e.id.rsplit("/", 1)[1]: e for e in feedparser.parse(body).entries}

    clock.advance(minutes=1)
    assert (await alice.post(f"/api/v1/posts/{answers[0]}/accept"))[0] == 200
    first = await entries()
    assert first[answers[0]].title.startswith("Accepted answer")
    clock.advance(minutes=1)
    assert (await alice.post(f"/api/v1/posts/{answers[1]}/accept"))[0] == 200
    second = await entries()
    # The first answer's entry changed (no longer accepted): its `updated` moves forward.
    assert not second[answers[0]].title.startswith("Accepted answer")
    assert second[answers[0]].updated_parsed >= first[answers[0]].updated_parsed
    assert second[answers[0]].updated > first[answers[0]].updated
    assert len({e.updated for e in second.values()}) == len(second)
    clock.advance(minutes=1)
    assert (await alice.delete(f"/api/v1/posts/{answers[1]}/accept"))[0] == 200
    third = await entries()
    assert third[answers[1]].updated > second[answers[1]].updated


async def test_a_tag_feed_has_tombstones_only_of_posts_with_its_tag(admin: Api, client) -> None:
    alice = await admin.add_member("alice")
    await _group(alice)
    tagged = await new_post(alice, "pay", "Tagged", tags=["payroll"])
    other = await new_post(alice, "pay", "Untagged", tags=["benefits"])
    url = (await feed_urls(alice, tag="payroll"))["tags"][0]["url"]
    status, headers, before = await fetch(client, url)
    assert (await alice.delete(f"/api/v1/posts/{other['id']}"))[0] == 204
    status, headers, body = await fetch(client, url)
    assert body == before and b"deleted-entry" not in body
    assert (await alice.delete(f"/api/v1/posts/{tagged['id']}"))[0] == 204
    status, headers, body = await fetch(client, url)
    assert tagged["id"].encode() in body and other["id"].encode() not in body
    assert b"<at:deleted-entry " in body
    assert (await parse(client, url)).entries == []
