"""Shared profiles stay in sync on three real servers: a partner added later gets the profiles
shared before it joined (backfill through the queue), and evidence gained or withdrawn pushes
an Update, coalesced to one pending per member and partner."""

from __future__ import annotations

import asyncio

from feedserver.federation import partners

from .test_shared_profiles import PROFILE, directory, login


async def pending(node, host=None):
    status, body = await node.call("GET", "/api/v1/admin/deliveries?state=pending")
    assert status == 200
    return [d for d in body["items"] if host is None or d["host"] == host]


async def delivered(sender, receiver, token, count=1):
    """Partnering wakes the sender's worker, which may already have sent the backfill, and
    may have sent it before the receiver pinned the sender's key: the receiver refused it
    (401) and it waits for its retry. Drive the worker as if each retry's backoff had
    passed, once its own pass has ended, until the receiver's directory shows the entries
    (or a deadline passes)."""
    worker = sender.fed.worker
    deadline = asyncio.get_running_loop().time() + 60
    while asyncio.get_running_loop().time() < deadline:
        await asyncio.wait_for(worker.idle.wait(), 60)
        await worker.run_once(sender.services.clock() + worker.backoff(30))
        found = await partner_entries(receiver, token)
        if len(found) >= count:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError("the backfill did not arrive")


async def partner_entries(node, token, topic="payroll"):
    return [e for e in await directory(node, token, topic) if e["status"] == "partner"]


async def test_new_partner_gets_profiles_shared_before_it_joined(trio):
    a, b, c = trio
    alice = await login(a, "alice")
    await login(a, "dora")  # shares with the organization only: never backfilled
    await a.call("PUT", "/api/v1/members/alice/profile", dict(PROFILE, sharing="partners"),
                 token=alice)  # fmt: skip
    assert await a.fed.worker.run_once() == 1  # B, the partner at the time
    carol = await login(c, "carol")
    assert await partner_entries(c, carol) == []
    # C partners with A (profiles in scope) after Alice shared: her profile is queued for C
    # in the partnering transaction, and the worker delivers it like any other.
    code, _ = await partners.invite(a.services, profiles=True)
    await partners.accept(c.fed, code)
    (found,) = await delivered(a, c, carol)
    assert (found["display_name"], found["organization"]) == ("Alice", "Org A")
    assert await pending(a) == []


async def test_partner_without_profiles_scope_gets_no_backfill(trio):
    a, _, c = trio
    alice = await login(a, "alice")
    await a.call("PUT", "/api/v1/members/alice/profile", dict(PROFILE, sharing="partners"),
                 token=alice)  # fmt: skip
    await a.fed.worker.run_once()
    code, _ = await partners.invite(a.services, profiles=False)
    await partners.accept(c.fed, code)
    assert await pending(a, c.host) == []


async def test_the_inviter_backfills_too(trio):
    """C invites A: A's side pins C in the handshake and queues Alice's profile for it."""
    a, _, c = trio
    alice = await login(a, "alice")
    await a.call("PUT", "/api/v1/members/alice/profile", dict(PROFILE, sharing="partners"),
                 token=alice)  # fmt: skip
    await a.fed.worker.run_once()
    code, _ = await partners.invite(c.services, profiles=True)
    await partners.accept(a.fed, code)
    carol = await login(c, "carol")
    (found,) = await delivered(a, c, carol)
    assert found["display_name"] == "Alice"
    assert await pending(a) == []


async def _answered_question(node, asker_token, answerer_token, n):
    status, question = await node.call(
        "POST", "/api/v1/groups/payroll-help/posts",
        {"kind": "question", "title": f"Question {n}", "body": "How?", "tags": ["payroll"]},
        token=asker_token,
    )  # fmt: skip
    assert status == 201, question
    status, answer = await node.call(
        "POST", f"/api/v1/posts/{question['id']}/replies", {"body": "Like so."},
        token=answerer_token,
    )  # fmt: skip
    assert status == 201, answer
    return answer


