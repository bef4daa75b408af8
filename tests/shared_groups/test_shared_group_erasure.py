"""Ending and erasure on copies: a post deleted on its group's host leaves a tombstone in the
copy on B, shown in B's feed of the group as RFC 6721 at:deleted-entry exactly as a local
one (checked by the W3C validator), with no text and no author of the post left anywhere on
B; a copy deleted as a whole takes its tombstones with it. Real servers on loopback."""

from __future__ import annotations

import aiohttp
from lxml import etree

from feedserver.federation.objects import OBJECT_CONTEXT
from feedserver.federation.server_keys import actor_url
from feedserver.feeds.atom import TOMBSTONES_NS
from feedserver.store import federation_objects as object_store
from tests import pgtest
from tests.federation.test_inbox import post, signed_post
from tests.feeds.test_feed_validator import problems

from .test_shared_group_flow import drain
from .test_shared_group_pages import page_as
from .test_shared_group_writes import (
    ANSWER,
    QUESTION,
    bob_asks_carol_answers,
    copy_posts,
    shared_group_with_bob_and_carol,
)

TIP = "Freeze the ledger before the cutover"
TIP_BODY = "Ask treasury for the zebra-kestrel sign-off"
ATOM = "{http://www.w3.org/2005/Atom}"


async def everything(node) -> str:
    """Every row of every table of a server, as one string: where text could stay behind."""
    tables_sql = (
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        if pgtest.ON_POSTGRESQL
        else "SELECT name FROM sqlite_master WHERE type = 'table'"
        " AND name NOT LIKE 'posts_fts%' AND name NOT LIKE 'sqlite_%'"
    )
    out = []
    async with node.services.db.read() as conn:
        for (name,) in await conn.execute_fetchall(tables_sql):
            out += [
                repr(tuple(row)) for row in await conn.execute_fetchall(f"SELECT * FROM {name}")
            ]
    return "\n".join(out)


async def feed_of(node, address, token) -> tuple[str, bytes]:
    status, body = await node.call("GET", f"/api/v1/groups/{address}", token=token)
    assert status == 200, body
    url = body["feed_url"]
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        assert resp.status == 200
        return url, await resp.read()


def read_feed(url: str, body: bytes) -> tuple[list[str], dict[str, str]]:
    """The feed's entry ids and its tombstones {ref: when}, after the W3C validator found
    nothing wrong with it."""
    # Posts are stamped to the second: a question and its answer written within one share
    # an `updated`, which the validator notes; it says nothing about the feed's form.
    found = [p for p in problems(body, url) if not p.startswith("DuplicateUpdated:")]
    assert found == [], found
    root = etree.fromstring(body)
    entries = [e.findtext(f"{ATOM}id") for e in root.findall(f"{ATOM}entry")]
    dead = {d.get("ref"): d.get("when") for d in root.findall(f"{{{TOMBSTONES_NS}}}deleted-entry")}
    return entries, dead


async def test_a_post_deleted_on_the_host_leaves_a_tombstone_in_the_copy(trio):
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    tip_doc = {"kind": "tip", "title": TIP, "body": TIP_BODY}
    status, tip = await a.call("POST", "/api/v1/groups/payroll-pros/posts", tip_doc, token=alice)
    assert status == 201, tip
    await drain(a, b)
    object_id = f"{a.url}/posts/{tip['id']}"
    url, body = await feed_of(b, address, bob)
    entries, dead = read_feed(url, body)
    assert entries == [object_id] and dead == {}
    assert TOMBSTONES_NS.encode() not in body  # declared only beside a tombstone
    async with a.services.db.read() as conn:
        signed = await object_store.post_object(conn, tip["id"])
    status, _ = await a.call("DELETE", f"/api/v1/posts/{tip['id']}", token=alice)
    assert status == 204
    await drain(a, b)
    # A late relay of the deleted post (the host's Create of it again) brings nothing back.
    late = {"@context": OBJECT_CONTEXT, "id": f"{a.url}/groups/payroll-pros#activity-late",
            "type": "Create", "actor": actor_url(a.services.config),
            "audience": f"{a.url}/groups/payroll-pros", "object": signed}  # fmt: skip
    status, _, text = await post(b, *signed_post(a, b, late))
    assert status == 202, text
    url, body = await feed_of(b, address, bob)
    entries, dead = read_feed(url, body)
    assert entries == [] and list(dead) == [object_id]
    # The feed's <updated> moved with the deletion, so readers look again.
    root = etree.fromstring(body)
    assert root.findtext(f"{ATOM}updated") == dead[object_id]
    # Nothing of the post is left on B: not its text, not its author's name.
    for text in (TIP, TIP_BODY, f"alice@{a.host}"):
        assert text.encode() not in body
        assert text not in await everything(b)
    assert await copy_posts(b, address, bob) == []
    status, html = await page_as(b, "bob", f"/groups/{address}")
    assert status == 200 and TIP not in html and "alice" not in html
    # The copy deleted as a whole (bob and carol removed from the group) takes its
    # tombstones with it: nothing of the group stays readable on B.
    for who in ("bob", "carol"):
        status, _ = await a.call(
            "DELETE", f"/api/v1/groups/payroll-pros/members/{who}@{b.host}", token=alice
        )
        assert status in (200, 204)
    await drain(a, b)
    assert await b.count("cached_tombstones") == 0 and await b.count("cached_groups") == 0
    assert object_id not in await everything(b)


async def test_a_post_removed_from_b_leaves_tombstones_for_it_and_its_replies(trio):
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    asked, answered = await bob_asks_carol_answers(a, b, address, bob, carol)
    url, body = await feed_of(b, address, bob)
    assert set(read_feed(url, body)[0]) == {asked["id"], answered["id"]}
    status, _ = await b.call("POST", f"/api/v1/groups/{address}/deletions",
                             {"post_id": asked["id"]}, token=bob)  # fmt: skip
    assert status == 202
    await drain(a, b)
    url, body = await feed_of(b, address, bob)
    entries, dead = read_feed(url, body)
    assert entries == [] and set(dead) == {asked["id"], answered["id"]}
    for text in (QUESTION, ANSWER):
        assert text not in await everything(b) and text.encode() not in body
    # A keeps its own tombstones of both, as for any deletion.
    assert await a.count("tombstones") == 2 and await a.count("posts") == 0
