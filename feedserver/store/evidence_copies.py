"""Evidence a member earned in a partner's group (an answer accepted there), as a viewer
who reads that group's copy here may see it: counted and named, with the question's title
and the group's name@host. It has no group of ours (group_id NULL); its root is the
question's object, which the copy holds. Who may read it is the access policy's call
(`access.copy_evidence_reader`): the store only joins on that member's copies."""

from __future__ import annotations

from feedserver.models import EvidenceSeen
from feedserver.store import rows
from feedserver.store.db import Connection

_IN_COPIES = (
    " FROM expertise_evidence e JOIN cached_posts q ON q.object_id = e.root_id"
    " AND q.state = 'accepted'"
    " JOIN cached_group_members cm ON cm.group_actor = q.group_actor AND cm.member_id = ?"
)


async def counts(
    conn: Connection, reader_id: str, topic: str, member_ids: list[str]
) -> dict[str, int]:
    """Per member, their pieces on `topic` in copies `reader_id` belongs to (by the
    (topic, member_id, group_id) index: the member's groupless pieces only)."""
    # Most readers are in no copy at all: one indexed read says so before the listed
    # members' groupless evidence is scanned, which costs ~30 ms for the most common topic's
    # experts at a million posts (bench/scale.py).
    in_a_copy = await conn.execute_fetchall(
        "SELECT 1 FROM cached_group_members WHERE member_id = ? LIMIT 1", (reader_id,)
    )
    if not list(in_a_copy):
        return {}
    marks = ", ".join("?" for _ in member_ids)
    found = await conn.execute_fetchall(
        f"SELECT e.member_id, count(*) AS n{_IN_COPIES}"
        f" WHERE e.topic = ? AND e.member_id IN ({marks}) AND e.group_id IS NULL"
        " GROUP BY e.member_id",
        (reader_id, topic, *member_ids),
    )
    return {r["member_id"]: r["n"] for r in found}


async def newest(
    conn: Connection, reader_id: str, topic: str, member_id: str, limit: int
) -> list[EvidenceSeen]:
    found = await conn.execute_fetchall(
        "SELECT e.kind, e.created_at, e.root_id, e.source_id, q.title, cg.name, cg.host"
        f"{_IN_COPIES} JOIN cached_groups cg ON cg.actor_id = q.group_actor"
        " WHERE e.topic = ? AND e.member_id = ? AND e.group_id IS NULL"
        " ORDER BY e.created_at DESC LIMIT ?",
        (reader_id, topic, member_id, limit),
    )
    return [
        EvidenceSeen(
            member_id=member_id,
            kind=r["kind"],
            created_at=rows.parse_ts(r["created_at"]),
            readable=True,
            root_id=r["root_id"],
            source_id=r["source_id"],
            group_name=f"{r['name']}@{r['host']}",
            title=r["title"],
            page_slug=None,
        )  # fmt: skip
        for r in found
    ]
