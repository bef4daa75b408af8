"""Search on a member server finds the posts of the partners' groups its members read there
(their copies, name@host), merged with its own posts; nobody else finds anything of them.
Three real servers on loopback (A hosts `payroll-pros`, shared with B; C is A's partner too),
on either engine."""

from __future__ import annotations

import json
from urllib.parse import quote

import aiohttp

from feedserver.federation import partners
from tests import pgtest

from .test_shared_group_flow import drain, dump, login
from .test_shared_group_pages import page_as
from .test_shared_group_writes import (
    ANSWER,
    QUESTION,
    answer_held_on_b,
    bob_asks_carol_answers,
    shared_group_with_bob_and_carol,
)

ALICE_ASKS = "Zanzibar withholding tables for seasonal staff"


async def search(node, q: str, token: str | None) -> tuple[int, str, dict]:
    """GET /api/v1/search?q= as `token`'s member (None: nobody signed in): status, the raw
    body, and the body parsed ({} when it is not JSON)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{node.url}/api/v1/search?q={quote(q)}", headers=headers) as resp,
    ):
        text = await resp.text()
        return resp.status, text, json.loads(text) if "json" in resp.content_type else {}


def shared(body: dict) -> list[dict]:
    return [hit for hit in body.get("items", []) if "shared_post" in hit]


async def index_text(node) -> str:
    """Everything the copies' search index holds on `node`: on SQLite the FTS5 table and its
    row numbers (which a cascade does not reach by itself), on PostgreSQL the rows' own
    tsvector (which lives and dies with its row)."""
    async with node.services.db.read() as conn:
        if pgtest.ON_POSTGRESQL:
            found = await conn.execute_fetchall("SELECT search::text FROM cached_posts")
        else:
            found = await conn.execute_fetchall(
                "SELECT title || ' ' || body || ' ' || tags FROM cached_posts_fts"
                " UNION ALL SELECT object_id FROM cached_posts_keys"
            )
    return "\n".join(str(row[0]) for row in found)


async def asked_on_a(a, b, address, alice, bob, carol):
    """alice asks on A; bob asks from B and carol answers: B's copy holds all three."""
    status, _ = await a.call("POST", "/api/v1/groups/payroll-pros/posts",
                             {"kind": "question", "title": ALICE_ASKS, "body": "Which table?"},
                             token=alice)  # fmt: skip
    assert status == 201
    asked, answered = await bob_asks_carol_answers(a, b, address, bob, carol)
    await drain(a, b)
    return asked, answered


