"""Moderation through the admin API, on a real app and database: suspension locks a member
out everywhere at once (bearer tokens, the web cookie, feed URLs, new logins) and keeps their
content; admin rights never leave the server without an admin; deletion removes or
anonymizes; every action is in the audit log, which only admins read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from yarl import URL

from tests.conftest import PASSWORD, Api

ADMIN = "/api/v1/admin/members"
API_SCHEMAS = Path(__file__).resolve().parents[2] / "schemas" / "api"


def _conforms(body: Any, schema_file: str) -> None:
    """The response body matches the schema schemas/openapi.json names for it."""
    registry: Registry = Registry().with_resources(
        (p.name, Resource.from_contents(json.loads(p.read_text())))
        for p in API_SCHEMAS.glob("*.json")
    )
    schema = json.loads((API_SCHEMAS / schema_file).read_text())
    Draft202012Validator(schema, registry=registry).validate(body)


async def _group_with_post(admin: Api, member: Api, username: str) -> dict[str, Any]:
    status, _ = await admin.post("/api/v1/groups", {"name": "ops", "title": "Ops",
                                                    "visibility": "private"})  # fmt: skip
    assert status == 201
    status, _ = await admin.put(f"/api/v1/groups/ops/members/{username}", {"role": "member"})
    assert status in (200, 201)
    status, post = await member.post(
        "/api/v1/groups/ops/posts",
        {"kind": "question", "title": "How to page?", "body": "Asking.", "tags": []},
    )
    assert status == 201, post
    return post


async def _feed_status(api: Api, url: str) -> int:
    async with api.client.get(URL(url).path_qs) as resp:
        await resp.read()
        return resp.status


async def _web_status(api: Api, token: str) -> int:
    async with api.client.get(
        "/me/feeds", cookies={"fs_session": token}, allow_redirects=False
    ) as resp:
        await resp.read()
        return resp.status


async def test_suspend_revokes_a_live_session_tokens_cookie_and_feed_urls(admin: Api) -> None:
    alice = await admin.add_member("alice")
    post = await _group_with_post(admin, alice, "alice")
    status, feeds = await alice.get("/api/v1/me/feeds")
    assert status == 200
    feed = feeds["groups"][0]["url"]
    assert await _feed_status(alice, feed) == 200
    assert await _web_status(alice, alice.token) == 200
    status, _ = await alice.get("/api/v1/me")
    assert status == 200

    status, body = await admin.put(f"{ADMIN}/alice/suspension")
    assert status == 200, body
    assert body["state"] == "suspended" and body["suspended_at"]
    _conforms(body, "admin-member.json")

    # The live session is a stranger's now: 401 on the API, the login page on the web, and
    # the feed URL is the same bare 404 as any unknown one.
    status, _ = await alice.get("/api/v1/me")
    assert status == 401
    assert await _web_status(alice, alice.token) == 303
    assert await _feed_status(alice, feed) == 404
    status, body = await alice.as_(None).post(
        "/api/v1/sessions", {"username": "alice", "password": PASSWORD}
    )
    assert status == 401 and "suspended" in body["detail"]
    # A wrong password learns nothing about the suspension.
    status, body = await alice.as_(None).post(
        "/api/v1/sessions", {"username": "alice", "password": "wrong password!"}
    )
    assert status == 401 and "suspended" not in body["detail"]
    # Content stays.
    status, found = await admin.get(f"/api/v1/posts/{post['id']}")
    assert status == 200 and found["post"]["title"] == "How to page?"

    status, body = await admin.delete(f"{ADMIN}/alice/suspension")
    assert status == 200 and body["state"] == "active"
    again = await alice.login("alice")
    status, _ = await again.get("/api/v1/me")
    assert status == 200
    # Nothing revoked comes back: the old token and the old feed URL stay dead.
    status, _ = await alice.get("/api/v1/me")
    assert status == 401
    assert await _feed_status(alice, feed) == 404


async def test_suspension_holds_even_for_a_token_issued_after_it(admin: Api) -> None:
    """The token lookup itself refuses a suspended member (a race with a login, or the CLI
    issuing a token, cannot let one through)."""
    from feedserver import appkeys
    from feedserver.domain import members

    await admin.add_member("bob")
    await admin.put(f"{ADMIN}/bob/suspension")
    services = admin.client.app[appkeys.SERVICES]
    async with services.db.read() as conn:
        from feedserver.store import members as member_store

        bob = await member_store.by_username(conn, "bob")
    assert bob is not None
    token = await members.issue_token(services, bob, kind="personal")
    status, _ = await admin.as_(token).get("/api/v1/me")
    assert status == 401


async def test_admin_rights_never_leave_the_server_without_an_admin(admin: Api) -> None:
    await admin.add_member("carol")
    status, body = await admin.delete(f"{ADMIN}/admin/admin")
    assert status == 409 and "last active admin" in body["detail"]
    status, body = await admin.put(f"{ADMIN}/admin/suspension")
    assert status == 409  # nobody suspends themselves
    status, body = await admin.put(f"{ADMIN}/carol/admin")
    assert status == 200 and body["admin"] is True
    carol = await admin.login("carol")
    status, _ = await carol.get(ADMIN)
    assert status == 200
    # Carol demotes the first admin; now she is the last one and cannot be demoted.
    status, body = await carol.delete(f"{ADMIN}/admin/admin")
    assert status == 200 and body["admin"] is False
    status, body = await carol.delete(f"{ADMIN}/carol/admin")
    assert status == 409
    # The demoted admin's live token no longer opens admin routes.
    status, _ = await admin.get(ADMIN)
    assert status == 403


async def test_a_suspended_admin_does_not_count_as_an_admin(admin: Api) -> None:
    await admin.add_member("dave", admin=True)
    status, _ = await admin.put(f"{ADMIN}/dave/suspension")
    assert status == 200
    # Dave is suspended: the first admin is the last active one.
    status, body = await admin.delete(f"{ADMIN}/admin/admin")
    assert status == 409


async def test_list_members_by_state_admins_only(admin: Api) -> None:
    erin = await admin.add_member("erin")
    await admin.add_member("frank")
    await admin.put(f"{ADMIN}/frank/suspension")
    status, body = await admin.get(ADMIN, params={"state": "suspended"})
    assert status == 200
    assert [m["username"] for m in body["items"]] == ["frank"]
    status, body = await admin.get(ADMIN, params={"limit": "2"})
    assert status == 200 and len(body["items"]) == 2 and body["next"]
    _conforms(body, "admin-member-list.json")
    status, rest = await admin.get(ADMIN, params={"limit": "2", "cursor": body["next"]})
    assert [m["username"] for m in body["items"] + rest["items"]] == ["admin", "erin", "frank"]
    status, body = await admin.get(ADMIN, params={"state": "nonsense"})
    assert status == 422
    status, _ = await erin.get(ADMIN)
    assert status == 403
    status, _ = await erin.put(f"{ADMIN}/frank/suspension")
    assert status == 403
    status, _ = await admin.as_(None).get(ADMIN)
    assert status == 401
    status, _ = await admin.put(f"{ADMIN}/nobody/suspension")
    assert status == 404


async def test_password_reset_revokes_sessions_tokens_and_feed_urls(admin: Api) -> None:
    gina = await admin.add_member("gina")
    await _group_with_post(admin, gina, "gina")
    status, feeds = await gina.get("/api/v1/me/feeds")
    feed = feeds["home"]
    assert await _feed_status(gina, feed) == 200
    status, body = await admin.put(f"{ADMIN}/gina/password", {"password": "a new long password"})
    assert status == 200 and body["revoked_tokens"] >= 1
    _conforms(body, "password-reset-result.json")
    status, _ = await gina.get("/api/v1/me")
    assert status == 401
    assert await _feed_status(gina, feed) == 404
    status, _ = await gina.as_(None).post(
        "/api/v1/sessions", {"username": "gina", "password": PASSWORD}
    )
    assert status == 401
    assert await gina.login("gina", "a new long password")
    status, body = await admin.put(f"{ADMIN}/gina/password", {"password": "short"})
    assert status == 422
    status, body = await admin.put(f"{ADMIN}/gina/password", {"password": "x" * 12, "more": 1})
    assert status == 422


async def test_delete_with_remove_leaves_tombstones(admin: Api) -> None:
    hank = await admin.add_member("hank")
    post = await _group_with_post(admin, hank, "hank")
    status, answer = await admin.post(f"/api/v1/posts/{post['id']}/replies", {"body": "Use X."})
    assert status == 201, answer
    status, body = await admin.delete(f"{ADMIN}/hank", params={"content": "remove"})
    assert status == 200, body
    assert body["state"] == "deleted" and body["username"].startswith("deleted-")
    assert body["display_name"] == "Deleted member"
    status, _ = await admin.get(f"/api/v1/posts/{post['id']}")
    assert status == 404
    status, _ = await admin.get("/api/v1/members/hank")
    assert status == 404
    status, _ = await hank.get("/api/v1/me")
    assert status == 401
    status, listed = await admin.get(ADMIN, params={"state": "deleted"})
    assert [m["username"] for m in listed["items"]] == [body["username"]]
    # Deleted is final: no suspension, promotion or second delete by the new name.
    status, _ = await admin.put(f"{ADMIN}/{body['username']}/admin")
    assert status == 409


async def test_delete_with_anonymize_keeps_posts_under_a_new_name(admin: Api) -> None:
    ivy = await admin.add_member("ivy")
    post = await _group_with_post(admin, ivy, "ivy")
    status, body = await admin.delete(f"{ADMIN}/ivy", params={"content": "anonymize"})
    assert status == 200
    status, found = await admin.get(f"/api/v1/posts/{post['id']}")
    assert status == 200
    assert found["post"]["author"]["username"] == body["username"]
    assert found["post"]["author"]["display_name"] == "Deleted member"
    status, members = await admin.get("/api/v1/groups/ops/members")
    assert "ivy" not in str(members) and body["username"] not in str(members)
    status, _ = await admin.delete(f"{ADMIN}/ivy", params={"content": "shred"})
    assert status == 400
    status, _ = await admin.delete(f"{ADMIN}/admin", params={"content": "remove"})
    assert status == 409


async def test_audit_log_records_each_action_for_admins_only(admin: Api) -> None:
    jo = await admin.add_member("jo")
    await admin.put(f"{ADMIN}/jo/suspension")
    await admin.delete(f"{ADMIN}/jo/suspension")
    await admin.put(f"{ADMIN}/jo/admin")
    await admin.delete(f"{ADMIN}/jo/admin")
    await admin.put(f"{ADMIN}/jo/password", {"password": "another long one"})
    status, body = await admin.get("/api/v1/admin/audit", params={"limit": "3"})
    assert status == 200, body
    assert [e["action"] for e in body["items"]] == ["password-reset", "demote", "promote"]
    assert {e["actor"] for e in body["items"]} == {"admin"}
    assert {e["subject"] for e in body["items"]} == {"jo"}
    _conforms(body, "admin-audit-list.json")
    status, rest = await admin.get("/api/v1/admin/audit", params={"cursor": body["next"]})
    assert [e["action"] for e in rest["items"]] == ["unsuspend", "suspend"]
    assert "another long one" not in str(body) + str(rest)
    status, _ = await jo.as_(None).get("/api/v1/admin/audit")
    assert status == 401
    jo = await admin.login("jo", "another long one")
    status, _ = await jo.get("/api/v1/admin/audit")
    assert status == 403


async def test_suspending_an_admin_revokes_their_unused_invitation_links(admin: Api) -> None:
    """Whoever held the account could have made links to let themselves back in."""
    await admin.add_member("kate", admin=True)
    kate = await admin.login("kate")
    status, invite = await kate.post("/api/v1/invitations", {})
    assert status == 201
    path = URL(invite["url"]).path
    async with admin.client.get(path) as resp:
        assert resp.status == 200
    status, _ = await admin.put(f"{ADMIN}/kate/suspension")
    assert status == 200
    async with admin.client.get(path) as resp:
        assert resp.status == 404


async def test_a_suspension_from_the_command_line_closes_feed_urls_at_once(admin: Api) -> None:
    """The command line writes through a connection of its own (another process); the
    server's remembered feed answers are keyed on the database's data version, which moves
    with that write too, so the very next poll is refused."""
    from feedserver import appkeys
    from feedserver.domain import moderation
    from feedserver.domain.services import Services
    from feedserver.store.engine import open_engine

    lou = await admin.add_member("lou")
    await _group_with_post(admin, lou, "lou")
    _, feeds = await lou.get("/api/v1/me/feeds")
    feed = feeds["home"]
    answers = admin.client.app[appkeys.FEED_CACHE].answers
    assert await _feed_status(lou, feed) == 200
    assert await _feed_status(lou, feed) == 200 and answers.hits == 1  # from memory
    config = admin.client.app[appkeys.CONFIG]
    # As `feedserver user suspend` opens it.
    other = open_engine(config.database_url, config.db_path, readers=1, synchronous="NORMAL")
    await other.open()
    try:
        await moderation.suspend(Services(db=other, config=config), None, "lou")
    finally:
        await other.close()
    assert await _feed_status(lou, feed) == 404
