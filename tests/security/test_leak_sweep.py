"""The leak sweep: one organization with a private group full of distinctive secret words (a
question, an answer, a tag, a FAQ page, a private profile headline), then every GET route an
outsider can reach — API, web pages, Atom feeds with their own tokens, search, directory,
suggested experts, discovery documents — and not one secret word may come back.

Two outsiders: olive, who was never in the group, and carol, who was a member (got her feed
URLs, read everything, was routed the question, edited the FAQ page) and was then removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient

from feedserver import appkeys
from feedserver.domain import feed_paths as paths
from feedserver.domain import feeds as feed_domain
from feedserver.models import Viewer
from feedserver.store import members as member_store
from tests.conftest import Api
from tests.security.helpers import group, local
from tests.web.conftest import Browser

# Distinctive words that appear nowhere but in the private group and the private profile.
SECRETS = {
    "question": "Xylophonic",
    "question_body": "Brontide",
    "answer": "Quetzalcoatlite",
    "tag": "zebracorn",
    "page_title": "Marzipanhidden",
    "page_body": "Obsidianveil",
    "headline": "Tungstenwhisper",
}
GROUP = "secret-ops"
HOST = "127.0.0.1:8080"


@dataclass
class World:
    client: TestClient
    question: str  # the private question's id
    answer: str
    public_question: str
    viewers: dict[str, Api]


async def _build(admin: Api) -> World:
    alice, bob = await admin.add_member("alice"), await admin.add_member("bob")
    carol, olive = await admin.add_member("carol"), await admin.add_member("olive")
    await group(alice, GROUP, "private", "bob", "carol")
    await group(alice, "commons", "org", "bob", "carol", "olive")
    # bob's profile is private and says something secret; alice's is org-wide.
    status, _ = await bob.put(
        "/api/v1/members/bob/profile",
        {"headline": f"{SECRETS['headline']} lead", "sharing": "private"},
    )
    assert status == 200
    status, q = await bob.post(
        f"/api/v1/groups/{GROUP}/posts",
        {"kind": "question", "title": f"{SECRETS['question']} timing?",
         "body": f"The {SECRETS['question_body']} deal", "tags": [SECRETS["tag"], "payroll"]},
    )  # fmt: skip
    assert status == 201, q
    status, a = await alice.post(
        f"/api/v1/posts/{q['id']}/replies", {"body": f"Ask {SECRETS['answer']} first"}
    )
    assert status == 201, a
    assert (await bob.post(f"/api/v1/posts/{a['id']}/accept"))[0] == 200
    status, page = await alice.put(
        f"/api/v1/groups/{GROUP}/pages/plan",
        {"title": f"{SECRETS['page_title']} plan", "body": f"{SECRETS['page_body']} steps",
         "tags": [SECRETS["tag"]]},
    )  # fmt: skip
    assert status in (200, 201), page
    status, page = await carol.put(
        f"/api/v1/groups/{GROUP}/pages/plan",
        {"title": f"{SECRETS['page_title']} plan v2", "body": f"{SECRETS['page_body']} more",
         "base_revision": 1},
    )  # fmt: skip
    assert status == 200, page
    # Public life in the org group, so the outsiders' lists, feeds and directory are not empty.
    status, pq = await olive.post(
        "/api/v1/groups/commons/posts",
        {"kind": "question", "title": "Payroll cutoff?", "body": "When?", "tags": ["payroll"]},
    )
    assert status == 201, pq
    status, pa = await alice.post(f"/api/v1/posts/{pq['id']}/replies", {"body": "Friday"})
    assert (await olive.post(f"/api/v1/posts/{pa['id']}/accept"))[0] == 200
    # carol is routed the secret question and reads her feeds while she is a member...
    assert (await bob.post(f"/api/v1/posts/{q['id']}/ask/carol"))[0] in (200, 201)
    status, urls = await carol.get(
        "/api/v1/me/feeds", params={"tag": SECRETS["tag"], "post": q["id"]}
    )
    assert status == 200, urls
    for url in [urls["home"], *(u["url"] for k in ("groups", "tags", "posts") for u in urls[k])]:
        status, body = await carol.as_(None).get(local(url))
        assert status == 200  # warms every feed cache with the secret content
    status, asks = await carol.get("/api/v1/me/asks")
    assert SECRETS["question"] in str(asks)
    # ...and is then removed from the group.
    assert (await alice.delete(f"/api/v1/groups/{GROUP}/members/carol"))[0] == 204
    world = World(admin.client, q["id"], a["id"], pq["id"], {"olive": olive, "carol": carol})
    world.carol_feed_urls = [  # type: ignore[attr-defined]
        urls["home"],
        *(u["url"] for k in ("groups", "tags", "posts") for u in urls[k]),
    ]
    return world


def api_paths(w: World, who: str) -> list[str]:
    q, a, pq = w.question, w.answer, w.public_question
    page = f"/api/v1/groups/{GROUP}/pages/plan"
    return [
        "/api/v1/me", "/api/v1/members/bob", "/api/v1/members/alice", f"/api/v1/members/{who}",
        "/api/v1/groups", f"/api/v1/groups/{GROUP}", f"/api/v1/groups/{GROUP}/members",
        f"/api/v1/groups/{GROUP}/join-requests", f"/api/v1/groups/{GROUP}/posts",
        f"/api/v1/groups/{GROUP}/posts?tag={SECRETS['tag']}", "/api/v1/groups/commons/posts",
        "/api/v1/groups/commons", "/api/v1/groups/commons/members",
        f"/api/v1/posts/{q}", f"/api/v1/posts/{a}", f"/api/v1/posts/{q}/revisions",
        f"/api/v1/posts/{q}/suggested-experts", f"/api/v1/posts/{pq}",
        f"/api/v1/posts/{pq}/suggested-experts",
        "/api/v1/members/bob/profile", "/api/v1/members/alice/profile",
        f"/api/v1/members/{who}/profile", "/api/v1/experts?topic=payroll",
        "/api/v1/experts?topic=payroll&q=lead", "/api/v1/me/asks",
        f"/api/v1/groups/{GROUP}/pages", page, f"{page}/revisions", f"{page}/revisions/1",
        f"{page}/revisions/2", "/api/v1/programs", "/api/v1/me/mentoring", "/api/v1/me/feeds",
        "/api/v1/me/feeds?tag=payroll", f"/api/v1/me/feeds?post={q}",
        *(f"/api/v1/search?q={quote(word)}" for word in SECRETS.values()),
        "/api/v1/search?q=payroll", "/api/v1/search?q=plan",
    ]  # fmt: skip


def web_paths(w: World, who: str) -> list[str]:
    q, pq = w.question, w.public_question
    page = f"/groups/{GROUP}/pages/plan"
    return [
        "/", "/groups", f"/groups/{GROUP}", "/groups/commons", f"/posts/{q}",
        f"/posts/{q}/edit", f"/posts/{q}/revisions", f"/posts/{w.answer}", f"/posts/{pq}",
        "/people", "/people?topic=payroll", "/people/bob", "/people/alice", f"/people/{who}",
        f"/people/{who}/edit", "/members/bob", f"/groups/{GROUP}/pages", page, f"{page}/edit",
        f"{page}/revisions", f"{page}/revisions/1", f"/tags/{SECRETS['tag']}", "/tags/payroll",
        "/me/feeds", "/admin", "/search?q=payroll",
        *(f"/search?q={quote(word)}" for word in SECRETS.values()),
    ]  # fmt: skip


async def feed_paths(w: World, who: str) -> list[str]:
    """The viewer's own, correctly signed URLs — for the private group and thread too, so
    only the access policy (not a bad token) can keep the content out."""
    services = w.client.app[appkeys.SERVICES]
    async with services.db.read() as conn:
        member = await member_store.by_username(conn, who)
    viewer = Viewer(member)
    wanted = [
        paths.HOME, paths.group_feed(GROUP), paths.group_feed("commons"),
        paths.tag_feed(SECRETS["tag"]), paths.tag_feed("payroll"),
        paths.thread_feed(w.question), paths.thread_feed(w.public_question),
    ]  # fmt: skip
    urls = [await feed_domain.feed_url(services, viewer, p) for p in wanted]
    urls += getattr(w, "carol_feed_urls", []) if who == "carol" else []
    return [local(u) for u in urls]


def federation_paths() -> list[str]:
    return [
        "/users/bob", "/users/alice", "/users/carol", "/actor", "/nodeinfo/2.1",
        "/.well-known/nodeinfo",
        f"/.well-known/webfinger?resource=acct:bob@{HOST}",
        f"/.well-known/webfinger?resource=http://{HOST}/users/bob",
    ]  # fmt: skip


def assert_clean(path: str, text: str) -> None:
    for name, word in SECRETS.items():
        haystack = text.lower()
        if word.lower() in path.lower():
            # A word the outsider typed (search box, tag page, tag feed) may echo back; only
            # the echo: a result, a title or a count would still show as another secret.
            haystack = haystack.replace(word.lower(), "")
        assert word.lower() not in haystack, f"{path} shows the secret {name} {word!r}"


@pytest.mark.parametrize("who", ["olive", "carol"])
@pytest.mark.parametrize("family", ["api", "web", "feeds", "federation"])
async def test_no_secret_reaches_an_outsider(
    admin: Api, browser_for, family: str, who: str
) -> None:
    w = await _build(admin)
    fetched = 0
    if family == "api":
        api = w.viewers[who]
        for path in api_paths(w, who):
            status, body = await api.get(path)
            assert status < 500, (path, status, body)
            assert_clean(path, str(body))
            fetched += 1
    elif family == "web":
        browser: Browser = await browser_for(who, create=False)
        for path in web_paths(w, who):
            status, html = await browser.get(path)
            assert status < 500, (path, status)
            assert_clean(path, html)
            fetched += 1
    elif family == "feeds":
        anon = w.viewers[who].as_(None)
        for path in await feed_paths(w, who):
            for _ in range(2):  # the second fetch is the cached answer
                status, body = await anon.get(path)
                assert status in (200, 404), (path, status)
                assert_clean(path, str(body))
                fetched += 1
    else:
        anon = w.viewers[who].as_(None)
        for path in federation_paths():
            status, body = await anon.get(path)
            assert status < 500, (path, status)
            assert_clean(path, str(body))
            fetched += 1
    assert fetched >= 8


async def test_sweep_sees_the_secrets_from_inside(admin: Api, browser_for) -> None:
    """The sweep's own control: a member of the group does see every secret, so the routes
    above really do carry them to those allowed."""
    w = await _build(admin)
    bob = await Api(w.client).login("bob")
    seen = ""
    for path in api_paths(w, "bob"):
        seen += str((await bob.get(path))[1])
    for name, word in SECRETS.items():
        assert word.lower() in seen.lower(), name
