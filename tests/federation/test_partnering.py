"""Discovery documents and partnering between real servers on loopback."""

from __future__ import annotations

import base64
import json
import stat

import pytest

from feedserver.federation import partners
from feedserver.federation.errors import InviteRejected
from feedserver.federation.keys import public_key_to_multibase

from .servers import make_node, start


async def test_discovery_documents_public_fields_only(trio):
    a, _, _ = trio
    await a.add_member("alice")
    await a.add_member("olga")  # default sharing (org): not discoverable from outside
    # Only a member who shares their profile with partners is discoverable (tests/security).
    assert (await a.call("PUT", "/api/v1/members/alice/profile", {"sharing": "partners"}))[0] == 200
    status, actor = await a.call("GET", "/actor", token="")
    assert status == 200 and actor["type"] == "Application" and actor["name"] == "Org A"
    (key,) = actor["assertionMethod"]
    assert key == {
        "id": a.key_id, "type": "Multikey", "controller": f"{a.url}/actor",
        "publicKeyMultibase": public_key_to_multibase(a.key.public_key()),
    }  # fmt: skip
    status, person = await a.call("GET", "/users/alice")
    assert status == 200 and person["type"] == "Person" and person["name"] == "Alice"
    assert set(person) <= {"@context", "id", "type", "preferredUsername", "name", "inbox",
                           "endpoints", "attributedTo", "assertionMethod"}  # fmt: skip
    assert (await a.call("GET", "/users/nobody"))[0] == 404
    assert (await a.call("GET", "/users/olga"))[0] == 404
    status, jrd = await a.call("GET", f"/.well-known/webfinger?resource=acct:alice@{a.host}")
    assert status == 200 and jrd["links"][0]["href"] == f"{a.url}/users/alice"
    assert (await a.call("GET", "/.well-known/webfinger?resource=acct:alice@elsewhere"))[0] == 404
    assert (await a.call("GET", "/.well-known/webfinger"))[0] == 400
    status, links = await a.call("GET", "/.well-known/nodeinfo")
    assert links["links"][0]["href"] == f"{a.url}/nodeinfo/2.1"
    status, info = await a.call("GET", "/nodeinfo/2.1")
    assert status == 200 and info["version"] == "2.1" and info["protocols"] == ["activitypub"]


async def test_first_start_creates_a_private_key(aiohttp_server, tmp_path):
    node = make_node("d", 4, tmp_path)
    (node.config.data_dir / "keys" / "key-d.pem").unlink()
    await start(node, aiohttp_server)
    (path,) = (node.config.data_dir / "keys").glob("*.pem")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    status, actor = await node.call("GET", "/actor")
    assert actor["assertionMethod"][0]["id"] == f"{node.url}/actor#{path.stem}"


async def test_both_sides_pin_each_others_keys(trio):
    a, b, c = trio
    status, listed = await a.call("GET", "/api/v1/admin/partners")
    assert status == 200
    (on_a,) = listed["items"]
    assert on_a["host"] == b.host and on_a["organization"] == "Org B"
    assert on_a["scopes"] == {"profiles": True, "groups": False} and on_a["health"]["pending"] == 0
    (on_b,) = (await b.call("GET", "/api/v1/admin/partners"))[1]["items"]
    assert on_b["host"] == a.host and on_b["scopes"] == {"profiles": True, "groups": False}
    async with (
        a.services.db.read() as conn,
        conn.execute("SELECT key_id, public_multibase FROM partner_keys") as cur,
    ):
        assert [tuple(r) for r in await cur.fetchall()] == [
            (b.key_id, public_key_to_multibase(b.key.public_key()))
        ]
    assert await c.count("partners") == 0
    # Members may not see or manage partners.
    await a.add_member("mallory")
    status, body = await a.call(
        "POST", "/api/v1/sessions", {"username": "mallory", "password": "correct horse battery"}
    )
    assert (await a.call("GET", "/api/v1/admin/partners", token=body["token"]))[0] == 403


async def test_invite_is_one_time_and_checked(trio):
    a, b, c = trio
    code, _ = await partners.invite(a.services, profiles=False)
    first = await partners.accept(c.fed, code)
    # Used: by another server, it is refused; the server that used it may only finish the
    # same handshake again (tests/federation/test_handshake_answer.py).
    with pytest.raises(InviteRejected):
        await partners.accept(b.fed, code)
    again = await partners.accept(c.fed, code)
    assert (again.host, again.actor_id, again.profiles) == (first.host, first.actor_id, False)
    with pytest.raises(InviteRejected):  # not a code
        await partners.accept(c.fed, "fsp1.bm9wZQ")
    # A code whose fingerprint is not the inviter's key is refused before any handshake.
    code2, _ = await partners.invite(a.services, profiles=False)
    payload = partners.decode_code(code2)
    payload["f"] = "SHA256:" + "A" * 43
    forged = "fsp1." + base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
    with pytest.raises(InviteRejected):
        await partners.accept(b.fed, forged)
    assert await a.count("partners") == 2  # B and C


