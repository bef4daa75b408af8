"""The inbox against a partner that turns hostile (or whose old key was stolen): every
malformed shape is a 4xx problem with nothing stored, never a 500; a rotated-out key cannot
name successors; a partnership's scope is the receiver's own; a partner may end it."""

from __future__ import annotations

import json

import pytest
from multidict import CIMultiDict

from feedserver.federation import profiles
from feedserver.federation.digest import make_content_digest
from feedserver.federation.errors import SignatureRejected
from feedserver.federation.inbox import check_digest
from feedserver.federation.keys import public_key_to_multibase
from feedserver.federation.proofs import sign_object

from .servers import fixed_key
from .test_inbox import _viewer, counts, post, profile_update, signed_post


async def _problem(target, headers, body, status, code=None):
    got, content_type, text = await post(target, headers, body)
    assert got == status, text
    assert content_type == "application/problem+json"
    if code is not None:
        assert json.loads(text)["type"].endswith(f"/problems/{code}"), text


def _resigned(node, activity, **changes):
    """The activity with its object changed and signed again: a proof that holds, so the
    shape itself is what the inbox must refuse."""
    obj = {k: v for k, v in activity["object"].items() if k != "proof"}
    obj.update(changes)
    return {**activity, "object": sign_object(obj, node.key, node.key_id)}


def _announcement(node, keys, n):
    return {
        "id": f"{node.url}/actor#rotate-{n}", "type": "Update", "actor": f"{node.url}/actor",
        "object": {"id": f"{node.url}/actor", "type": "Application", "assertionMethod": [
            {"id": key_id, "type": "Multikey",
             "publicKeyMultibase": public_key_to_multibase(key.public_key()),
             **({"expires": "2099-01-01T00:00:00Z"} if expiring else {})}
            for key_id, key, expiring in keys
        ]},
    }  # fmt: skip


async def _pinned(node):
    async with (
        node.services.db.read() as conn,
        conn.execute("SELECT key_id, expires_at IS NULL FROM partner_keys ORDER BY 1") as cur,
    ):
        return [tuple(r) for r in await cur.fetchall()]


async def test_malformed_signed_activities_are_4xx_and_store_nothing(trio):
    a, b, _ = trio
    before = await counts(b)
    bad_actor = dict(profile_update(a, activity="x1"), actor="http://[")
    await _problem(b, *signed_post(a, b, bad_actor), 403)
    keys_not_list = {
        "id": f"{a.url}/actor#rotate-x",
        "type": "Update",
        "actor": f"{a.url}/actor",
        "object": {"id": f"{a.url}/actor", "type": "Application", "assertionMethod": 7},
    }
    await _problem(b, *signed_post(a, b, keys_not_list), 422, "bad-activity")
    # Nested deeper than canonicalization recurses, under a proof the server (not the
    # verifier process) checks because it names another key: an invalid proof, not a 500.
    for depth in (900, 936, 960):
        deep = profile_update(a, activity=f"deep{depth}")
        deep["object"]["proof"]["verificationMethod"] = f"{a.url}/actor#other"
        deep["object"]["x"] = "@@DEEP@@"
        body = json.dumps(deep).encode().replace(b'"@@DEEP@@"', b"[" * depth + b"]" * depth)
        status, _, text = await post(b, *signed_post(a, b, None, body=body))
        assert status == 422, (depth, text)
    huge = _resigned(a, profile_update(a, activity="x3"), summary="x" * (70 * 1024))
    await _problem(b, *signed_post(a, b, huge), 422, "bad-activity")
    # Nothing stored but the six refused signatures, spent (each verified).
    assert await counts(b) == [before[0], before[1], before[2] + 6]


