"""Schemathesis against a real, populated server: schemas/openapi.json must describe what the
server does, for an admin and for a member.

Every operation of the document gets generated requests, valid (positive) and invalid
(negative), each with random path values and with the values of real things (a group, a
question, a page, a program...), so that success answers are checked too, not only 404s. Every
answer goes through five checks: no 5xx, a documented status, a documented content type, a body
that fits its schema, and invalid input rejected with a 4xx; and each status answered must be
named by its operation (not only covered by `default`). Hypothesis runs with a fixed seed,
no example database and no shrinking: the same requests every run, bounded in count. Failures
are collected (each with a curl line to reproduce it against a server) and reported together.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from feedserver import appkeys
from feedserver.app import create_app
from feedserver.config import Config
from feedserver.domain import members
from tests.conftest import PASSWORD, Api
from tests.loopback import free_port

OPENAPI = Path(__file__).resolve().parents[1] / "schemas" / "openapi.json"
DOCUMENT = json.loads(OPENAPI.read_text())
SEED = 15_2026
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
REJECTIONS = [400, 401, 403, 404, 405, 406, 409, 413, 414, 415, 422, 428, 429]
# Requests per operation and mode. Random path values mostly meet a 404, so they get few; the
# values of real things reach the handlers' success paths and their validation, so they get more.
EXAMPLES = {GenerationMode.POSITIVE: 5, GenerationMode.NEGATIVE: 3}
RANDOM_PATH_EXAMPLES = 1
SPARE_TOKENS = EXAMPLES[GenerationMode.POSITIVE] + EXAMPLES[GenerationMode.NEGATIVE]


@dataclass
class World:
    """What the populated server holds: the path values of real things."""

    base_url: str
    tokens: dict[str, str]
    spare_tokens: list[str]  # for DELETE /sessions/current, which logs its token out
    values: dict[str, str]


@dataclass
class Outcome:
    requests: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)  # first of each kind, by title
    skipped: list[str] = field(default_factory=list)
    answered: dict[str, set[int]] = field(default_factory=dict)  # operation -> statuses


async def _populate(api: Api, admin: Api) -> dict[str, str]:
    """Members (an admin who owns things, mia, noah), an org and a private group, a solved
    question with tags, a FAQ page, profiles with an endorsement, an ask, a pending join
    request, and a mentoring program with a published pairing and a draft proposal: the real
    things the generated requests reach. Returns their path values."""

    async def ok(call: Any) -> Any:
        status, body = await call
        assert status in (200, 201, 202), body
        return body

    mia = await admin.add_member("mia")
    noah = await admin.add_member("noah")
    for name, visibility in (("commons", "org"), ("payroll-team", "private")):
        await ok(
            admin.post("/api/v1/groups", {"name": name, "title": name, "visibility": visibility})
        )
    await ok(admin.put("/api/v1/groups/payroll-team/members/mia", {"role": "member"}))
    await ok(mia.post("/api/v1/groups/commons/join-requests"))
    await ok(noah.post("/api/v1/groups/payroll-team/join-requests"))
    question = await ok(mia.post("/api/v1/groups/commons/posts", {
        "kind": "question", "title": "How do payroll taxes work?",
        "body": "Asking for the *team*.", "tags": ["payroll", "Payroll Taxes"]}))  # fmt: skip
    answer = await ok(admin.post(f"/api/v1/posts/{question['id']}/replies", {"body": "Like so."}))
    await ok(mia.post(f"/api/v1/posts/{answer['id']}/accept"))
    await ok(mia.put(f"/api/v1/posts/{answer['id']}/helpful"))
    tip = {"kind": "tip", "title": "Month end", "body": "Close early.", "tags": ["payroll"]}
    await ok(admin.post("/api/v1/groups/payroll-team/posts", tip))
    await ok(admin.put("/api/v1/groups/commons/pages/payroll-basics", {
        "title": "Payroll basics", "body": "Read this first.", "tags": ["payroll"]}))  # fmt: skip
    for who, username in ((admin, "admin"), (mia, "mia")):
        await ok(who.put(f"/api/v1/members/{username}/profile", {
            "headline": "Payroll", "topics": [{"topic": "payroll", "level": "expert"}],
            "sharing": "org"}))  # fmt: skip
    await ok(admin.post("/api/v1/members/mia/endorsements/payroll"))
    await ok(mia.post(f"/api/v1/posts/{question['id']}/ask/admin"))
    await ok(admin.post("/api/v1/invitations", {"note": "for a colleague"}))
    program = (await ok(admin.post("/api/v1/programs", {"name": "Payroll mentoring"})))["id"]
    mentoring = f"/api/v1/programs/{program}"
    await ok(admin.post(f"{mentoring}/mentors", {"topics": ["payroll"], "capacity": 3}))
    await ok(mia.post(f"{mentoring}/mentees", {"goals": ["payroll"]}))
    published = await ok(admin.post(f"{mentoring}/match"))
    pairings = await ok(admin.post(f"{mentoring}/proposals/{published['id']}/publish"))
    await ok(noah.post(f"{mentoring}/mentees", {"goals": ["payroll"]}))
    draft = await ok(admin.post(f"{mentoring}/match"))
    return {
        "username": "mia", "name": "commons", "id": question["id"], "answer": answer["id"],
        "slug": "payroll-basics", "revision": "1", "topic": "payroll", "program": program,
        "proposal": draft["id"], "pairing": pairings["items"][0]["id"],
    }  # fmt: skip


@pytest.fixture
async def world(aiohttp_server: Any, aiohttp_client: Any, config: Config, role: str) -> World:
    # The per-member write limit would answer most generated writes with a (documented) 429;
    # off, each operation reaches its handler. tests/test_write_limit.py tests the limit.
    config = replace(config, write_burst=0)
    server: TestServer = await aiohttp_server(create_app(config), port=free_port())
    client = await aiohttp_client(server)
    await members.create(
        client.app[appkeys.SERVICES], username="admin", display_name="Admin",
        password=PASSWORD, is_admin=True,
    )  # fmt: skip
    admin = await Api(client).login("admin")
    values = await _populate(Api(client), admin)
    username = {"admin": "admin", "member": "mia"}[role]
    tokens = {role: (await Api(client).login(username)).token or ""}
    # Logged in before the fuzzer's wrong passwords can throttle this address.
    spare = [(await Api(client).login(username)).token or "" for _ in range(SPARE_TOKENS)]
    return World(str(server.make_url("")).rstrip("/"), tokens, spare, values)


def _real_values(world: World, operation: Any) -> dict[str, str] | None:
    """The path values of real things this operation can act on, None if it has no path
    parameters. Some operations want a particular thing (an answer to accept, a pending join
    request, a page slug left to generate so that pages get created)."""
    path, values = operation.path, dict(world.values)
    if path.startswith("/api/v1/programs/"):
        values["id"] = values["program"]
    if path.endswith(("/accept", "/helpful")):
        values["id"] = values["answer"]
    if "/join-requests/" in path:
        values.update(name="payroll-team", username="noah")
    if path.endswith("/ask/{username}"):
        values["username"] = "noah"
    names = [p.name for p in operation.path_parameters]
    if operation.method.lower() == "put" and path.endswith("/pages/{slug}"):
        names.remove("slug")
    return {n: values[n] for n in names if n in values} or None


def _plan(operation: Any, real: dict[str, str] | None) -> list[tuple[GenerationMode, Any, int]]:
    """(mode, strategy, examples) for one operation."""
    plan = []
    for mode, count in EXAMPLES.items():
        # Invalid data on a real thing needs something besides the path to make invalid.
        nothing_else = mode.is_negative and not (operation.query or operation.body)
        if real is None or nothing_else:
            plan.append((mode, operation.as_strategy(generation_mode=mode), count))
            continue
        plan.append(
            (mode, operation.as_strategy(generation_mode=mode, path_parameters=real), count)
        )
        plan.append((mode, operation.as_strategy(generation_mode=mode), RANDOM_PATH_EXAMPLES))
    return plan


def _fuzz(world: World, role: str) -> Outcome:
    # The bearer token is ours to send: generated requests vary parameters and bodies, not auth
    # (what a missing or wrong token gets is tested where sessions are).
    # A body over the size limit (413) or a query over the length limit (414) is rejected too.
    config = schemathesis.Config.from_dict({
        "generation": {"with-security-parameters": False},
        "checks": {"negative_data_rejection": {"expected-statuses": REJECTIONS}},
    })  # fmt: skip
    schema = schemathesis.openapi.from_path(OPENAPI, config=config)
    outcome = Outcome()
    session = requests.Session()
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()  # the document loads whole
        operations.append(result.ok())
    # What deletes (or, matching, supersedes the draft proposal) runs last, so the real things
    # stay for every other operation.
    operations.sort(key=lambda op: op.method.lower() == "delete" or op.path.endswith("/match"))
    for operation in operations:
        real = _real_values(world, operation)
        for mode, strategy, count in _plan(operation, real):

            @seed(SEED)
            @settings(
                max_examples=count, database=None, deadline=None,
                phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
                derandomize=False, print_blob=False,
            )  # fmt: skip
            @given(case=strategy)
            def run(case: Any) -> None:
                token = world.tokens[role]
                if operation.label == "DELETE /api/v1/sessions/current":
                    token = world.spare_tokens.pop()  # never log the fuzzer out
                headers = {"Authorization": f"Bearer {token}"}
                response = case.call(base_url=world.base_url, session=session, headers=headers)
                outcome.requests += 1
                outcome.answered.setdefault(operation.label, set()).add(response.status_code)
                kind = f"{mode.value} {response.status_code}"
                outcome.statuses[kind] = outcome.statuses.get(kind, 0) + 1
                try:
                    case.validate_response(
                        response, checks=CHECKS, headers=headers,
                        transport_kwargs={"base_url": world.base_url, "headers": headers},
                    )  # fmt: skip
                except FailureGroup as failed:
                    for failure in failed.exceptions:
                        key = f"{operation.label} [{mode.value}]: {failure.title}"
                        outcome.failures.setdefault(key, str(failed))

            try:
                run()
            except Unsatisfiable:
                label = f"{operation.label} [{mode.value}]"
                if operation.path_parameters or operation.query or operation.body:
                    outcome.failures[label] = "no invalid input: the document constrains nothing"
                else:  # nothing to make invalid: no parameter, no body
                    outcome.skipped.append(label)
    session.close()
    return outcome


@pytest.mark.parametrize("role", ["admin", "member"])
async def test_the_document_describes_the_server(world: World, role: str) -> None:
    started = time.monotonic()
    outcome = await asyncio.to_thread(_fuzz, world, role)
    took = time.monotonic() - started
    succeeded = {op for op, statuses in outcome.answered.items() if min(statuses) < 300}
    # Beyond Schemathesis, which lets `default` cover any status: every status an operation
    # answered is one its entry names.
    for label, statuses in outcome.answered.items():
        method, path = label.split(" ", 1)
        named = {int(code) for code in DOCUMENT["paths"][path][method.lower()]["responses"]
                 if code != "default"}  # fmt: skip
        if unnamed := statuses - named:
            outcome.failures[f"{label}: statuses not documented"] = str(sorted(unnamed))
    print(
        f"\nschemathesis as {role}: {outcome.requests} requests in {took:.1f} s, "
        f"statuses {dict(sorted(outcome.statuses.items()))}, skipped {outcome.skipped}, "
        f"{len(succeeded)} of {len(outcome.answered)} operations answered a 2xx; "
        f"never: {sorted(set(outcome.answered) - succeeded)}"
    )
    assert not outcome.failures, "\n\n".join(
        f"== {key}\n{report}" for key, report in sorted(outcome.failures.items())
    )
    documented = {f"{m.upper()} {path}" for path, ops in DOCUMENT["paths"].items() for m in ops}
    assert set(outcome.answered) == documented  # every operation was sent requests
