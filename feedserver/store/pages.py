"""FAQ pages: the current revision, every earlier one, and their full-text index.

Every write bumps the group's change counter in the caller's transaction, so the group's feed
sees a page change exactly when it is committed (`updated_since` lists them for the feed).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from feedserver.models import FaqPage, PageRevision, ReadScope
from feedserver.store import rows, search_pg
from feedserver.store.db import Connection
from feedserver.store.dialect import POSTGRESQL, dialect
from feedserver.store.groups import bump_version
from feedserver.store.scope import group_condition

COLUMNS = (
    "pg.seq, pg.id, pg.group_id, g.name AS group_name, pg.slug, pg.title, pg.body,"
    " pg.body_html, pg.tags, pg.revision, pg.locked, pg.source_post_id,"
    " um.username AS updated_by_username, pg.created_at, pg.updated_at"
)
JOINS = "JOIN groups g ON g.id = pg.group_id JOIN members um ON um.id = pg.updated_by"
_SELECT = f"SELECT {COLUMNS} FROM pages pg {JOINS}"


def page(r: sqlite3.Row) -> FaqPage:
    return FaqPage(
        id=r["id"], group_id=r["group_id"], group_name=r["group_name"], slug=r["slug"],
        title=r["title"], body=r["body"], body_html=r["body_html"],
        tags=tuple(r["tags"].split()), revision=r["revision"], locked=bool(r["locked"]),
        source_post_id=r["source_post_id"], updated_by_username=r["updated_by_username"],
        created_at=rows.parse_ts(r["created_at"]), updated_at=rows.parse_ts(r["updated_at"]),
    )  # fmt: skip


async def get(conn: Connection, group_id: str, slug: str) -> FaqPage | None:
    async with conn.execute(
        f"{_SELECT} WHERE pg.group_id = ? AND pg.slug = ?", (group_id, slug)
    ) as cur:
        row = await cur.fetchone()
    return page(row) if row else None


async def by_source_post(conn: Connection, post_id: str) -> FaqPage | None:
    async with conn.execute(f"{_SELECT} WHERE pg.source_post_id = ?", (post_id,)) as cur:
        row = await cur.fetchone()
    return page(row) if row else None


async def _revision(
    conn: Connection, page_id: str, revision: int, title: str, body: str, tags: str,
    editor_id: str, stamp: str,
) -> None:  # fmt: skip
    await conn.execute(
        "INSERT INTO page_revisions (page_id, revision, title, body, tags, editor_id, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (page_id, revision, title, body, tags, editor_id, stamp),
    )


async def insert(
    conn: Connection, *, id: str, group_id: str, slug: str, title: str, body: str,
    body_html: str, tags: tuple[str, ...], editor_id: str, source_post_id: str | None,
    now: datetime,
) -> bool:  # fmt: skip
    """False when the slug is taken in this group."""
    stamp, tag_text = rows.ts(now), " ".join(tags)
    cur = await conn.execute(
        "INSERT INTO pages (id, group_id, slug, title, body, body_html, tags, revision,"
        " source_post_id, created_by, updated_by, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)"
        " ON CONFLICT (group_id, slug) DO NOTHING RETURNING seq",
        (id, group_id, slug, title, body, body_html, tag_text, source_post_id, editor_id,
         editor_id, stamp, stamp),
    )  # fmt: skip
    inserted = await cur.fetchone()
    if inserted is None:
        return False
    await conn.execute(
        "INSERT INTO pages_fts (rowid, title, body, tags) VALUES (?, ?, ?, ?)",
        (inserted[0], title, body, tag_text),
    )
    await _revision(conn, id, 1, title, body, tag_text, editor_id, stamp)
    await bump_version(conn, group_id)
    return True


async def update(
    conn: Connection, current: FaqPage, *, title: str, body: str, body_html: str,
    tags: tuple[str, ...], editor_id: str, now: datetime,
) -> bool:  # fmt: skip
    """Store the next revision, only if `current` is still the latest (compare-and-set, so
    two editors can never both win). False when someone else got there first."""
    stamp, tag_text, revision = rows.ts(now), " ".join(tags), current.revision + 1
    cur = await conn.execute(
        "UPDATE pages SET title = ?, body = ?, body_html = ?, tags = ?, revision = ?,"
        " updated_by = ?, updated_at = ? WHERE id = ? AND revision = ?",
        (title, body, body_html, tag_text, revision, editor_id, stamp, current.id,
         current.revision),
    )  # fmt: skip
    if cur.rowcount != 1:
        return False
    await conn.execute(
        "UPDATE pages_fts SET title = ?, body = ?, tags = ? WHERE rowid ="
        " (SELECT seq FROM pages WHERE id = ?)",
        (title, body, tag_text, current.id),
    )
    await _revision(conn, current.id, revision, title, body, tag_text, editor_id, stamp)
    await bump_version(conn, current.group_id)
    return True


async def set_locked(conn: Connection, current: FaqPage, locked: bool, now: datetime) -> None:
    await conn.execute(
        "UPDATE pages SET locked = ?, updated_at = ? WHERE id = ?",
        (int(locked), rows.ts(now), current.id),
    )
    await bump_version(conn, current.group_id)


async def revisions(conn: Connection, page_id: str) -> list[PageRevision]:
    return await _revisions(conn, "r.page_id = ?", [page_id])


async def revision(conn: Connection, page_id: str, number: int) -> PageRevision | None:
    found = await _revisions(conn, "r.page_id = ? AND r.revision = ?", [page_id, number])
    return found[0] if found else None


async def _revisions(conn: Connection, where: str, params: Sequence[object]) -> list[PageRevision]:
    async with conn.execute(
        "SELECT r.*, m.username FROM page_revisions r JOIN members m ON m.id = r.editor_id"
        f" WHERE {where} ORDER BY r.revision DESC",
        params,
    ) as cur:
        return [
            PageRevision(r["revision"], r["title"], r["body"], tuple(r["tags"].split()),
                         r["username"], rows.parse_ts(r["created_at"]))
            for r in await cur.fetchall()
        ]  # fmt: skip


async def updated_since(
    conn: Connection, group_id: str, *, since: datetime | None = None, limit: int = 50
) -> list[FaqPage]:
    """A group's pages, most recently changed first: the feed's "page updated" entries."""
    async with conn.execute(
        f"{_SELECT} WHERE pg.group_id = ? AND pg.updated_at >= ?"
        " ORDER BY pg.updated_at DESC, pg.id DESC LIMIT ?",
        (group_id, rows.ts(since) if since else "", limit),
    ) as cur:
        return [page(r) for r in await cur.fetchall()]


async def group_page(
    conn: Connection, group_id: str, *, after: str | None, limit: int
) -> list[FaqPage]:
    """A group's pages by slug."""
    async with conn.execute(
        f"{_SELECT} WHERE pg.group_id = ? AND pg.slug > ? ORDER BY pg.slug LIMIT ?",
        (group_id, after or "", limit),
    ) as cur:
        return [page(r) for r in await cur.fetchall()]


async def search(
    conn: Connection, scope: ReadScope, match: str, hit_start: str, hit_end: str, *, limit: int
) -> list[tuple[FaqPage, str, float]]:
    """Full-text search over pages the scope may read, best first (bm25, as posts)."""
    if dialect(conn) == POSTGRESQL:
        return await search_pg.pages(conn, scope, match, hit_start, hit_end, limit=limit)
    where, params = group_condition(scope, "pg.group_id", "g.visibility")
    sql = (
        f"SELECT {COLUMNS}, snippet(pages_fts, -1, ?, ?, '…', 16) AS snippet,"
        " bm25(pages_fts, 4.0, 1.0, 2.0) AS rank"
        f" FROM pages_fts JOIN pages pg ON pg.seq = pages_fts.rowid {JOINS}"
        f" WHERE pages_fts MATCH ? AND {where} ORDER BY rank, pg.id DESC LIMIT ?"
    )
    async with conn.execute(sql, (hit_start, hit_end, match, *params, limit)) as cur:
        return [(page(r), r["snippet"], r["rank"]) for r in await cur.fetchall()]
