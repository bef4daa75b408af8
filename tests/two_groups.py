"""A bare database for the cost and scope tests of the store: one member and two groups, a
private one and an org-wide one, written as rows (no app), so that each test adds only the
rows it measures."""

from __future__ import annotations

from feedserver.store.db import Connection

PRIVATE, ORG = "g-private-0000000000000000", "g-org-00000000000000000000"
T = "2026-01-01T00:00:00.000000Z"


async def seed(conn: Connection, member_id: str = "m-author", username: str = "author") -> None:
    await conn.execute(
        "INSERT INTO members (id, username, display_name, created_at) VALUES (?, ?, ?, ?)",
        (member_id, username, username.title(), T),
    )
    await conn.executemany(
        "INSERT INTO groups (id, name, title, visibility, created_at) VALUES (?, ?, ?, ?, ?)",
        [(PRIVATE, "private", "Private", "private", T), (ORG, "org", "Org", "org", T)],
    )
