"""The inbox on real servers: partner deliveries apply once; everything else is rejected
with a problem body and nothing stored."""

from __future__ import annotations

import io
import json
import time
from datetime import UTC, datetime, timedelta

import aiohttp
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    MappingKeyResolver,
    algorithms,
)

from feedserver.federation import httpsig, profiles
from feedserver.federation.digest import make_content_digest
from feedserver.federation.proofs import sign_object
from feedserver.federation.stamps import stamp

TABLES = ("partner_profiles", "inbox_activities", "seen_signatures")


def profile_update(node, username="alice", topic="payroll", activity="1"):
    """An Update of a signed Profile, as node's server would send it."""
    obj = {
        "@context": ["https://www.w3.org/ns/activitystreams",
                     "https://w3id.org/security/data-integrity/v2"],
        "id": f"{node.url}/users/{username}/profile", "type": "Profile",
        "describes": f"{node.url}/users/{username}", "name": username.title(),
        "summary": "knows things", "tag": [{"type": "Hashtag", "name": f"#{topic}"}],
        "feedserver:evidence": {topic: 3, "other": 9, "title": "secret"},
        "updated": stamp(datetime.now(UTC)),
    }  # fmt: skip
    signed = sign_object(obj, node.key, node.key_id)
    return {
        "@context": obj["@context"], "id": f"{node.url}/activities/{activity}",
        "type": "Update", "actor": f"{node.url}/actor", "object": signed,
    }  # fmt: skip


def signed_post(sender, target, activity, *, key=None, key_id=None, created=None, body=None):
    body = body if body is not None else json.dumps(activity).encode()
    url = f"{target.url}/inbox"
    headers = {"Content-Type": "application/activity+json",
               "Content-Digest": make_content_digest(body)}  # fmt: skip
    headers.update(httpsig.sign_request(
        "POST", url, headers, key or sender.key, key_id or sender.key_id,
        created=created if created is not None else int(time.time()),
    ))  # fmt: skip
    return headers, body


async def post(target, headers, body):
    async with aiohttp.ClientSession() as session:
        data = io.BytesIO(body) if len(body) > 1024 * 1024 else body  # aiohttp warns otherwise
        async with session.post(f"{target.url}/inbox", data=data, headers=headers) as resp:
            text = await resp.text()
            return resp.status, resp.content_type, text


async def counts(node):
    return [await node.count(t) for t in TABLES]


async def test_partner_delivery_applies_once_and_is_idempotent(trio):
    a, b, _ = trio
    activity = profile_update(a)
    created = int(time.time())
    headers, body = signed_post(a, b, activity, created=created)
    assert (await post(b, headers, body))[0] == 202
    # The same activity again under a fresh signature (a resend): accepted, applied once.
    # (Ed25519 is deterministic: the same `created` would make the same signature, a replay.)
    headers, body = signed_post(a, b, activity, created=created - 1)
    assert (await post(b, headers, body))[0] == 200
    assert await counts(b) == [1, 1, 2]
    (found,) = await profiles.partner_experts(b.services, _viewer(await b.add_member("bob")),
                                              "payroll")  # fmt: skip
    assert found["organization"] == "Org A" and found["server"] == a.url
    # Counts only, never text, and only for the topics the profile lists.
    assert found["evidence"] == {"payroll": 3}


async def test_replay_cache_and_activity_ids_are_pruned_when_no_longer_needed(trio):
    a, b, _ = trio
    headers, body = signed_post(a, b, profile_update(a))
    assert (await post(b, headers, body))[0] == 202
    now = b.services.clock()
    # Four minutes later the signature could still be replayed: it is remembered.
    await b.fed.worker.prune_inbox(now + timedelta(minutes=4))
    assert await counts(b) == [1, 1, 1]
    assert (await post(b, headers, body))[0] == 401
    # An hour later the signature can no longer be replayed (stale `created`): forgotten.
    await b.fed.worker.prune_inbox(now + timedelta(hours=1))
    assert await counts(b) == [1, 1, 0]
    # The activity id is kept for the retention period, so a resend still applies once...
    days = b.config.inbox_activity_retention_days
    await b.fed.worker.prune_inbox(now + timedelta(days=days - 1))
    assert await counts(b) == [1, 1, 0]
    # ...and forgotten after it; the profile it brought stays.
    await b.fed.worker.prune_inbox(now + timedelta(days=days, minutes=1))
    assert await counts(b) == [1, 0, 0]


def _viewer(member):
    from feedserver.models import Viewer

    return Viewer(member)


