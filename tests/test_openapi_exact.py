"""The server answers by what schemas/openapi.json says: input the document calls invalid gets a
4xx problem (never a 500, never a silent success), and the patterns in the document are the
ones the server enforces."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from feedserver.http.paging import CURSOR_PATTERN
from feedserver.http.params import TAG_INPUT_MAX, TAG_INPUT_PATTERN
from tests.conftest import Api

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


async def _question(api: Api, tags: list[str]) -> dict[str, Any]:
    status, body = await api.post("/api/v1/groups", {"name": "commons", "title": "Commons",
                                                     "visibility": "org"})  # fmt: skip
    assert status in (201, 409), body
    status, body = await api.post(
        "/api/v1/groups/commons/posts",
        {"kind": "question", "title": "Payroll?", "body": "How?", "tags": tags},
    )
    assert status == 201, body
    return dict(body)


def _walk(node: object) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_tag_and_cursor_patterns_are_the_servers() -> None:
    """Every tag the API reads (bodies, paths, queries) is documented with the pattern the
    server checks, and every cursor with the cursor pattern."""
    documents = [json.loads(p.read_text()) for p in (SCHEMAS / "api").glob("*.json")]
    openapi = json.loads((SCHEMAS / "openapi.json").read_text())
    patterns = [n["pattern"] for doc in [*documents, openapi] for n in _walk(doc) if "pattern" in n]
    tag_inputs = [
        n
        for doc in [*documents, openapi]
        for n in _walk(doc)
        if n.get("pattern") == TAG_INPUT_PATTERN
    ]
    assert len(tag_inputs) >= 10  # 6 body schemas, 4 parameters
    assert all(n.get("maxLength") == TAG_INPUT_MAX for n in tag_inputs)
    assert openapi["components"]["parameters"]["cursor"]["schema"]["pattern"] == CURSOR_PATTERN
    for name in ("post-create", "post-edit", "page-put", "program-mentor", "program-mentee"):
        assert TAG_INPUT_PATTERN in json.dumps(
            json.loads((SCHEMAS / f"api/{name}.json").read_text())
        )
    assert all(p.startswith("^") and p.endswith("$") for p in patterns)


async def test_a_trailing_newline_does_not_match_a_pattern(admin: Api) -> None:
    """JSON Schema patterns are ECMA-262: `$` is the end. Python's re.search let "bob\\n" pass
    `^[a-z0-9]...$`, and a member named "bob\\n" was created."""
    status, body = await admin.post(
        "/api/v1/members", {"username": "bob\n", "password": "long enough password"}
    )
    assert status == 422 and body["errors"][0]["field"] == "username", body
    status, _ = await admin.get("/api/v1/members/bob%0A")
    assert status == 404


async def test_tags_are_held_to_the_documented_spelling(admin: Api) -> None:
    question = await _question(admin, ["Payroll Taxes", "#VAT", "year_end"])
    assert question["tags"] == ["payroll-taxes", "vat", "year-end"]
    for bad in (["payroll\t"], ["\u00a0vat"], ["ｖａｔ"]):
        status, body = await admin.post(
            "/api/v1/groups/commons/posts",
            {"kind": "tip", "title": "t", "body": "b", "tags": bad},
        )
        assert status == 422 and body["errors"][0]["field"] == "tags/0", (bad, body)
    # A tag filter that is no tag was ignored: every post came back.
    status, body = await admin.get("/api/v1/groups/commons/posts", params={"tag": "!!!"})
    assert status == 422 and body["errors"][0]["field"] == "tag", body
    status, body = await admin.get("/api/v1/groups/commons/posts", params={"tag": "Payroll Taxes"})
    assert status == 200 and [p["id"] for p in body["items"]] == [question["id"]]
    # A topic the domain would have normalized, but the document does not allow.
    status, body = await admin.get("/api/v1/experts", params={"topic": "\tpayroll"})
    assert status == 422 and body["errors"][0]["field"] == "topic", body
    status, body = await admin.get("/api/v1/me/feeds", params={"tag": "pay\nroll"})
    assert status == 422 and body["errors"][0]["field"] == "tag/0", body
    await admin.add_member("mia")
    status, body = await admin.post("/api/v1/members/mia/endorsements/payroll%0B")
    assert status == 422, body


async def test_cursors_we_never_wrote_are_bad_requests(admin: Api) -> None:
    await _question(admin, [])
    # Padding and the standard alphabet decoded too, though no cursor is written that way.
    for cursor in ("YQ==", "a+b/", "a.b"):
        status, body = await admin.get("/api/v1/groups", params={"cursor": cursor})
        assert status == 400, (cursor, body)
    # Search pages by offset: a huge one overflowed SQLite's integer, a '²' broke int(): 500s.
    for raw in ("9" * 30, "²"):
        status, body = await admin.get(
            "/api/v1/search", params={"q": "payroll", "cursor": _cursor(raw)}
        )
        assert status == 400, (raw, body)
    status, body = await admin.get("/api/v1/search", params={"q": "payroll", "cursor": ""})
    assert status == 200, body


async def test_digits_that_are_not_ascii_are_not_numbers(admin: Api) -> None:
    question = await _question(admin, ["payroll"])
    status, body = await admin.put(
        "/api/v1/groups/commons/pages/payroll", {"title": "Payroll", "body": "Basics"}
    )
    assert status == 201, body
    status, body = await admin.get("/api/v1/groups/commons/pages/payroll/revisions/%C2%B2")
    assert status == 404, body
    status, body = await admin.get(
        f"/api/v1/posts/{question['id']}/suggested-experts", params={"limit": "²"}
    )
    assert status == 400, body


async def test_joining_a_group_that_cannot_exist_is_not_found(admin: Api) -> None:
    """A join request for an unknown name answers 'requested' (a private name stays hidden);
    a name no group can have hides nothing."""
    member = await admin.add_member("mia")
    status, body = await member.post("/api/v1/groups/K/join-requests")
    assert status == 404, body
    status, body = await member.post("/api/v1/groups/no-such-group/join-requests")
    assert (status, body) == (202, {"status": "requested"})
