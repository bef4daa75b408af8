"""The inviter's answer to a partner handshake, on real servers on loopback: it is signed by
the key the accepter pins and bound to that handshake, so an answer changed on the way pins
nothing; and an answer lost after the inviter committed is not the end: the server that used
the code may finish the handshake again (and only it), changing nothing on the inviter."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import timedelta

import aiohttp
import pytest
from aiohttp import web

from feedserver.federation import delivery, partner_codes, partners
from feedserver.federation.documents import application_actor
from feedserver.federation.errors import InviteRejected, PartnerUnreachable
from feedserver.federation.handshake import HANDSHAKE_PATH
from feedserver.federation.keys import public_key_to_multibase
from feedserver.federation.proofs import sign_object

from .servers import fixed_key, free_port, make_node, start
from .test_partnering_hostile import EVIL, actor_doc, fake_server, handshake, partner_state
from .test_shared_profiles import PROFILE, directory, login


@dataclass
class Path:
    """The network between the accepter and A: forwards everything to A's real port, and may
    change A's handshake answers on the way (`tamper`) or cut the connection once A answered
    (`cut`). It logs A's handshake answers as A sent them."""

    target: str
    tamper: object = None
    cut: bool = False

    def __post_init__(self) -> None:
        self.answers: list[dict] = []

    async def forward(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() not in ("host", "content-length", "transfer-encoding")
        }
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                request.method, self.target + request.path_qs, data=body, headers=headers,
                allow_redirects=False,
            ) as r,
        ):  # fmt: skip
            status, data, content_type = r.status, await r.read(), r.headers["Content-Type"]
        if request.path == HANDSHAKE_PATH and status == 200:
            answer = json.loads(data)
            self.answers.append(answer)
            if self.cut:  # A committed; the accepter never hears of it
                request.transport.close()
                return web.Response()
            if self.tamper is not None:
                data = json.dumps(self.tamper(answer)).encode()
        return web.Response(body=data, status=status, headers={"Content-Type": content_type})


@pytest.fixture
async def behind(aiohttp_server, tmp_path):
    """A, reachable (as its public URL says) only through a Path we control; B and C."""
    a, b, c = (make_node(n, s, tmp_path) for n, s in (("a", 1), ("b", 2), ("c", 3)))
    proxy_port = free_port()
    path = Path(f"http://127.0.0.1:{a.config.port}")
    a.config = replace(a.config, base_url=f"http://127.0.0.1:{proxy_port}")
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", path.forward)
    await aiohttp_server(app, port=proxy_port)
    for node in (a, b, c):
        await start(node, aiohttp_server)
    return a, b, c, path


def resigned(key, key_id: str, **changes):
    """A tamperer: the answer with `changes`, its proof replaced by one made with `key`."""

    def tamper(answer: dict) -> dict:
        doc = {k: v for k, v in answer.items() if k != "proof"}
        return sign_object({**doc, **changes}, key, key_id)

    return tamper


async def invite_row(node, code: str) -> tuple:
    secret_hash = partner_codes.hash_secret(partners.decode_code(code)["s"])
    async with (
        node.services.db.read() as conn,
        conn.execute(
            "SELECT profiles, created_at, expires_at, used_at, used_by FROM partner_invites"
            " WHERE secret_hash = ?",
            (secret_hash,),
        ) as cur,
    ):
        return tuple(await cur.fetchone())


async def test_a_changed_answer_pins_nothing_and_the_same_code_then_finishes(behind):
    a, b, c, path = behind
    code, _ = await partners.invite(a.services, profiles=False)
    secret_hash = partner_codes.hash_secret(partners.decode_code(code)["s"])
    other = fixed_key(7)
    tamperers = {
        # Someone on the path widens the scope...
        "bad-signature": lambda answer: {**answer, "profiles": True},
        # ... or drops the proof, or signs it themselves, under their key id or A's.
        "missing": lambda answer: {
            k: v for k, v in {**answer, "profiles": True}.items() if k != "proof"
        },
        "unknown-key": resigned(other, f"{a.url}/actor#other", profiles=True),
        "bad-signature: proof does not verify": resigned(other, a.key_id, profiles=True),
        # An answer really signed by A, but for another handshake: another accepter, another
        # invite, another inviter's actor.
        "another accepting server": resigned(a.key, a.key_id, accepter=f"{c.url}/actor"),
        "another invite": resigned(a.key, a.key_id, invite=partner_codes.hash_secret("other")),
        "names another server": resigned(a.key, a.key_id, actor={"id": f"{c.url}/actor"}),
        "not a partner handshake answer": resigned(a.key, a.key_id, type="Accept"),
    }
    on_a = None
    for reason, tamper in tamperers.items():
        path.tamper = tamper
        with pytest.raises(InviteRejected, match=reason):
            await partners.accept(b.fed, code)
        assert await partner_state(b) == ([], [])  # B pinned nothing, whatever it was told
        # A committed on the first try; B's further tries changed nothing there.
        on_a = on_a or (await partner_state(a), await invite_row(a, code))
        assert (await partner_state(a), await invite_row(a, code)) == on_a
    assert on_a[1][-1] == b.host  # the invite records who used it
    # What A said was the same every time, and signed over this handshake's terms.
    first = path.answers[0]
    assert all(answer == first for answer in path.answers)
    assert first["proof"]["verificationMethod"] == a.key_id
    assert (first["accepter"], first["invite"], first["profiles"]) == (
        f"{b.url}/actor", secret_hash, False
    )  # fmt: skip
    assert partners.decode_code(code)["s"] not in json.dumps(first)
    # The path is clean again: the same code finishes the partnership, as A made it.
    path.tamper = None
    partner = await partners.accept(b.fed, code)
    assert (partner.host, partner.profiles) == (a.host, False)
    assert await partner_state(b) == (
        [(a.host, a.url, f"{a.url}/actor", f"{a.url}/inbox", "Org A", 0)],
        [(a.key_id, a.host, public_key_to_multibase(a.key.public_key()))],
    )
    assert (await partner_state(a), await invite_row(a, code)) == on_a