async def test_members_of_the_copy_find_its_questions_and_answers_and_nobody_else(trio):
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    asked, answered = await asked_on_a(a, b, address, alice, bob, carol)
    # A local post on B with the same word: found beside the copy's, in one list.
    b_group = {"name": "b-local", "title": "B local", "visibility": "org"}
    assert (await b.call("POST", "/api/v1/groups", b_group, token=bob))[0] == 201
    status, _ = await b.call("POST", "/api/v1/groups/b-local/posts",
                             {"kind": "tip", "title": "Zanzibar office hours", "body": "9-5"},
                             token=bob)  # fmt: skip
    assert status == 201
    status, _, body = await search(b, "zanzibar", bob)
    assert status == 200
    (hit,) = shared(body)
    assert hit["shared_post"]["title"] == ALICE_ASKS and hit["shared_post"]["group"] == address
    assert hit["shared_post"]["author"]["username"] == f"alice@{a.host}"
    assert hit["links"]["html"].startswith(f"/groups/{address}#p-")
    assert hit["links"]["posts"] == f"/api/v1/groups/{address}/posts"
    assert "<mark>Zanzibar</mark>" in hit["snippet_html"]
    assert [h["post"]["title"] for h in body["items"] if "post" in h] == ["Zanzibar office hours"]
    # bob's question (asked from B, taken by A) and carol's answer, by their words.
    status, _, body = await search(b, "back-date payroll", bob)
    assert [h["shared_post"]["id"] for h in shared(body)] == [asked["id"]]
    status, _, body = await search(b, "effective date", carol)
    (hit,) = shared(body)
    assert hit["shared_post"]["id"] == answered["id"] and hit["shared_post"]["kind"] == "answer"
    assert hit["shared_post"]["parent_id"] == asked["id"] and "<p>" not in hit["snippet_html"]
    # The link leads to the post on the group's page here.
    status, html = await page_as(b, "carol", hit["links"]["html"].split("#")[0])
    assert status == 200 and f'id="{hit["links"]["html"].split("#")[1]}"' in html
    # Nobody else finds anything of it: B's members not in the group (B's admin too),
    # C's members, A's members not in it, and nobody signed in.
    dave = await login(b, "dave")
    erin = await login(c, "erin")
    frank = await login(a, "frank")
    for node, token in ((b, dave), (b, None), (b, b.admin_token), (c, erin), (c, None),
                        (a, frank), (a, None)):  # fmt: skip
        for q in ("zanzibar", "back-date payroll", "effective date", "withholding"):
            status, text, body = await search(node, q, token)
            assert status == (401 if token is None else 200), (node.name, q)
            assert shared(body) == [] and "payroll-pros" not in text, (node.name, q)
            for words in (ALICE_ASKS, QUESTION, ANSWER, "Zanzibar withholding"):
                assert words not in text, (node.name, q)
    # Paging goes through both sources: one hit a page, each once, then no next page.
    seen: list[str] = []
    cursor = ""
    for _ in range(4):
        body = await _page(b, "zanzibar", bob, cursor)
        seen += [h.get("shared_post", h.get("post"))["title"] for h in body["items"]]
        if body["next"] is None:
            break
        cursor = body["next"]
    assert sorted(seen) == sorted([ALICE_ASKS, "Zanzibar office hours"])


async def _page(node, q: str, token: str, cursor: str) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{node.url}/api/v1/search?q={quote(q)}&limit=1" + (f"&cursor={cursor}" if cursor else "")
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as resp:
        text = await resp.text()
        assert resp.status == 200, text
        return json.loads(text)


async def test_the_search_page_names_the_group(trio):
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    await asked_on_a(a, b, address, alice, bob, carol)
    status, html = await page_as(b, "bob", "/search?q=zanzibar")
    assert status == 200 and ALICE_ASKS in html and address in html
    assert f'href="/groups/{address}#p-' in html and "<mark>Zanzibar</mark>" in html
    await login(b, "dave")
    for node, who in ((b, "dave"), (b, "admin"), (c, "admin"), (a, None), (b, None)):
        status, html = await page_as(node, who, "/search?q=zanzibar")
        assert ALICE_ASKS not in html and "payroll-pros" not in html, (node.name, who)
        assert "Zanzibar" not in html.replace('value="zanzibar"', ""), (node.name, who)


async def test_a_pending_write_is_found_by_its_writer_only(trio):
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    b.fed.wake_worker.clear()  # bob's write stays on B until drain() sends it
    status, asked = await b.call("POST", f"/api/v1/groups/{address}/posts",
                                 {"kind": "question", "title": "Quokka payslip layout",
                                  "body": "Where?"}, token=bob)  # fmt: skip
    assert status == 202 and asked["state"] == "pending"
    # Not yet delivered: bob finds it, pending; carol, in the group too, does not.
    status, _, body = await search(b, "quokka", bob)
    assert [h["shared_post"]["state"] for h in shared(body)] == ["pending"]
    status, text, body = await search(b, "quokka", carol)
    assert status == 200 and shared(body) == [] and "Quokka" not in text
    await drain(a, b)
    for token in (bob, carol):  # A took it: everyone in the group finds it
        status, _, body = await search(b, "quokka", token)
        assert [h["shared_post"]["state"] for h in shared(body)] == ["accepted"]