async def test_rejections_store_nothing(trio):
    """Nothing but, for a request whose signature verified, that signature: spent, so that
    its replay is refused as one even if what refused it changes."""
    a, b, c = trio
    before = await counts(b)

    async def expect(status, headers, body, problem, verified=False):
        got, content_type, text = await post(b, headers, body)
        assert (got, content_type) == (status, "application/problem+json"), text
        assert json.loads(text)["type"] == f"/problems/{problem}"
        before[2] += verified
        assert await counts(b) == before

    good = profile_update(a)
    # C is not a partner: its key is not pinned.
    await expect(403, *signed_post(c, b, profile_update(c)), "not-a-partner")
    # No signature at all.
    raw = json.dumps(good).encode()
    await expect(401, {"Content-Type": "application/activity+json"}, raw, "signature-rejected")
    # A tampered body: the signature still verifies over the old Content-Digest.
    headers, body = signed_post(a, b, good)
    await expect(401, headers, body.replace(b"knows", b"kn0ws"), "signature-rejected")
    # A stale `created` (6 minutes old) and one from the future (a minute ahead).
    await expect(401, *signed_post(a, b, good, created=int(time.time()) - 360),
                 "signature-rejected")  # fmt: skip
    await expect(401, *signed_post(a, b, good, created=int(time.time()) + 60),
                 "signature-rejected")  # fmt: skip
    # A's pinned key, but the activity claims an actor on C's server.
    forged = dict(good, actor=f"{c.url}/actor")
    await expect(403, *signed_post(a, b, forged), "not-a-partner", verified=True)
    # The object's proof altered by one character.
    altered = json.loads(json.dumps(good))
    altered["object"]["summary"] = "knows thingz"
    await expect(422, *signed_post(a, b, altered), "invalid-proof", verified=True)
    # A body over 1 MiB.
    big = json.dumps(dict(good, padding="x" * (1024 * 1024))).encode()
    got, _, _ = await post(b, signed_post(a, b, good, body=big)[0], big)
    assert got == 413 and await counts(b) == before
    # A replay: the first is applied, the identical second is refused and changes nothing.
    headers, body = signed_post(a, b, good)
    assert (await post(b, headers, body))[0] == 202
    before = await counts(b)
    await expect(401, headers, body, "signature-rejected")


async def test_signed_bodies_that_are_not_json_are_refused_and_store_nothing(trio):
    # Signed by a partner, so past every signature check: what is left is the JSON itself.
    a, b, _ = trio
    before = await counts(b)
    good = json.dumps(profile_update(a)).encode()
    bodies = [
        b"[" * 100_000 + b"]" * 100_000,  # nested deeper than any parser's stack
        good[:-1] + b', "n": NaN}',  # NaN and Infinity are not JSON
        good[:-1] + b', "n": -Infinity}',
        b"\xff" + good,  # not UTF-8
    ]
    for body in bodies:
        got, content_type, text = await post(b, *signed_post(a, b, None, body=body))
        assert (got, content_type) == (422, "application/problem+json"), (body[:40], text)
        assert json.loads(text)["type"] == "/problems/bad-activity"
        before[2] += 1  # the refused signature is spent; nothing else is stored
        assert await counts(b) == before


async def test_library_signed_request_with_pinned_key_is_accepted(trio):
    """Interop: http-message-signatures signs with A's key (pinned by B); B's inbox accepts."""
    a, b, _ = trio
    body = json.dumps(profile_update(a, activity="lib")).encode()

    class Message:
        method, url = "POST", f"{b.url}/inbox"
        headers = {"Content-Type": "application/activity+json"}

    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={a.key_id: a.key}),
    )
    signer.sign(Message, key_id=a.key_id, created=datetime.now(UTC), label="lib",
                covered_component_ids=("@method", "@target-uri"), body=body)  # fmt: skip
    assert (await post(b, dict(Message.headers), body))[0] == 202
    assert await b.count("partner_profiles") == 1


async def test_our_delivery_signature_verifies_with_the_library(trio):
    """Interop: the exact headers A's delivery client sends verify with the library."""
    a, b, _ = trio
    body = json.dumps(profile_update(a)).encode()
    url = f"{b.url}/inbox"
    headers = a.fed.client.signed_headers("POST", url, body)

    class Message:
        method = "POST"

    Message.url, Message.headers = url, headers
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={a.key_id: a.key.public_key()},
                                        private_keys={}),
    )  # fmt: skip
    (result,) = verifier.verify(Message, require_components=httpsig.POST_COMPONENTS, body=body)
    assert result.parameters["keyid"] == a.key_id
