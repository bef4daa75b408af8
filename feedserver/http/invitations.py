"""Admin creates an invitation link: POST /api/v1/invitations."""

from __future__ import annotations

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import invitations
from feedserver.http import auth
from feedserver.http.render import when
from feedserver.http.validation import read_json


async def create_invitation(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    body = await read_json(request, request.app[appkeys.SCHEMAS], "invitation-create")
    created = await invitations.create(
        request.app[appkeys.SERVICES],
        viewer,
        note=body.get("note", ""),
        days=body.get("expires_in_days", invitations.DEFAULT_DAYS),
        group=body.get("group", ""),
        email=body.get("email", ""),
    )
    found = created.invitation
    return web.json_response(
        {
            "id": found.id,
            "note": found.note,
            "group": found.group_name,
            # The only time the secret is shown: the database keeps its hash.
            "url": request.app[appkeys.CONFIG].public_url + created.path(),
            "created_at": when(found.created_at),
            "expires_at": when(found.expires_at),
        },
        status=201,
    )
