"""Ending and erasure on copies: a post deleted on its group's host leaves a tombstone in the
copy on B, shown in B's feed of the group as RFC 6721 at:deleted-entry exactly as a local
one (checked by the W3C validator), with no text and no author of the post left anywhere on
B; a copy deleted as a whole takes its tombstones with it. Real servers on loopback."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import aiohttp
from lxml import etree

from feedserver.federation.objects import OBJECT_CONTEXT
from feedserver.federation.server_keys import actor_url
from feedserver.feeds.atom import TOMBSTONES_NS
from feedserver.store import federation_objects as object_store
from tests import pgtest
from tests.federation.test_inbox import post, signed_post
from tests.feeds.test_feed_validator import problems

from .test_shared_group_flow import drain, login
from .test_shared_group_pages import page_as
from .test_shared_group_writes import (
    ANSWER,
    QUESTION,
    bob_asks_carol_answers,
    copy_posts,
    shared_group_with_bob_and_carol,
)

REPO = Path(__file__).resolve().parents[2]
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


async def test_a_member_anonymized_on_the_host_is_anonymous_in_every_copy(trio):
    """An admin on A deletes dana, keeping her posts: A signs each of them again under her
    new name and B's copy shows that name, in its rows, in the object it keeps, on its page
    and in its feed; what others wrote stays theirs."""
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    dana = await login(a, "danavossberg")
    status, _ = await a.call("PUT", "/api/v1/groups/payroll-pros/members/danavossberg",
                             {"role": "member"}, token=alice)  # fmt: skip
    assert status == 200
    status, asked = await a.call("POST", "/api/v1/groups/payroll-pros/posts",
                                 {"kind": "question", "title": QUESTION, "body": "?"},
                                 token=dana)  # fmt: skip
    assert status == 201, asked
    status, _ = await a.call("POST", f"/api/v1/posts/{asked['id']}/replies",
                             {"body": "Ask the payroll desk"}, token=alice)  # fmt: skip
    assert status == 201
    await drain(a, b)
    question_id = f"{a.url}/posts/{asked['id']}"
    status, _ = await b.call("POST", f"/api/v1/groups/{address}/replies",
                             {"in_reply_to": question_id, "body": ANSWER}, token=bob)  # fmt: skip
    assert status == 202
    tip_doc = {"kind": "tip", "title": TIP, "body": TIP_BODY}
    status, _ = await a.call("POST", "/api/v1/groups/payroll-pros/posts", tip_doc, token=dana)
    await drain(a, b)
    url, before = await feed_of(b, address, bob)
    assert before.count(b"danavossberg@") == 2
    status, gone = await a.call("DELETE", "/api/v1/admin/members/danavossberg?content=anonymize")
    assert status == 200, gone
    await drain(a, b)
    new_name = f"{gone['username']}@{a.host}"
    assert new_name.startswith("deleted-")
    shown = {p["title"] or p["body_html"]: p for p in await copy_posts(b, address, bob)}
    authors = {key: p["author"]["username"] for key, p in shown.items()}
    assert authors[QUESTION] == authors[TIP] == new_name
    assert set(authors.values()) == {new_name, f"alice@{a.host}", f"bob@{b.host}"}
    url, body = await feed_of(b, address, bob)
    read_feed(url, body)
    status, html = await page_as(b, "bob", f"/groups/{address}")
    assert status == 200 and new_name in html and QUESTION in html
    for where in (body.decode(), html, await everything(b)):
        assert "danavossberg" not in where
    # The entries moved, so feed readers show the new name too.
    root = etree.fromstring(body)
    updated = {e.findtext(f"{ATOM}id"): e.findtext(f"{ATOM}updated")
               for e in root.findall(f"{ATOM}entry")}  # fmt: skip
    old = {e.findtext(f"{ATOM}id"): e.findtext(f"{ATOM}updated")
           for e in etree.fromstring(before).findall(f"{ATOM}entry")}  # fmt: skip
    assert updated[question_id] > old[question_id]
    # A server that joins the group later gets the new name in its backfill too.
    async with a.services.db.read() as conn:
        signed = await object_store.post_object(conn, asked["id"])
    assert signed is not None and signed["attributedTo"] == f"{a.url}/users/{gone['username']}"


async def test_a_member_deleted_on_b_with_their_posts_leaves_every_server(trio):
    """B's admin deletes bob with his posts: they leave B's copy at once, with tombstones,
    and A is sent a Delete of each in his name; A removes them (a question with its answers)
    and relays the deletions. What others wrote elsewhere stays."""
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    tip_doc = {"kind": "tip", "title": TIP, "body": TIP_BODY}
    status, tip = await a.call("POST", "/api/v1/groups/payroll-pros/posts", tip_doc, token=alice)
    await drain(a, b)
    tip_id = f"{a.url}/posts/{tip['id']}"
    status, reply = await b.call("POST", f"/api/v1/groups/{address}/replies",
                                 {"in_reply_to": tip_id, "body": "Bob's own remark"},
                                 token=bob)  # fmt: skip
    assert status == 202
    asked, answered = await bob_asks_carol_answers(a, b, address, bob, carol)
    assert await a.count("posts") == 4
    status, _ = await b.call("DELETE", "/api/v1/admin/members/bob?content=remove")
    assert status == 200
    # At once on B, before A answers: nothing of his is left in the copy.
    assert {p["title"] for p in await copy_posts(b, address, carol)} == {TIP}
    await drain(a, b)
    async with a.services.db.read() as conn:
        left = await conn.execute_fetchall("SELECT title, body FROM posts")
    assert [tuple(r) for r in left] == [(TIP, TIP_BODY)]
    assert await a.count("tombstones") == 3
    url, body = await feed_of(b, address, carol)
    entries, dead = read_feed(url, body)
    assert entries == [tip_id] and set(dead) == {reply["id"], asked["id"], answered["id"]}
    for text in (QUESTION, ANSWER, "Bob's own remark"):
        assert text not in await everything(b) and text not in await everything(a)


async def test_a_member_deleted_from_the_command_line_is_anonymous_in_every_copy(trio):
    """The operator's `feedserver user delete` (a separate process, on A's data) reaches the
    copies as the admin's API does: the server's worker sends what it queued."""
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    dana = await login(a, "danavossberg")
    status, _ = await a.call("PUT", "/api/v1/groups/payroll-pros/members/danavossberg",
                             {"role": "member"}, token=alice)  # fmt: skip
    tip_doc = {"kind": "tip", "title": TIP, "body": TIP_BODY}
    status, _ = await a.call("POST", "/api/v1/groups/payroll-pros/posts", tip_doc, token=dana)
    assert status == 201
    await drain(a, b)
    env = {**os.environ, "FEEDSERVER_BASE_URL": a.config.public_url, "FEEDSERVER_SCRYPT_N": "1024"}
    if a.config.database_url:
        env["FEEDSERVER_DATABASE_URL"] = a.config.database_url
    command = [sys.executable, "-m", "feedserver", "--data", str(a.config.data_dir),
               "user", "delete", "danavossberg", "--content", "anonymize"]  # fmt: skip
    done = await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, cwd=REPO, timeout=60, env=env
    )
    assert done.returncode == 0, done.stderr
    await drain(a, b)
    (tip,) = await copy_posts(b, address, bob)
    assert tip["title"] == TIP and tip["author"]["username"].startswith("deleted-")
    assert "danavossberg" not in await everything(b)
