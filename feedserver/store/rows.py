"""Conversions between SQL rows and models, and the one timestamp format."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from feedserver.models import Group, Member, Post


def ts(moment: datetime) -> str:
    """Fixed-width UTC text (2026-01-31T12:00:00.000000Z), so timestamps sort as strings."""
    # Every write stamps a few of these (an inbox delivery four): %-formatting the fields is
    # faster than isoformat (1.4 against 2.1 us), strftime or an f-string (2.3), and pads
    # the year too.
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (  # noqa: UP031 (see above)
        moment.year, moment.month, moment.day,
        moment.hour, moment.minute, moment.second, moment.microsecond,
    )  # fmt: skip


def parse_ts(text: str) -> datetime:
    # fromisoformat reads the fixed format (and its trailing Z) many times faster than
    # strptime, which cost more than the rest of a feed's 304.
    return datetime.fromisoformat(text)


def member(row: sqlite3.Row) -> Member:
    return Member(
        id=row["id"],
        username=row["username"],
        display_name=row["display_name"],
        is_admin=bool(row["is_admin"]),
        created_at=parse_ts(row["created_at"]),
    )


def group(row: sqlite3.Row) -> Group:
    return Group(
        id=row["id"],
        name=row["name"],
        title=row["title"],
        description=row["description"],
        visibility=row["visibility"],
        created_at=parse_ts(row["created_at"]),
        version=row["version"],
        language=row["language"],
    )


# Columns every post query selects, so `post()` can read any of them.
POST_COLUMNS = (
    "p.seq, p.id, p.group_id, g.name AS group_name, p.parent_id, p.kind, p.author_id,"
    " m.username AS author_username, m.display_name AS author_display_name, p.title, p.body,"
    " p.body_html, p.tags, p.created_at, p.updated_at, p.revision, p.accepted_answer_id,"
    " p.helpful_count, p.reply_count"
)
POST_JOINS = "JOIN groups g ON g.id = p.group_id JOIN members m ON m.id = p.author_id"
POST_FROM = f"posts p {POST_JOINS}"


def post(row: sqlite3.Row) -> Post:
    return Post(
        id=row["id"],
        group_id=row["group_id"],
        group_name=row["group_name"],
        parent_id=row["parent_id"],
        kind=row["kind"],
        author_id=row["author_id"],
        author_username=row["author_username"],
        author_display_name=row["author_display_name"],
        title=row["title"],
        body=row["body"],
        body_html=row["body_html"],
        tags=tuple(row["tags"].split()) if row["tags"] else (),
        created_at=parse_ts(row["created_at"]),
        updated_at=parse_ts(row["updated_at"]),
        revision=row["revision"],
        accepted_answer_id=row["accepted_answer_id"],
        helpful_count=row["helpful_count"],
        reply_count=row["reply_count"],
    )


def aggregate(row: sqlite3.Row | None) -> sqlite3.Row:
    """The row of an aggregate query without GROUP BY (a count, say): SQLite always returns
    exactly one, so None here would be a broken query, not an empty table."""
    if row is None:
        raise LookupError("an aggregate query returned no row")
    return row
