"""JSON that json.loads chokes on or should never accept: a 400 problem on every JSON route,
signed in or not, nothing stored, no error logged."""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

import pytest

from feedserver import appkeys
from tests.conftest import Api
from tests.test_errors import _snapshot

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = {
    "deep-array": b"[" * 1000 + b"]" * 1000,
    "deep-object": b'{"a":' * 1000 + b"1" + b"}" * 1000,
    "deep-unclosed": b'{"name": ' + b"[" * 5000,
    "many-containers": b'{"name": "x", "owners": [' + b"[]," * 100_000 + b"[]]}",
    "long-integer": b'{"name": "x", "default_capacity": ' + b"7" * 4301 + b"}",
    "nan": b'{"name": "x", "weights": {"expertise": NaN}}',
    "infinity": b'{"name": "x", "weights": {"expertise": Infinity}}',
    "minus-infinity": b'{"name": "x", "weights": {"expertise": -Infinity}}',
    "overflowing-float": b'{"name": "x", "weights": {"expertise": 1e999}}',
}


def _json_routes() -> list[tuple[str, str]]:
    """Every API operation documented with a JSON body: (method, path, variables filled in)."""
    document = json.loads((ROOT / "schemas" / "openapi.json").read_text("utf-8"))
    return sorted(
        (method.upper(), re.sub(r"\{[^}]+\}", "x", path))
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict) and "requestBody" in operation
    )


@pytest.mark.parametrize("case", sorted(HOSTILE))
async def test_hostile_json_is_a_400_on_every_json_route(
    admin: Api, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    routes = _json_routes()
    assert len(routes) >= 20  # the document really was read
    before = await _snapshot(admin)
    caplog.set_level(logging.WARNING)
    for api in (admin, admin.as_(None)):
        for method, path in routes:
            status, body = await api.call(
                method, path, data=io.BytesIO(HOSTILE[case]),
                headers={"Content-Type": "application/json"},
            )  # fmt: skip
            # 400 where the body is parsed; a route that refuses the caller or the path
            # first answers 401/403/404 and never parses it. Never a 5xx, never a success.
            assert 400 <= status < 500, (case, method, path, status, body)
            assert body["type"].startswith("/problems/"), (case, path, body)
    assert await _snapshot(admin) == before
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("case", sorted(HOSTILE))
async def test_hostile_json_is_named_when_parsed(admin: Api, case: str) -> None:
    """Where the body is surely parsed (an admin creating a program), the answer says why."""
    status, body = await admin.post(
        "/api/v1/programs", data=io.BytesIO(HOSTILE[case]),
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    assert status == 400 and body["type"] == "/problems/bad-request", body
    assert "not valid JSON" in body["detail"]


async def test_a_nan_weight_never_reaches_the_program_list(admin: Api) -> None:
    status, _ = await admin.post(
        "/api/v1/programs", data=io.BytesIO(HOSTILE["nan"]),
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    assert status == 400
    async with admin.client.get(
        "/api/v1/programs", headers={"Authorization": f"Bearer {admin.token}"}
    ) as resp:
        assert resp.status == 200
        assert b"NaN" not in await resp.read()  # and what is there is strict JSON
    services = admin.client.app[appkeys.SERVICES]
    async with services.db.read() as conn:
        assert await conn.execute_fetchall("SELECT * FROM programs") == []


async def test_the_new_problem_types_are_documented(admin: Api) -> None:
    for code in ("storage-full", "request-timeout", "client-closed-request"):
        status, body = await admin.get(f"/problems/{code}")
        assert status == 200 and body["type"] == f"/problems/{code}", code


@pytest.mark.parametrize("opener", [b"[", b'{"a":'])
def test_the_depth_limit_is_exact_with_or_without_the_bracket_scan(opener: bytes) -> None:
    """Documents with few brackets skip the depth scan; the limit is the same either way:
    64 levels pass, 65 do not, and brackets inside strings never count."""
    from feedserver import strictjson

    closer = b"]" if opener == b"[" else b"}"
    inner = b"1" if opener != b"[" else b""
    for levels, ok in ((64, True), (65, False)):
        doc = opener * levels + inner + closer * levels
        if ok:
            assert strictjson.loads(doc) is not None
        else:
            with pytest.raises(strictjson.JsonRejected, match="nested 65 levels"):
                strictjson.loads(doc)
    stringy = b'{"s": "' + b"[" * 500 + b'", "t": [[1]]}'
    assert strictjson.loads(stringy)["t"] == [[1]]
