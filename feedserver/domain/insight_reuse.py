"""What gets reused, for an insights report: FAQ pages by readers and by edits, from the
per-page, per-day counts (store/insight_pages.py), only pages of groups the viewer may read
(domain/access.py decides, group by group)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from feedserver.domain import access
from feedserver.models import Viewer
from feedserver.store import groups as group_store
from feedserver.store import insight_pages
from feedserver.store.db import Connection

if TYPE_CHECKING:
    from feedserver.domain.insights import Scope

PAGES_SHOWN = 10


async def faq_pages(
    conn: Connection, viewer: Viewer, scope: Scope, first: str, last: str
) -> list[dict[str, Any]]:
    """The scope's most read pages over the days (then the most edited): readers (members,
    each once a day), views and edits, summed over the period."""
    if scope.group_ids == []:
        return []  # no group of the scope the viewer may read
    tag = scope.keys[0][2] if scope.kind == "tag" else None
    found = await insight_pages.by_page(conn, scope.group_ids, first, last, tag)
    readable: dict[str, bool] = {}
    shown: list[dict[str, Any]] = []
    for r in found:
        if r["group_id"] not in readable:
            group = await group_store.by_id(conn, r["group_id"])
            readable[r["group_id"]] = (
                group is not None and (await access.group_access(conn, viewer, group)).can_read
            )
        if readable[r["group_id"]]:
            shown.append({
                "group": r["group_name"], "slug": r["slug"], "title": r["title"],
                "readers": int(r["readers"]), "views": int(r["views"]), "edits": int(r["edits"]),
            })  # fmt: skip
        if len(shown) == PAGES_SHOWN:
            break
    return shown
