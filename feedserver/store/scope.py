"""Turns the access policy's ReadScope into a SQL condition. It decides nothing itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from feedserver.models import ProfileScope, ReadScope

if TYPE_CHECKING:
    from feedserver.store.db import Connection


def group_condition(
    scope: ReadScope, group_column: str, visibility_column: str
) -> tuple[str, list[object]]:
    """A WHERE fragment (and its parameters) true for rows in groups the scope may read."""
    if scope.everything:
        return "1 = 1", []
    clauses: list[str] = []
    params: list[object] = []
    if scope.member_id is not None:
        clauses.append(f"{group_column} IN (SELECT group_id FROM memberships WHERE member_id = ?)")
        params.append(scope.member_id)
    if scope.org_groups:
        clauses.append(f"{visibility_column} = 'org'")
    if scope.group_ids:
        ids = sorted(scope.group_ids)
        clauses.append(f"{group_column} IN ({', '.join('?' for _ in ids)})")
        params.extend(ids)
    if not clauses:
        return "0 = 1", []
    return "(" + " OR ".join(clauses) + ")", params


def copy_condition(copy_column: str, member_column: str) -> str:
    """True for rows about no copy of a partner's group, or about one the member still
    belongs to: access.cached_group_access (a copy is read by its members here) in SQL."""
    return (
        f"({copy_column} IS NULL OR EXISTS (SELECT 1 FROM cached_group_members cgm"
        f" WHERE cgm.group_actor = {copy_column} AND cgm.member_id = {member_column}))"
    )


async def readable_groups(conn: Connection, scope: ReadScope) -> list[str] | None:
    """The ids of the groups a scope reads, sorted; None when it reads every group. For
    queries that read each group's own index range (a cost of groups x page, and nothing at
    all for a viewer who reads none)."""
    if scope.everything:
        return None
    where, params = group_condition(scope, "g.id", "g.visibility")
    found = await conn.execute_fetchall(
        f"SELECT g.id FROM groups g WHERE {where} ORDER BY g.id", params
    )
    return [r[0] for r in found]


def profile_condition(
    scope: ProfileScope, member_column: str, sharing_column: str
) -> tuple[str, list[object]]:
    """A WHERE fragment true for profiles the scope may see. A member without a profile row
    has the default sharing, so callers pass COALESCE(p.sharing, 'org') as the column."""
    if scope.everything:
        return "1 = 1", []
    clauses: list[str] = []
    params: list[object] = []
    if scope.member_id is not None:
        clauses.append(f"{member_column} = ?")
        params.append(scope.member_id)
    if scope.sharing:
        levels = sorted(scope.sharing)
        clauses.append(f"{sharing_column} IN ({', '.join('?' for _ in levels)})")
        params.extend(levels)
    if not clauses:
        return "0 = 1", []
    return "(" + " OR ".join(clauses) + ")", params
