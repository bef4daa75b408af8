"""Partnering against hostile or broken peers, on real servers on loopback: a partner's host
is taken only from what that host itself serves, a partner is never replaced by a handshake,
a refused handshake stores nothing and leaves the invite open, bad codes are problems (not
500s), and removing a partner tells it so it forgets us too."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from datetime import timedelta

import aiohttp
import pytest
from aiohttp import web

from feedserver.federation import httpsig, partners
from feedserver.federation.delivery import enqueue
from feedserver.federation.digest import make_content_digest
from feedserver.federation.errors import InviteRejected
from feedserver.federation.keys import fingerprint, public_key_to_multibase
from feedserver.store import federation as fed_store

from .servers import fixed_key, free_port
from .test_shared_profiles import PROFILE, directory, login

EVIL = fixed_key(9)  # the intruder's own key


def actor_doc(base: str, key=EVIL, key_name: str = "evil", **extra) -> dict:
    """A server actor claiming `base`, publishing `key`."""
    return {
        "@context": ["https://www.w3.org/ns/activitystreams"],
        "id": f"{base}/actor", "type": "Application", "name": "Org Intruder",
        "url": base, "inbox": f"{base}/inbox",
        "assertionMethod": [{
            "id": f"{base}/actor#{key_name}", "type": "Multikey", "controller": f"{base}/actor",
            "publicKeyMultibase": public_key_to_multibase(key.public_key()),
        }],
        **extra,
    }  # fmt: skip


async def handshake(inviter, secret: str, actor: dict, key=EVIL) -> tuple[int, str, dict]:
    """POST the handshake as an accepter would, signed with `key` (its first presented key)."""
    body = json.dumps({"secret": secret, "actor": actor}).encode()
    url = f"{inviter.url}/federation/handshake"
    headers = {"Content-Type": "application/json", "Content-Digest": make_content_digest(body)}
    key_id = actor["assertionMethod"][0]["id"]
    headers.update(
        httpsig.sign_request("POST", url, headers, key, key_id, created=int(time.time()))
    )
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=headers) as r,
    ):
        return r.status, r.content_type, await r.json(content_type=None)


async def partner_state(node) -> tuple[list, list]:
    async with node.services.db.read() as conn:
        async with conn.execute(
            "SELECT host, base_url, actor_id, inbox_url, name, profiles FROM partners ORDER BY host"
        ) as cur:
            found = [tuple(r) for r in await cur.fetchall()]
        async with conn.execute(
            "SELECT key_id, host, public_multibase FROM partner_keys ORDER BY key_id"
        ) as cur:
            keys = [tuple(r) for r in await cur.fetchall()]
    return found, keys


def code_of(payload) -> str:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return "fsp1." + base64.urlsafe_b64encode(raw).decode().rstrip("=")


async def fake_server(aiohttp_server, actor_for) -> tuple[str, list]:
    """A loopback server serving actor_for(its base URL) at /actor, and answering a partner
    handshake as if it accepted it; logs the requests it gets."""
    seen: list[str] = []

    async def get_actor(request):
        seen.append(request.path)
        return web.json_response(actor_for(base), content_type="application/activity+json")

    async def post_handshake(request):
        seen.append(request.path)
        return web.json_response({"actor": {"id": actor_for(base)["id"]}, "profiles": True})

    app = web.Application()
    app.router.add_get("/actor", get_actor)
    app.router.add_post("/federation/handshake", post_handshake)
    server = await aiohttp_server(app)
    base = f"http://127.0.0.1:{server.port}"
    return base, seen


async def test_an_invite_holder_cannot_take_over_a_partner_or_our_own_host(trio):
    a, b, c = trio
    code, _ = await partners.invite(a.services, profiles=True)  # meant for C
    secret = partners.decode_code(code)["s"]
    before = await partner_state(a)
    # C claims to be B, A's partner, with its own key: refused, B's row and keys untouched.
    status, content_type, problem = await handshake(a, secret, actor_doc(b.url))
    assert (status, content_type) == (409, "application/problem+json"), problem
    assert problem["type"] == "/problems/conflict" and "remove it first" in problem["detail"]
    # ... or to be A itself.
    status, _, problem = await handshake(a, secret, actor_doc(a.url))
    assert status == 422 and problem["type"] == "/problems/bad-activity"
    assert await partner_state(a) == before
    # The refusals did not use the invite up: C, for whom it was meant, partners with it.
    partner = await partners.accept(c.fed, code)
    assert partner.host == a.host
    assert [p[0] for p in (await partner_state(a))[0]] == sorted([b.host, c.host])


async def test_re_partnering_is_remove_then_a_new_code(trio):
    """A scope changes only through remove and a new invite, never through a handshake."""
    a, b, _ = trio
    code, _ = await partners.invite(a.services, profiles=False)
    before_a, before_b = await partner_state(a), await partner_state(b)
    with pytest.raises(InviteRejected, match="already a partner: remove it first"):
        await partners.accept(b.fed, code)
    assert (await partner_state(a), await partner_state(b)) == (before_a, before_b)
    status, ended = await a.call("DELETE", f"/api/v1/admin/partners/{b.host}")
    assert status == 200 and ended["partner_told"] is True
    assert await b.count("partners") == 0  # B was told and forgot A
    # The same code still works: the refusal did not use it up.
    assert (await partners.accept(b.fed, code)).profiles is False
    (on_a,) = (await a.call("GET", "/api/v1/admin/partners"))[1]["items"]
    assert on_a["host"] == b.host and on_a["scopes"] == {"profiles": False, "groups": False}


async def test_the_accepters_own_host_must_publish_the_presented_keys(trio, aiohttp_server):
    a, _, c = trio
    code, _ = await partners.invite(a.services, profiles=False)
    secret = partners.decode_code(code)["s"]
    before = await partner_state(a)
    # Without an open invite's secret, A fetches nothing from anyone.
    honest, seen = await fake_server(aiohttp_server, actor_doc)
    status, _, problem = await handshake(a, "not the secret", actor_doc(honest))
    assert status == 403 and problem["type"] == "/problems/invite-rejected" and seen == []
    # C's host (no partner of A's) does not publish the intruder's key.
    status, content_type, problem = await handshake(a, secret, actor_doc(c.url))
    assert (status, content_type) == (401, "application/problem+json"), problem
    assert problem["type"] == "/problems/signature-rejected"
    # A host that does not answer.
    status, _, problem = await handshake(a, secret, actor_doc(f"http://127.0.0.1:{free_port()}"))
    assert status == 502 and problem["type"] == "/problems/partner-unreachable"
    # A host whose actor has another id.
    other, _ = await fake_server(aiohttp_server, lambda base: actor_doc(base + "/x"))
    status, _, problem = await handshake(a, secret, actor_doc(other))
    assert status == 422 and problem["type"] == "/problems/bad-activity"
    assert await partner_state(a) == before
    # A server that publishes its key is pinned, as its own host serves its actor.
    status, _, answer = await handshake(
        a, secret, actor_doc(honest, name="Org Honest (as presented)")
    )
    assert status == 200 and answer["profiles"] is False and seen == ["/actor"]
    partners_on_a, keys_on_a = await partner_state(a)
    host = honest.split("://")[1]
    assert (host, honest, f"{honest}/actor", f"{honest}/inbox", "Org Intruder", 0) in partners_on_a
    assert (f"{honest}/actor#evil", host, public_key_to_multibase(EVIL.public_key())) in keys_on_a
    # Now it is used up.
    with pytest.raises(InviteRejected):
        await partners.accept(c.fed, code)


async def test_accept_pins_the_inviter_under_the_codes_host_only(trio, aiohttp_server):
    a, b, _ = trio
    before = await partner_state(b)
    # A fake inviter F serves an actor whose id is on A's host, with F's key in the code.
    fake, _ = await fake_server(aiohttp_server, lambda base: actor_doc(a.url))
    forged = code_of({"u": fake, "f": fingerprint(EVIL.public_key()), "s": "x"})
    with pytest.raises(InviteRejected, match="not on"):
        await partners.accept(b.fed, forged)
    # A code of our own.
    own, _ = await partners.invite(b.services, profiles=False)
    with pytest.raises(InviteRejected, match="own"):
        await partners.accept(b.fed, own)
    assert await partner_state(b) == before


async def test_bad_codes_are_problems_not_server_errors(trio, tmp_path):
    a, _, _ = trio
    bad = {
        "too deep": code_of(b"[" * 1400),  # within the 2000 characters a code may have
        "unbalanced IPv6": code_of({"u": "http://[::1", "f": "x", "s": "y"}),
        "not http": code_of({"u": "file:///etc/passwd", "f": "x", "s": "y"}),
        "no host": code_of({"u": "http:///actor", "f": "x", "s": "y"}),
        "bad port": code_of({"u": "http://127.0.0.1:99999", "f": "x", "s": "y"}),
    }
    for name, code in bad.items():
        status, problem = await a.call("POST", "/api/v1/admin/partners", {"code": code})
        assert status == 403 and problem["type"] == "/problems/invite-rejected", (name, problem)
    assert await a.count("partners") == 1
    cli = subprocess.run(
        [sys.executable, "-m", "feedserver", "--data", str(tmp_path / "cli"), "partner",
         "accept", bad["too deep"]],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert cli.returncode == 1 and "Traceback" not in cli.stderr
    assert cli.stderr.splitlines()[-1].startswith("feedserver: the code does not decode")


async def test_removing_a_partner_tells_it_and_it_forgets_us(trio):
    a, b, _ = trio
    alice, bob = await login(a, "alice"), await login(b, "bob")
    await a.call("PUT", "/api/v1/members/alice/profile", dict(PROFILE, sharing="partners"),
                 token=alice)  # fmt: skip
    assert await a.fed.worker.run_once() == 1
    assert [e["display_name"] for e in await directory(b, bob) if e["status"] == "partner"] == [
        "Alice"
    ]
    status, ended = await a.call("DELETE", f"/api/v1/admin/partners/{b.host}")
    assert status == 200 and ended == {
        "host": b.host, "removed": True, "partner_told": True, "partner_error": None,
    }  # fmt: skip
    assert await a.count("partners") == 0
    # B forgot A: no partner, no pinned keys, no cached profiles of A's members.
    assert (await b.call("GET", "/api/v1/admin/partners"))[1]["items"] == []
    assert await b.count("partner_keys") == 0 and await b.count("partner_profiles") == 0
    assert [e for e in await directory(b, bob) if e["status"] == "partner"] == []


async def test_removing_a_partner_that_is_down_still_removes_it_here(trio, tmp_path):
    a, b, c = trio
    code, _ = await partners.invite(a.services, profiles=False)
    await partners.accept(c.fed, code)
    await b.server.close()
    await c.server.close()
    status, ended = await a.call("DELETE", f"/api/v1/admin/partners/{b.host}")
    assert status == 200 and ended["host"] == b.host and ended["removed"] is True
    assert ended["partner_told"] is False and b.host in ended["partner_error"]
    # The command line, from another process on A's data directory, says so too.
    cli = subprocess.run(
        [sys.executable, "-m", "feedserver", "--data", str(a.config.data_dir), "partner",
         "remove", c.host],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "FEEDSERVER_BASE_URL": a.url,
             "FEEDSERVER_DATABASE_URL": a.config.database_url},
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    assert f"removed {c.host} here, but it could not be told" in cli.stdout
    assert await a.count("partners") == 0 and await a.count("partner_keys") == 0


async def test_a_new_code_without_profiles_drops_profiles_both_ways(trio):
    """A forgot B while B was unreachable, then partners again without profiles: B keeps
    none of A's members' profiles, and none of its own members' is left queued for A."""
    a, b, _ = trio
    alice, bob = await login(a, "alice"), await login(b, "bob")
    await a.call("PUT", "/api/v1/members/alice/profile", dict(PROFILE, sharing="partners"),
                 token=alice)  # fmt: skip
    assert await a.fed.worker.run_once() == 1
    assert len([e for e in await directory(b, bob) if e["status"] == "partner"]) == 1
    # Bob shares too: an Update for A is queued on B (and not sent: no worker pass).
    await b.call("PUT", "/api/v1/members/bob/profile", dict(PROFILE, sharing="partners"),
                 token=bob)  # fmt: skip
    later = b.services.clock() + timedelta(days=1)
    async with b.services.db.write() as conn:  # something else queued for A, not due yet
        other = {"id": f"{b.url}/actor#other", "type": "Update", "actor": f"{b.url}/actor"}
        await enqueue(conn, other, [await fed_store.partner(conn, a.host)], later)
    assert await partners.remove(a.services, b.host)  # here only: B is not told
    code, _ = await partners.invite(a.services, profiles=False)
    assert (await partners.accept(b.fed, code)).profiles is False
    assert [e for e in await directory(b, bob) if e["status"] == "partner"] == []
    assert await b.count("partner_profiles") == 0
    async with (
        b.services.db.read() as conn,
        conn.execute("SELECT activity_id FROM deliveries WHERE host = ?", (a.host,)) as cur,
    ):
        assert [r[0] for r in await cur.fetchall()] == [other["id"]]
