"""Notification settings list per-group levels only for groups the member may still read: a
private group they were removed from is not named there any more (API and page)."""

from __future__ import annotations

from tests.conftest import Api


async def test_levels_name_only_groups_the_member_still_reads(admin: Api) -> None:
    bob, alice = await admin.add_member("bob"), await admin.add_member("alice")
    status, _ = await bob.post(
        "/api/v1/groups", {"name": "finance-cuts", "title": "Cuts", "visibility": "private"}
    )
    assert status == 201
    assert (await bob.put("/api/v1/groups/finance-cuts/members/alice", {}))[0] == 200
    status, body = await alice.put(
        "/api/v1/me/notification-settings", {"levels": {"finance-cuts": "watching"}}
    )
    assert status == 200 and body["levels"] == {"finance-cuts": "watching"}

    assert (await bob.delete("/api/v1/groups/finance-cuts/members/alice"))[0] == 204
    status, body = await alice.get("/api/v1/me/notification-settings")
    assert status == 200 and body["levels"] == {}, body
    assert "finance-cuts" not in str(body)
    # bob's own level is untouched.
    status, body = await bob.put(
        "/api/v1/me/notification-settings", {"levels": {"finance-cuts": "muted"}}
    )
    assert status == 200 and body["levels"] == {"finance-cuts": "muted"}