async def answer_lost(a, b, path) -> str:
    """Alice on A shares her profile with partners; B accepts A's code (profiles in scope)
    and loses A's answer. Returns the code."""
    alice = await login(a, "alice")
    await a.call("PUT", "/api/v1/members/alice/profile", dict(PROFILE, sharing="partners"),
                 token=alice)  # fmt: skip
    code, _ = await partners.invite(a.services, profiles=True)
    path.cut = True
    with pytest.raises(PartnerUnreachable):
        await partners.accept(b.fed, code)
    return code


async def test_an_answer_lost_after_the_inviter_committed_can_be_completed(behind):
    a, b, _, path = behind
    code = await answer_lost(a, b, path)
    # A pinned B and queued Alice's profile for it; B has nothing.
    assert [p[0] for p in (await partner_state(a))[0]] == [b.host]
    queued = await delivery_ids(a)
    assert len(queued) == 1
    assert await partner_state(b) == ([], [])
    on_a = (await partner_state(a), await invite_row(a, code))
    # B's admin runs the same code again: A answers as the first time and changes nothing.
    path.cut = False
    partner = await partners.accept(b.fed, code)
    assert (partner.host, partner.profiles) == (a.host, True)
    assert path.answers[0] == path.answers[1]
    assert (await partner_state(a), await invite_row(a, code)) == on_a
    assert await delivery_ids(a) == queued  # nothing queued again
    (on_b,) = (await b.call("GET", "/api/v1/admin/partners"))[1]["items"]
    assert on_b["host"] == a.host and on_b["scopes"] == {"profiles": True, "groups": False}
    assert (await partner_state(b))[1] == [
        (a.key_id, a.host, public_key_to_multibase(a.key.public_key()))
    ]


async def test_a_backfill_refused_while_the_answer_was_lost_goes_out_once_finished(behind):
    """The answer stayed lost past the queue's settling time: B, not knowing A, refused A's
    backfill and the delivery failed for good. Finishing the handshake sends it again."""
    a, b, _, path = behind
    a.fed.wake_worker.clear()  # the test drives A's worker, with a clock past the settling
    code = await answer_lost(a, b, path)
    later = a.services.clock() + delivery.PARTNERING_SETTLE + timedelta(minutes=1)
    assert await a.fed.worker.run_once(later) == 0
    (refused,) = await delivery_rows(a)
    assert refused[1:] == ("failed", 403)
    path.cut = False
    await partners.accept(b.fed, code)
    assert await delivery_rows(a) == [(refused[0], "pending", 403)]
    # Not at once: B may not have read A's answer yet (it pins A when it does).
    assert await a.fed.worker.run_once() == 0
    assert await a.fed.worker.run_once(later) == 1
    bob = await login(b, "bob")
    found = [(e["display_name"], e["organization"]) for e in await directory(b, bob)
             if e["status"] == "partner"]  # fmt: skip
    assert found == [("Alice", "Org A")]
    # Finishing once more sends nothing again: what got through is not queued.
    await partners.accept(b.fed, code)
    assert await delivery_rows(a) == []


async def delivery_rows(node) -> list[tuple]:
    async with (
        node.services.db.read() as conn,
        conn.execute("SELECT id, state, last_status FROM deliveries ORDER BY id") as cur,
    ):
        return [tuple(r) for r in await cur.fetchall()]


async def delivery_ids(node) -> list[str]:
    return [row[0] for row in await delivery_rows(node)]


