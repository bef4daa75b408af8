"""A published matching notifies each mentor and mentee of their own pairing, and nobody
else."""

from __future__ import annotations

from tests.conftest import Api
from tests.mentoring.test_publish import _published


async def _kinds(member: Api) -> list[tuple[str, str | None]]:
    status, listed = await member.get("/api/v1/me/notifications")
    assert status == 200, listed
    return [(n["kind"], n["actor"]) for n in listed["items"]]


async def test_match_published_reaches_both_sides_of_each_pair(madmin: Api) -> None:
    _, p, _ = await _published(madmin)
    assert ("match_published", "mia") in await _kinds(p["ann"])
    assert ("match_published", "max") in await _kinds(p["cat"])
    mia = await _kinds(p["mia"])
    assert {actor for kind, actor in mia if kind == "match_published"} == {"ann", "ben"}
    assert not [k for k, _ in await _kinds(p["outsider"]) if k == "match_published"]
