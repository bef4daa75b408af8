"""Which groups a member leads (owner or mentor), and a mentoring program's cohort groups: the
groups whose insights a viewer may see."""

from __future__ import annotations

from feedserver.store.db import Connection


async def led_groups(conn: Connection, member_id: str) -> list[tuple[str, str]]:
    """(group id, name) of the groups where the member is an owner or a mentor."""
    async with conn.execute(
        "SELECT g.id, g.name FROM memberships ms JOIN groups g ON g.id = ms.group_id"
        " WHERE ms.member_id = ? AND ms.role IN ('owner', 'mentor') ORDER BY g.name",
        (member_id,),
    ) as cur:
        return [(r[0], r[1]) for r in await cur.fetchall()]


async def cohort_groups(conn: Connection, program_id: str) -> list[str]:
    """The ids of a mentoring program's cohort groups, one per mentor."""
    async with conn.execute(
        "SELECT group_id FROM mentoring_cohorts WHERE program_id = ? ORDER BY group_id",
        (program_id,),
    ) as cur:
        return [r[0] for r in await cur.fetchall()]
