"""Admin API for moderation: members with their standing, suspension, admin rights,
password resets, deletion and the audit log. Rules live in domain/moderation.py."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import moderation
from feedserver.errors import BadRequest
from feedserver.federation import moderation as federation_moderation
from feedserver.http import auth
from feedserver.http.paging import page_params, paged_response
from feedserver.http.render import member, when
from feedserver.http.validation import read_json
from feedserver.models import AuditEntry, MemberStanding


def standing_doc(s: MemberStanding) -> dict[str, Any]:
    return {
        **member(s.member),
        "state": s.state,
        "suspended_at": when(s.suspended_at) if s.suspended_at else None,
        "deleted_at": when(s.deleted_at) if s.deleted_at else None,
    }


def audit_doc(e: AuditEntry) -> dict[str, Any]:
    return {
        "id": e.seq,
        "at": when(e.at),
        "actor": e.actor,
        "action": e.action,
        "subject": e.subject,
        "detail": e.detail,
    }


async def list_members(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    after, limit = page_params(request)
    page = await moderation.list_members(
        request.app[appkeys.SERVICES], viewer, state=request.query.get("state"), after=after,
        limit=limit,
    )  # fmt: skip
    return paged_response(request, [standing_doc(s) for s in page.items], page.next_cursor)


async def suspend(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    found = await moderation.suspend(
        request.app[appkeys.SERVICES], viewer, request.match_info["username"]
    )
    return web.json_response(standing_doc(found))


async def unsuspend(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    found = await moderation.unsuspend(
        request.app[appkeys.SERVICES], viewer, request.match_info["username"]
    )
    return web.json_response(standing_doc(found))


async def promote(request: web.Request) -> web.Response:
    return await _set_admin(request, True)


async def demote(request: web.Request) -> web.Response:
    return await _set_admin(request, False)


async def _set_admin(request: web.Request, is_admin: bool) -> web.Response:
    viewer = await auth.signed_in(request)
    found = await moderation.set_admin(
        request.app[appkeys.SERVICES], viewer, request.match_info["username"], is_admin=is_admin
    )
    return web.json_response(standing_doc(found))


async def reset_password(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    body = await read_json(request, request.app[appkeys.SCHEMAS], "member-password")
    revoked = await moderation.reset_password(
        request.app[appkeys.SERVICES], viewer, request.match_info["username"], body["password"]
    )
    return web.json_response({"revoked_tokens": revoked})


async def delete_member(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    content = request.query.get("content")
    if content not in moderation.CONTENT_CHOICES:
        raise BadRequest("content must be remove or anonymize")
    found = await federation_moderation.delete_member(
        request.app[appkeys.SERVICES], viewer, request.match_info["username"], content=content
    )
    return web.json_response(standing_doc(found))


async def audit_log(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    raw, limit = page_params(request)
    before = None
    if raw is not None:
        if not raw.isdigit():
            raise BadRequest("The cursor is not valid")
        before = int(raw)
    page = await moderation.audit_log(
        request.app[appkeys.SERVICES], viewer, before=before, limit=limit
    )
    return paged_response(request, [audit_doc(e) for e in page.items], page.next_cursor)
