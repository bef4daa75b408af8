"""WebFinger and the Person actor answer anyone on the internet, unauthenticated. Only a
member who shares their profile with partners is discoverable there; a private (or org-only)
profile is, to the outside, nobody: the same 404 as a username that does not exist."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Api

HOST = "127.0.0.1:8080"  # the default public base URL's authority


@pytest.mark.parametrize("sharing", ["private", "org"])
async def test_unshared_member_is_not_discoverable(admin: Api, sharing: str) -> None:
    carol = await admin.add_member("carol")
    status, _ = await carol.put(
        "/api/v1/members/carol/profile", {"headline": "Quiet", "sharing": sharing}
    )
    assert status == 200
    anon = admin.as_(None)
    missing = [
        await anon.get("/users/nobody"),
        await anon.get("/.well-known/webfinger", params={"resource": f"acct:nobody@{HOST}"}),
    ]
    found = [
        await anon.get("/users/carol"),
        await anon.get("/.well-known/webfinger", params={"resource": f"acct:carol@{HOST}"}),
        await anon.get("/.well-known/webfinger", params={"resource": f"http://{HOST}/users/carol"}),
    ]
    for status, body in found:
        assert status == 404
        assert "Carol" not in str(body) and "carol" not in str(body)
    assert [s for s, _ in found] == [404, 404, 404]
    assert {s for s, _ in missing} == {404}


async def test_partner_sharing_member_is_discoverable(admin: Api) -> None:
    dana = await admin.add_member("dana")
    await dana.put("/api/v1/members/dana/profile", {"sharing": "partners"})
    anon = admin.as_(None)
    status, actor = await anon.get("/users/dana")
    assert status == 200 and json.loads(actor)["preferredUsername"] == "dana"
    status, jrd = await anon.get("/.well-known/webfinger", params={"resource": f"acct:dana@{HOST}"})
    assert status == 200 and json.loads(jrd)["subject"] == f"acct:dana@{HOST}"
