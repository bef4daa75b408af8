"""A post's signed object (FEP-8b32 proof) is what the copies of its group receive: made
once per version when a partner holds a copy, and on first need otherwise (the backfill of a
group shared later), always of the version the post shows now."""

from __future__ import annotations

import pytest

from feedserver.federation.proofs import ProofError, verify_object
from feedserver.store import federation_objects as object_store

from .test_shared_group_flow import drain, setup_group


async def stored_object(node, post_id):
    async with node.services.db.read() as conn:
        return await object_store.post_object(conn, post_id)


async def ask(a, token, body="What now?"):
    status, post = await a.call("POST", "/api/v1/groups/payroll-pros/posts", {
        "kind": "question", "title": "Late check?", "body": body, "tags": ["payroll"]},
        token=token)  # fmt: skip
    assert status == 201, post
    return post["id"]


async def edit(a, token, post_id, body):
    status, found = await a.call("PATCH", f"/api/v1/posts/{post_id}", {"body": body}, token=token)
    assert status == 200, found


async def add_bob(a, b, alice):
    status, body = await a.call("PUT", f"/api/v1/groups/payroll-pros/members/bob@{b.host}",
                                {"role": "member"}, token=alice)  # fmt: skip
    assert status == 200, body
    await drain(a, b)


async def bodies_on_b(a, b, bob):
    status, found = await b.call("GET", f"/api/v1/groups/payroll-pros@{a.host}/posts", token=bob)
    assert status == 200, found
    return [p["body_html"] for p in found["items"]]


async def test_a_post_in_a_shared_group_is_signed_once_per_version(trio):
    a, b, c = trio
    alice, bob, _ = await setup_group(a, b, c)
    await add_bob(a, b, alice)
    post_id = await ask(a, alice)
    resolve = {a.key_id: a.key.public_key()}.get
    obj = await stored_object(a, post_id)
    assert verify_object(obj, resolve) == a.key_id and obj["name"] == "Late check?"
    await edit(a, alice, post_id, "Edited")
    edited = await stored_object(a, post_id)
    assert edited["source"]["content"] == "Edited" and verify_object(edited, resolve)
    edited["source"]["content"] = "Edite d"
    with pytest.raises(ProofError):
        verify_object(edited, resolve)
    await drain(a, b)
    assert await bodies_on_b(a, b, bob) == ["<p>Edited</p>\n"]


async def test_a_group_shared_later_sends_each_post_signed_as_it_is_now(trio):
    a, b, c = trio
    alice, bob, _ = await setup_group(a, b, c)
    post_id = await ask(a, alice)  # no partner holds the group yet: nothing is signed
    assert await stored_object(a, post_id) is None
    await edit(a, alice, post_id, "Second version")
    await add_bob(a, b, alice)  # the copy's backfill signs what it sends
    assert verify_object(await stored_object(a, post_id), {a.key_id: a.key.public_key()}.get)
    assert await bodies_on_b(a, b, bob) == ["<p>Second version</p>\n"]


async def test_an_edit_while_no_copy_is_held_is_what_a_later_copy_gets(trio):
    a, b, c = trio
    alice, bob, _ = await setup_group(a, b, c)
    await add_bob(a, b, alice)
    post_id = await ask(a, alice, body="While shared")
    status, _ = await a.call("DELETE", f"/api/v1/groups/payroll-pros/members/bob@{b.host}",
                             token=alice)  # fmt: skip
    assert status in (200, 204)
    await drain(a, b)
    assert await b.count("cached_groups") == 0
    await edit(a, alice, post_id, "Edited while nobody held a copy")
    await add_bob(a, b, alice)
    assert await bodies_on_b(a, b, bob) == ["<p>Edited while nobody held a copy</p>\n"]