async def test_partner_strings_and_counts_are_bounded_and_cleaned(trio):
    a, b, _ = trio
    activity = _resigned(
        a,
        profile_update(a, activity="wide"),
        name="Ali\x00ce\x1b",
        summary="knows\x07 things",
        tag=[{"type": "Hashtag", "name": "#Payroll Taxes"}, {"type": "Hashtag", "name": "#<b>"}]
        + [{"type": "Hashtag", "name": f"#t{n}"} for n in range(200)],
        **{"feedserver:evidence": {"payroll-taxes": 2**70, "t1": -1, "unlisted": 5}},
    )
    status, _, text = await post(b, *signed_post(a, b, activity))
    assert status == 202, text
    (found,) = await profiles.partner_experts(b.services, _viewer(await b.add_member("bob")),
                                              "payroll-taxes")  # fmt: skip
    assert found["name"] == "Alice" and found["summary"] == "knows things"
    assert len(found["topics"]) == profiles.MAX_TOPICS and "<b>" not in found["topics"]
    assert found["evidence"] == {"payroll-taxes": profiles.MAX_COUNT}
    # A `tag` that is not a list names no topic (it was a 500).
    tag_not_list = _resigned(a, profile_update(a, activity="narrow"), tag=5)
    assert (await post(b, *signed_post(a, b, tag_not_list)))[0] == 202
    assert await profiles.partner_experts(b.services, _viewer(await b.add_member("eve")),
                                          "payroll-taxes") == []  # fmt: skip


async def test_a_rotated_out_key_cannot_announce_keys(trio):
    a, b, _ = trio
    new, evil = fixed_key(7), fixed_key(8)
    new_id, evil_id = f"{a.url}/actor#key-new", f"{a.url}/actor#key-evil"
    # The real rotation, signed with the key B pinned: the new key current, the old expiring.
    rotation = _announcement(a, [(new_id, new, False), (a.key_id, a.key, True)], 1)
    assert (await post(b, *signed_post(a, b, rotation)))[0] == 202
    after_rotation = await _pinned(b)
    assert after_rotation == sorted([(a.key_id, 0), (new_id, 1)])
    # Whoever kept the old key tries to name a key of their own as current.
    takeover = _announcement(a, [(evil_id, evil, False)], 2)
    before = await counts(b)
    await _problem(b, *signed_post(a, b, takeover, key=a.key), 403, "not-a-partner")
    before[2] += 1  # its signature, spent
    assert await _pinned(b) == after_rotation and await counts(b) == before
    # The old key still verifies what it signed during its grace period (a profile).
    assert (await post(b, *signed_post(a, b, profile_update(a, activity="grace"))))[0] == 202


async def test_profiles_outside_the_receivers_scope_are_refused(trio):
    a, b, _ = trio
    async with b.services.db.write() as conn:  # B's admin narrowed the partnership
        await conn.execute("UPDATE partners SET profiles = 0 WHERE host = ?", (a.host,))
    before = await counts(b)
    await _problem(b, *signed_post(a, b, profile_update(a)), 403, "not-a-partner")
    assert await counts(b) == [before[0], before[1], before[2] + 1]  # its signature, spent


async def test_a_partner_ending_the_partnership_is_forgotten(trio):
    a, b, _ = trio
    assert (await post(b, *signed_post(a, b, profile_update(a))))[0] == 202
    ended = {"id": f"{a.url}/activities/bye", "type": "Delete", "actor": f"{a.url}/actor",
             "object": f"{a.url}/actor"}  # fmt: skip
    assert (await post(b, *signed_post(a, b, ended)))[0] == 202
    for table in ("partners", "partner_keys", "partner_profiles"):
        assert await b.count(table) == 0, table
    # From now on A is a stranger to B.
    await _problem(b, *signed_post(a, b, profile_update(a, activity="2")), 403)


async def test_a_member_actor_delete_does_not_end_the_partnership(trio):
    a, b, _ = trio
    gone = {"id": f"{a.url}/activities/gone", "type": "Delete",
            "actor": f"{a.url}/users/alice", "object": f"{a.url}/users/alice"}  # fmt: skip
    status, _, text = await post(b, *signed_post(a, b, gone))
    assert status == 202, text  # a Delete of something B does not hold: nothing to do
    assert await b.count("partners") == 1 and await b.count("partner_keys") == 1


def test_every_content_digest_line_must_match():
    body = b'{"a":1}'
    headers = CIMultiDict()
    headers.add("Content-Digest", make_content_digest(body))
    headers.add("Content-Digest", "sha-512=:" + "A" * 86 + "==:")  # a wrong second line
    with pytest.raises(SignatureRejected, match="content-digest"):  # a 401
        check_digest(headers, body)