async def signed_handshake(node, inviter, code: str) -> tuple[int, dict]:
    """What `partners.accept` sends, sent by `node`'s own client; the answer (status, JSON)."""
    secret = partners.decode_code(code)["s"]
    body = json.dumps({"secret": secret, "actor": application_actor(node.fed.keys)}).encode()
    reply = await node.fed.client.request(
        "POST", f"{inviter.url}{HANDSHAKE_PATH}", [inviter.host], body
    )
    return reply.status, reply.json()


async def test_only_the_server_that_used_a_code_may_finish_with_it(trio, aiohttp_server):
    a, b, c = trio
    code, _ = await partners.invite(a.services, profiles=True)
    secret = partners.decode_code(code)["s"]
    # C's request reaches A, A pins C; C drops the answer.
    status, first = await signed_handshake(c, a, code)
    assert status == 200 and first["accepter"] == f"{c.url}/actor"
    on_a = (await partner_state(a), await invite_row(a, code), await a.count("deliveries"))
    # Another partner of A's with the used code: refused (used), nothing changes on either.
    on_b = await partner_state(b)
    with pytest.raises(InviteRejected, match=r"\(403\)"):
        await partners.accept(b.fed, code)
    assert await partner_state(b) == on_b
    # Someone holding the used code who claims to be C, with a key of their own: 409.
    status, _, problem = await handshake(a, secret, actor_doc(c.url))
    assert status == 409 and "not signed by a current key pinned" in problem["detail"]
    # A server that publishes its own key, no partner: the code is used.
    honest, seen = await fake_server(aiohttp_server, actor_doc)
    status, _, problem = await handshake(a, secret, actor_doc(honest))
    assert status == 403 and problem["type"] == "/problems/invite-rejected" and seen == []
    assert (await partner_state(a), await invite_row(a, code), await a.count("deliveries")) == on_a
    # C itself, again: the very same answer, and nothing changes on A.
    assert await signed_handshake(c, a, code) == (200, first)
    assert (await partner_state(a), await invite_row(a, code), await a.count("deliveries")) == on_a
    assert (await partners.accept(c.fed, code)).profiles is True
    # The partnership is not the one this code made any more (C forgot A and partnered again
    # with a code of its own, without profiles): the old code is no way back to its scope.
    assert await partners.remove(c.services, a.host)
    again, _ = await partners.invite(c.services, profiles=False)
    assert (await partners.accept(a.fed, again)).profiles is False
    status, problem = await signed_handshake(c, a, code)
    assert status == 409 and "not the partnership this invite made" in problem["detail"]
    # Once A has forgotten C, or the invite's lifetime is over, the code is dead for C too.
    assert await partners.remove(a.services, c.host)
    status, problem = await signed_handshake(c, a, code)
    assert status == 403 and problem["type"] == "/problems/invite-rejected"


async def test_finishing_again_needs_a_current_pinned_key_its_host_still_publishes(
    trio, aiohttp_server
):
    a, _, _ = trio
    code, _ = await partners.invite(a.services, profiles=False)
    secret = partners.decode_code(code)["s"]
    served = {"key": EVIL}  # what the accepter's host publishes
    f, _ = await fake_server(aiohttp_server, lambda base: actor_doc(base, served["key"]))
    status, _, first = await handshake(a, secret, actor_doc(f))
    assert status == 200 and first["profiles"] is False
    on_a = (await partner_state(a), await invite_row(a, code))
    assert await handshake(a, secret, actor_doc(f)) == (200, "application/json", first)
    # Its host no longer publishes the key that signs (say, it was replaced): 409.
    served["key"] = fixed_key(8)
    status, _, problem = await handshake(a, secret, actor_doc(f))
    assert status == 409 and "no longer publishes the signing key" in problem["detail"]
    # A key we pinned for it, but rotated out (it announced a successor): 409.
    served["key"] = EVIL
    async with a.services.db.write() as conn:
        await conn.execute(
            "UPDATE partner_keys SET expires_at = ? WHERE key_id = ?",
            ("2999-01-01T00:00:00.000000Z", f"{f}/actor#evil"),
        )
    status, _, problem = await handshake(a, secret, actor_doc(f))
    assert status == 409 and "not signed by a current key pinned" in problem["detail"]
    async with a.services.db.write() as conn:
        await conn.execute("UPDATE partner_keys SET expires_at = NULL")
    # The invite's lifetime is over: the used code is refused like any other.
    async with a.services.db.write() as conn:
        await conn.execute(
            "UPDATE partner_invites SET expires_at = ?", ("2000-01-01T00:00:00.000000Z",)
        )
    status, _, problem = await handshake(a, secret, actor_doc(f))
    assert status == 403 and problem["type"] == "/problems/invite-rejected"
    assert await partner_state(a) == on_a[0]  # nothing changed on A through any of it
