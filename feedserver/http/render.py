"""Models to JSON documents. The shapes here are the API's public contract (openapi.json)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from feedserver.domain.access import GroupAccess
from feedserver.models import (
    Group,
    GroupMember,
    JoinRequest,
    Member,
    PageRevision,
    Post,
    Revision,
    SearchHit,
)


def when(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def member(m: Member) -> dict[str, Any]:
    return {
        "username": m.username,
        "display_name": m.display_name,
        "admin": m.is_admin,
        "created_at": when(m.created_at),
    }


def group(g: Group, access: GroupAccess | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": g.name,
        "title": g.title,
        "description": g.description,
        "visibility": g.visibility,
        "language": g.language,
        "created_at": when(g.created_at),
        "version": g.version,
    }
    if access is not None:
        doc["role"] = access.role
        doc["permissions"] = {
            "post": access.can_post,
            "moderate": access.can_moderate,
            "manage": access.can_manage,
            "join": access.can_join,
        }
    return doc


def group_member(m: GroupMember) -> dict[str, Any]:
    return {
        "username": m.username,
        "display_name": m.display_name,
        "role": m.role,
        "joined_at": when(m.joined_at),
    }


def join_request(r: JoinRequest) -> dict[str, Any]:
    return {
        "username": r.username,
        "display_name": r.display_name,
        "requested_at": when(r.requested_at),
    }


def post(p: Post, *, helpful_by_me: bool | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": p.id,
        "group": p.group_name,
        "parent_id": p.parent_id,
        "kind": p.kind,
        "title": p.title,
        "body": p.body,
        "body_html": p.body_html,
        "tags": list(p.tags),
        "author": {"username": p.author_username, "display_name": p.author_display_name},
        "created_at": when(p.created_at),
        "updated_at": when(p.updated_at),
        "revision": p.revision,
        "helpful_count": p.helpful_count,
    }
    if p.parent_id is None:
        doc["reply_count"] = p.reply_count
        doc["accepted_answer_id"] = p.accepted_answer_id
    if helpful_by_me is not None:
        doc["helpful_by_me"] = helpful_by_me
    return doc


def revision(r: Revision | PageRevision) -> dict[str, Any]:
    """A post's or a FAQ page's revision: the same fields either way."""
    return {
        "revision": r.revision,
        "title": r.title,
        "body": r.body,
        "tags": list(r.tags),
        "editor": r.editor_username,
        "created_at": when(r.created_at),
    }


def search_hit(hit: SearchHit) -> dict[str, Any]:
    return {"post": post(hit.post), "snippet_html": hit.snippet_html, "rank": hit.rank}
