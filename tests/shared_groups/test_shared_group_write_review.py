"""Writes into a shared group, the edges: what a partner's member's account on the host may
not become, a post the host deletes taking the evidence its accepted answer earned on the
member server, the same object delivered twice, and writes that never reach the host."""

from __future__ import annotations

from .test_shared_group_flow import drain
from .test_shared_group_writes import shared_group_with_bob_and_carol


async def test_admins_on_the_host_cannot_reach_a_partner_members_account(trio):
    """bob@B's account on A is never found by username: not by an admin either, who could
    otherwise make it an admin (moderating every group it writes in, and counting as the
    admin that lets the last real one step down) or suspend it, to no effect."""
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    status, _ = await b.call("POST", f"/api/v1/groups/{address}/posts",
                             {"kind": "tip", "title": "Hello from B", "body": "x"},
                             token=bob)  # fmt: skip
    assert status == 202
    await drain(a, b)
    assert await a.count("posts") == 1
    one = f"/api/v1/admin/members/bob@{b.host}"
    assert (await a.call("PUT", f"{one}/admin"))[0] == 404
    assert (await a.call("PUT", f"{one}/suspension"))[0] == 404
    assert (await a.call("PUT", f"{one}/password", {"password": "x" * 12}))[0] == 404
    assert (await a.call("DELETE", f"{one}?content=remove"))[0] == 404
    async with a.services.db.read() as conn:
        found = await conn.execute_fetchall(
            "SELECT is_admin, password_hash FROM members WHERE home_host IS NOT NULL"
        )
    assert [tuple(r) for r in found] == [(0, None)]
    assert await a.count("posts") == 1
