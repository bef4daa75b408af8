"""`feedserver migrate-data`: an SQLite deployment copied into PostgreSQL, verified, and
served from there with the same answers (runs under `make test-postgres`)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from feedserver import appkeys, migrate_data
from feedserver.app import create_app
from feedserver.config import Config
from feedserver.domain import members
from feedserver.store import copy
from tests import pgtest
from tests.conftest import PASSWORD, Api

pytestmark = pytest.mark.skipif(
    not pgtest.ON_POSTGRESQL, reason="needs the PostgreSQL cluster of make test-postgres"
)


def _sqlite_config(tmp_path: Path) -> Config:
    return replace(
        Config(), data_dir=tmp_path / "data", scrypt_n=2**10, sqlite_synchronous="NORMAL"
    )


async def _deployment(client: TestClient) -> dict[str, str]:
    """The core flow on SQLite: a private group, a question answered and accepted, a page."""
    await members.create(
        client.app[appkeys.SERVICES], username="admin", display_name="Admin",
        password=PASSWORD, is_admin=True,
    )  # fmt: skip
    admin = await Api(client).login("admin")
    alice, bob = await admin.add_member("alice"), await admin.add_member("bob")
    await admin.add_member("carol")
    status, _ = await alice.post(
        "/api/v1/groups", {"name": "new-hires", "title": "New hires", "visibility": "private"}
    )
    assert status == 201
    await alice.put("/api/v1/groups/new-hires/members/bob", {"role": "member"})
    status, question = await bob.post(
        "/api/v1/groups/new-hires/posts",
        {"kind": "question", "title": "Late payroll check?", "body": "Cutoff passed.",
         "tags": ["payroll"]},
    )  # fmt: skip
    assert status == 201, question
    status, answer = await alice.post(
        f"/api/v1/posts/{question['id']}/replies", {"body": "File a late-pay form."}
    )
    assert status == 201
    status, _ = await bob.post(f"/api/v1/posts/{answer['id']}/accept")
    assert status == 200
    return {"question": question["id"], "answer": answer["id"]}


async def _count(client: TestClient, table: str) -> int:
    async with client.app[appkeys.SERVICES].db.read() as conn:
        rows = await conn.execute_fetchall(f"SELECT count(*) FROM {table}")
    return int(list(rows)[0][0])


async def test_a_copied_deployment_answers_as_before(aiohttp_client, tmp_path: Path) -> None:
    source = _sqlite_config(tmp_path)
    client = await aiohttp_client(create_app(source))
    ids = await _deployment(client)
    before = {t: await _count(client, t) for t in ("members", "posts", "post_revisions")}
    await client.close()

    target = pgtest.database_url()
    report = {table: count for table, count, _ in await copy.copy(source.db_path, target)}
    assert {t: report[t] for t in before} == before
    assert report["groups"] == 1 and report["helpful_marks"] == 0

    # The same data directory (keys, secrets), now on PostgreSQL.
    moved = await aiohttp_client(create_app(replace(source, database_url=target)))
    bob = await Api(moved).login("bob")
    carol = await Api(moved).login("carol")
    status, thread = await bob.get(f"/api/v1/posts/{ids['question']}")
    assert status == 200 and thread["post"]["accepted_answer_id"] == ids["answer"]
    status, found = await bob.get("/api/v1/search", params={"q": "payroll check"})
    assert [h["post"]["id"] for h in found["items"]] == [ids["question"]]
    assert "<mark>" in found["items"][0]["snippet_html"]
    status, _ = await carol.get(f"/api/v1/posts/{ids['question']}")
    assert status == 404
    # New rows continue after the copied ones (identity columns were moved on).
    status, _ = await bob.post(
        "/api/v1/groups/new-hires/posts", {"kind": "tip", "title": "Tip", "body": "Ask HR."}
    )
    assert status == 201

    # A second copy into a database that has data is refused, and changes nothing.
    with pytest.raises(copy.CopyFailed, match="already has members"):
        await copy.copy(source.db_path, target)
    assert await _count(moved, "posts") == before["posts"] + 1


def test_the_command_refuses_what_it_cannot_copy(tmp_path: Path, capsys) -> None:
    source = _sqlite_config(tmp_path)
    assert migrate_data.run(source, "mysql://db/x") == 2
    assert migrate_data.run(source, pgtest.database_url()) == 1  # no SQLite database yet
    assert "no database at" in capsys.readouterr().err
