"""Every error class is a clear problem+json 4xx and leaves the database exactly as it was."""

from __future__ import annotations

import io
import json

import pytest

from feedserver import appkeys
from tests import pgtest
from tests.conftest import Api


async def _snapshot(api: Api) -> dict[str, object]:
    """Every row of every table: a failed request must change none of them."""
    db = api.client.app[appkeys.SERVICES].db
    state: dict[str, object] = {}
    tables_sql = (
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        if pgtest.ON_POSTGRESQL
        else "SELECT name FROM sqlite_master WHERE type = 'table'"
        " AND name NOT LIKE 'posts_fts%' AND name NOT LIKE 'sqlite_%'"
    )
    async with db.read() as conn:
        for (name,) in await conn.execute_fetchall(tables_sql):
            found = await conn.execute_fetchall(f"SELECT * FROM {name}")
            state[name] = sorted((tuple(r) for r in found), key=repr)
    return state


@pytest.fixture
async def bob(admin: Api) -> Api:
    bob = await admin.add_member("bob")
    status, _ = await bob.post("/api/v1/groups", {"name": "ops", "title": "Ops"})
    assert status == 201
    return bob


def _raw(api: Api, data: bytes, content_type: str = "application/json") -> dict:
    return {"data": io.BytesIO(data), "headers": {"Content-Type": content_type}}


BAD_BODIES = [
    ("malformed-json", b'{"kind": "question", "title": ', "application/json", 400, "bad-request"),
    ("bad-utf8", b'{"kind": "question", "title": "\xff\xfe", "body": "b"}', "application/json",
     400, "bad-request"),
    ("wrong-type", json.dumps({"kind": "question", "title": 7, "body": "b"}).encode(),
     "application/json", 422, "validation"),
    ("unknown-field", json.dumps({"kind": "tip", "title": "t", "body": "b", "x": 1}).encode(),
     "application/json", 422, "validation"),
    ("missing-field", json.dumps({"kind": "tip", "title": "t"}).encode(), "application/json",
     422, "validation"),
    ("bad-enum", json.dumps({"kind": "rant", "title": "t", "body": "b"}).encode(),
     "application/json", 422, "validation"),
    ("not-an-object", b"[1, 2, 3]", "application/json", 422, "validation"),
    ("form-encoded", b"kind=tip&title=t&body=b", "application/x-www-form-urlencoded", 415,
     "unsupported-media-type"),
    ("too-large", json.dumps({"kind": "tip", "title": "t", "body": "x" * (1024 * 1024 + 10)})
     .encode(), "application/json", 413, "payload-too-large"),
    ("too-many-tags", json.dumps({"kind": "tip", "title": "t", "body": "b",
                                  "tags": [f"t{n}" for n in range(11)]}).encode(),
     "application/json", 422, "validation"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "data", "content_type", "status", "code"), BAD_BODIES, ids=[c[0] for c in BAD_BODIES]
)
async def test_bad_post_bodies_change_nothing(
    bob: Api, case: str, data: bytes, content_type: str, status: int, code: str
) -> None:
    before = await _snapshot(bob)
    got, body = await bob.post("/api/v1/groups/ops/posts", **_raw(bob, data, content_type))
    assert got == status, (case, body)
    assert body["type"] == f"/problems/{code}" and body["status"] == status
    assert body["title"] and body["detail"]
    if code == "validation":
        assert body["errors"] and all(e["field"] and e["message"] for e in body["errors"])
    assert await _snapshot(bob) == before


async def test_field_errors_name_the_field(bob: Api) -> None:
    status, body = await bob.post(
        "/api/v1/groups/ops/posts", {"kind": "tip", "title": "t", "body": "b", "colour": "red"}
    )
    assert status == 422 and body["errors"] == [{"field": "colour", "message": "unknown field"}]
    status, body = await bob.post("/api/v1/groups/ops/posts", {"kind": "tip", "title": "t"})
    assert body["errors"] == [{"field": "body", "message": "is required"}]


async def test_huge_query_string_is_refused(bob: Api) -> None:
    status, body = await bob.get("/api/v1/search", params={"q": "word " * 1000})
    assert status == 414 and body["type"] == "/problems/uri-too-long"


async def test_unknown_route_and_method_are_problems(bob: Api) -> None:
    status, body = await bob.get("/api/v1/nothing-here")
    assert status == 404 and body["type"] == "/problems/not-found"
    status, body = await bob.call("PATCH", "/api/v1/groups")
    assert status == 405 and body["type"] == "/problems/method-not-allowed"


async def test_bad_and_missing_tokens(bob: Api) -> None:
    status, body = await bob.as_("not-a-token").get("/api/v1/me")
    assert status == 401 and body["type"] == "/problems/unauthorized"
    status, body = await bob.as_(None).get("/api/v1/me")
    assert status == 401


async def test_logout_revokes_the_token(bob: Api) -> None:
    assert (await bob.get("/api/v1/me"))[0] == 200
    assert (await bob.delete("/api/v1/sessions/current"))[0] == 204
    assert (await bob.get("/api/v1/me"))[0] == 401


async def test_empty_title_after_cleaning_is_refused(bob: Api) -> None:
    before = await _snapshot(bob)
    status, body = await bob.post(
        "/api/v1/groups/ops/posts", {"kind": "tip", "title": "\u0000\u0007 ", "body": "b"}
    )
    assert status == 422 and body["errors"][0]["field"] == "title"
    assert await _snapshot(bob) == before


async def test_an_internal_error_reveals_nothing(bob: Api, caplog) -> None:
    services = bob.client.app[appkeys.SERVICES]
    async with services.db.write() as conn:  # break the schema under the running server
        await conn.execute("DROP TABLE post_revisions")
    status, body = await bob.post(
        "/api/v1/groups/ops/posts", {"kind": "tip", "title": "t", "body": "b"}
    )
    assert status == 500 and body["type"] == "/problems/internal"
    assert "post_revisions" not in json.dumps(body) and "Traceback" not in json.dumps(body)
    assert "post_revisions" in caplog.text  # ...but the log has the traceback
    status, listed = await bob.get("/api/v1/groups/ops/posts")
    assert listed["items"] == []  # the failed transaction left no half-written post


async def test_login_failures_are_slowed(admin: Api) -> None:
    await admin.add_member("dora")
    anonymous = admin.as_(None)
    for _ in range(5):
        status, body = await anonymous.post(
            "/api/v1/sessions", {"username": "dora", "password": "wrong password!"}
        )
        assert status == 401
    async with admin.client.post(
        "/api/v1/sessions", json={"username": "dora", "password": "wrong password!"}
    ) as resp:
        assert resp.status == 429
        assert int(resp.headers["Retry-After"]) >= 1
        assert (await resp.json(content_type=None))["type"] == "/problems/too-many-requests"
    # Even the right password waits now: the throttle runs before the check.
    status, _ = await anonymous.post(
        "/api/v1/sessions", {"username": "dora", "password": "correct horse battery"}
    )
    assert status == 429