async def test_an_edited_post_is_found_by_its_new_words_only(trio):
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    asked, answered = await bob_asks_carol_answers(a, b, address, bob, carol)
    edits = f"/api/v1/groups/{address}/edits"
    status, _ = await b.call("POST", edits, {"post_id": asked["id"],
                             "title": "Retroactive salary correction", "body": "Which menu?",
                             "tags": ["payroll"]}, token=bob)  # fmt: skip
    assert status == 202
    status, _ = await b.call("POST", edits, {"post_id": answered["id"],
                             "body": "Use the xylophone screen"}, token=carol)  # fmt: skip
    assert status == 202
    await drain(a, b)
    for q, found in (("retroactive", [asked["id"]]), ("back-date", []),
                     ("xylophone", [answered["id"]]), ("effective", [])):  # fmt: skip
        status, _, body = await search(b, q, carol)
        assert [h["shared_post"]["id"] for h in shared(body)] == found, q
    assert "effective" not in (text := await index_text(b)).lower() and "back" not in text


async def test_deleted_posts_and_copies_leave_nothing_findable(trio):
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    asked, answered = await asked_on_a(a, b, address, alice, bob, carol)
    assert "zanzibar" in (await index_text(b)).lower()
    # bob removes his question through A: its answer goes with it, from the index too.
    status, _ = await b.call("POST", f"/api/v1/groups/{address}/deletions",
                             {"post_id": asked["id"]}, token=bob)  # fmt: skip
    assert status == 202
    await drain(a, b)
    for q in ("back-date", "effective date"):
        status, _, body = await search(b, q, bob)
        assert status == 200 and shared(body) == [], q
    assert "effective" not in (text := await index_text(b)).lower() and "back" not in text
    status, _, body = await search(b, "zanzibar", bob)
    assert len(shared(body)) == 1
    # Narrowed to private: B deletes the copy, and its posts cascade away with their index.
    status, _ = await a.call("PATCH", "/api/v1/groups/payroll-pros", {"visibility": "private"},
                             token=alice)  # fmt: skip
    assert status == 200
    await drain(a, b)
    assert await b.count("cached_groups") == 0
    status, text, body = await search(b, "zanzibar", bob)
    assert status == 200 and shared(body) == [] and "Zanzibar" not in text
    assert await index_text(b) == "" and "Zanzibar" not in await dump(b)


async def test_a_partnership_ended_leaves_nothing_findable(trio):
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    await asked_on_a(a, b, address, alice, bob, carol)
    status, _, body = await search(b, "zanzibar", bob)
    assert len(shared(body)) == 1
    ended = await partners.end_partnership(a.fed, b.host)
    assert ended is not None and ended.told
    # B forgot A: the partners row, the copy and its posts cascade away, with their index.
    assert await b.count("cached_posts") == 0
    status, text, body = await search(b, "zanzibar", bob)
    assert status == 200 and shared(body) == [] and "Zanzibar" not in text
    assert await index_text(b) == ""


async def test_a_refused_write_is_found_by_nobody(trio):
    """The host refused bob's answer (its question was gone there): the group's page shows it
    to bob, marked refused; search finds it for nobody, and bob removing it leaves nothing
    in the index."""
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    question, answered = await answer_held_on_b(a, b, address, alice, bob, "Try the vortex menu")
    status, _, body = await search(b, "vortex", bob)
    assert [h["shared_post"]["state"] for h in shared(body)] == ["pending"]
    async with a.services.db.write() as conn:  # gone on A before the answer reaches it
        await conn.execute("DELETE FROM posts WHERE id = ?", (question["id"],))
    await drain(b)
    for token in (bob, carol):
        status, text, body = await search(b, "vortex", token)
        assert status == 200 and shared(body) == [] and "vortex" not in text
    status, body = await b.call("POST", f"/api/v1/groups/{address}/deletions",
                                {"post_id": answered["id"]}, token=bob)  # fmt: skip
    assert status == 202 and body["state"] == "deleted"
    assert "vortex" not in (await index_text(b)).lower()