async def test_admin_api_invite_accept_remove(trio):
    a, _, c = trio
    status, body = await a.call("POST", "/api/v1/admin/partner-invites", {"profiles": True})
    assert status == 201 and body["code"].startswith("fsp1.")
    status, bad = await c.call("POST", "/api/v1/admin/partners", {"code": "x"})
    assert status == 422 and bad["type"] == "/problems/validation"
    status, joined = await c.call("POST", "/api/v1/admin/partners", {"code": body["code"]})
    assert status == 201 and joined["host"] == a.host
    status, ended = await c.call("DELETE", f"/api/v1/admin/partners/{a.host}")
    assert status == 200 and ended["host"] == a.host and ended["partner_told"] is True
    assert (await c.call("DELETE", f"/api/v1/admin/partners/{a.host}"))[0] == 404
    assert await c.count("partner_keys") == 0


def test_cli_init_key_invite_list_rotate(tmp_path):
    import os
    import subprocess
    import sys

    data = tmp_path / "data"

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "feedserver", "--data", str(data), *args],
            capture_output=True, text=True, timeout=60, check=True,
            env={**os.environ, "FEEDSERVER_SCRYPT_N": "1024"},
        )  # fmt: skip

    run("init")
    (key,) = (data / "keys").glob("*.pem")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    code = run("partner", "invite", "--profiles").stdout.strip()
    assert partners.decode_code(code)["u"] == "http://127.0.0.1:8080"
    assert run("partner", "list").stdout == ""
    assert "new signing key" in run("keys", "rotate").stdout
    assert len(list((data / "keys").glob("*.pem"))) == 2
    assert subprocess.run(
        [sys.executable, "-m", "feedserver", "--data", str(data), "partner", "remove", "x:1"],
        capture_output=True, timeout=60,
    ).returncode == 1  # fmt: skip


async def test_cli_accept_against_a_running_server(trio, tmp_path, aiohttp_server):
    import asyncio
    import os
    import sys

    a, _, _ = trio
    # The accepting server runs too (the inviter fetches its actor from it); its admin runs
    # the command on its data directory.
    d = await start(make_node("d", 4, tmp_path), aiohttp_server)
    code, _ = await partners.invite(a.services, profiles=False)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "feedserver", "--data", str(d.config.data_dir), "partner",
        "accept", code, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "FEEDSERVER_BASE_URL": d.url,
             "FEEDSERVER_DATABASE_URL": d.config.database_url},
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err
    assert out.decode().startswith(f"{a.host}\tOrg A\tprofiles=no")
    status, listed = await a.call("GET", "/api/v1/admin/partners")
    assert d.host in {p["host"] for p in listed["items"]}
    (on_d,) = (await d.call("GET", "/api/v1/admin/partners"))[1]["items"]
    assert on_d["host"] == a.host


async def test_running_server_picks_up_a_cli_rotation(trio):
    from feedserver.federation.server_keys import ServerKeys

    a, _, _ = trio
    other = ServerKeys(a.config)  # what `feedserver keys rotate` does, from another process
    await other.load(a.services.db, a.services.clock())
    from datetime import timedelta

    _, new = await other.rotate(a.services.db, a.services.clock(), timedelta(days=7))
    assert a.fed.keys.current_name == "key-a"
    await a.fed.keys.refresh(a.services.db, a.services.clock())
    assert a.fed.keys.current_name == new
    _, actor = await a.call("GET", "/actor")
    old = next(k for k in actor["assertionMethod"] if k["id"] == a.key_id)
    assert "expires" in old


async def test_outgoing_requests_go_to_partner_hosts_only(trio, aiohttp_server):
    from aiohttp import web

    from feedserver.federation.client import NotAllowed
    from feedserver.federation.errors import PartnerUnreachable

    a, b, c = trio
    with pytest.raises(NotAllowed):
        await a.fed.client.request("GET", f"{c.url}/actor", [b.host])

    async def hop(request):  # a partner host that redirects elsewhere, or answers too much
        if request.path == "/big":
            return web.Response(body=b"x" * (a.config.fetch_max_bytes + 1))
        raise web.HTTPFound(f"{c.url}/actor")

    app = web.Application()
    app.router.add_get("/{tail:.*}", hop)
    server = await aiohttp_server(app)
    host = f"127.0.0.1:{server.port}"
    with pytest.raises(NotAllowed):
        await a.fed.client.request("GET", f"http://{host}/actor", [host])
    with pytest.raises(PartnerUnreachable):
        await a.fed.client.request("GET", f"http://{host}/big", [host])


async def test_answers_that_are_not_json_objects_are_refused_cleanly(trio, aiohttp_server):
    from aiohttp import web

    from feedserver.federation.errors import PartnerUnreachable

    a, b, _ = trio
    # The public handshake endpoint: a body nested too deep for the parser is a 422, not a 500.
    status, body = await a.call("POST", "/federation/handshake", data=b"[" * 100_000)
    assert status == 422 and body["type"] == "/problems/bad-activity"
    # An inviter whose actor document is not a JSON object: accepting its code fails with a
    # clear error, and nothing is pinned.
    answers = [b"not json", b"[1, 2]", b"[" * 100_000]

    async def actor(request):
        return web.Response(body=answers[0], content_type="application/activity+json")

    app = web.Application()
    app.router.add_get("/actor", actor)
    server = await aiohttp_server(app)
    code, _ = await partners.invite(a.services, profiles=False)
    payload = partners.decode_code(code)
    payload["u"] = f"http://127.0.0.1:{server.port}"
    forged = "fsp1." + base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
    while answers:
        with pytest.raises(PartnerUnreachable):
            await partners.accept(b.fed, forged)
        answers.pop(0)
    assert await b.count("partners") == 1  # A only
