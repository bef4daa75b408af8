"""Deleting a member whose profile is shared with partners withdraws it from them: the
`Delete` goes through the durable delivery queue like the member's own unsharing."""

from __future__ import annotations

from .test_shared_profiles import PROFILE, directory, login


async def test_deleted_members_shared_profile_is_withdrawn_from_partners(trio):
    a, b, _ = trio
    alice = await login(a, "alice")
    bob = await login(b, "bob")
    await a.call("PUT", "/api/v1/members/alice/profile", dict(PROFILE, sharing="partners"),
                 token=alice)  # fmt: skip
    assert await a.fed.worker.run_once() == 1
    assert [e for e in await directory(b, bob) if e["status"] == "partner"]
    status, body = await a.call("DELETE", "/api/v1/admin/members/alice?content=anonymize")
    assert status == 200, body
    assert await a.fed.worker.run_once() == 1
    assert [e for e in await directory(b, bob) if e["status"] == "partner"] == []
    status, found = await a.call("GET", "/api/v1/experts?topic=payroll", token=None)
    assert status == 200 and "alice" not in str(found).lower()