async def test_new_evidence_pushes_one_coalesced_update(trio):
    a, b, c = trio
    alice = await login(a, "alice")
    mia = await login(a, "mia")
    bob = await login(b, "bob")
    await a.call("POST", "/api/v1/groups", {"name": "payroll-help", "title": "Payroll help",
                                            "visibility": "org"}, token=mia)  # fmt: skip
    status, _ = await a.call("PUT", "/api/v1/groups/payroll-help/members/alice",
                             {"role": "member"}, token=mia)  # fmt: skip
    assert status == 200
    await a.call("PUT", "/api/v1/members/alice/profile", dict(PROFILE, sharing="partners"),
                 token=alice)  # fmt: skip
    assert await a.fed.worker.run_once() == 1
    (before,) = await partner_entries(b, bob)
    assert before["evidence_count"] == 0
    # A burst of evidence: three accepted answers, a helpful mark and an endorsement.
    for n in range(3):
        answer = await _answered_question(a, mia, alice, n)
        status, _ = await a.call("POST", f"/api/v1/posts/{answer['id']}/accept", token=mia)
        assert status == 200
    assert (await a.call("PUT", f"/api/v1/posts/{answer['id']}/helpful", token=mia))[0] == 200
    status, _ = await a.call("POST", "/api/v1/members/alice/endorsements/payroll", token=mia)
    assert status in (200, 201, 204)
    # One pending Update for Alice to B, not five; nothing to C (no partner).
    queued = await pending(a)
    assert len(queued) == 1 and queued[0]["host"] == b.host
    assert await a.fed.worker.run_once() == 1
    (after,) = await partner_entries(b, bob)
    assert after["evidence_count"] >= 5  # 3 accepted + helpful + endorsement, as counts
    assert await b.count("inbox_activities") == 2
    carol = await login(c, "carol")
    assert await partner_entries(c, carol) == []


async def test_withdrawn_evidence_pushes_lower_counts(trio):
    a, b, _ = trio
    alice, mia, bob = await login(a, "alice"), await login(a, "mia"), await login(b, "bob")
    await a.call("POST", "/api/v1/groups", {"name": "payroll-help", "title": "Payroll help",
                                            "visibility": "org"}, token=mia)  # fmt: skip
    await a.call("PUT", "/api/v1/groups/payroll-help/members/alice", {"role": "member"},
                 token=mia)  # fmt: skip
    await a.call("PUT", "/api/v1/members/alice/profile", dict(PROFILE, sharing="partners"),
                 token=alice)  # fmt: skip
    answers = [await _answered_question(a, mia, alice, n) for n in range(2)]
    for answer in answers:
        assert (await a.call("POST", f"/api/v1/posts/{answer['id']}/accept", token=mia))[0] == 200
    assert (await a.call("PUT", f"/api/v1/posts/{answers[0]['id']}/helpful", token=mia))[0] == 200
    assert (await a.call("POST", "/api/v1/members/alice/endorsements/payroll", token=mia))[0] in (
        200, 201,
    )  # fmt: skip
    await a.fed.worker.run_once()
    assert (await partner_entries(b, bob))[0]["evidence_count"] == 4
    # Each withdrawal lowers what B shows, as an Update through the queue.
    withdrawals = [
        ("DELETE", f"/api/v1/posts/{answers[0]['id']}/helpful", 3),
        ("DELETE", f"/api/v1/posts/{answers[0]['id']}/accept", 2),
        ("DELETE", "/api/v1/members/alice/endorsements/payroll", 1),
        ("DELETE", f"/api/v1/posts/{answers[1]['id']}", 0),  # a deleted answer counts no more
    ]
    for method, path, left in withdrawals:
        status, body = await a.call(method, path, token=mia)
        assert status in (200, 204), (path, body)
        assert len(await pending(a, b.host)) == 1, path
        assert await a.fed.worker.run_once() == 1
        (entry,) = await partner_entries(b, bob)
        assert entry["evidence_count"] == left, path


async def test_evidence_for_an_unshared_profile_pushes_nothing(trio):
    a, _, _ = trio
    alice = await login(a, "alice")
    mia = await login(a, "mia")
    await a.call("PUT", "/api/v1/members/alice/profile", dict(PROFILE, sharing="org"),
                 token=alice)  # fmt: skip
    status, _ = await a.call("POST", "/api/v1/members/alice/endorsements/payroll", token=mia)
    assert status in (200, 201, 204)
    assert await pending(a) == []
