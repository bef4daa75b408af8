"""GET /api/v1/me/export: the signed-in member's own data as a zip."""

from __future__ import annotations

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import export
from feedserver.http import auth


async def my_export(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    assert viewer.member is not None
    body = await export.build(request.app[appkeys.SERVICES], viewer)
    name = f"feedserver-{viewer.member.username}.zip"
    return web.Response(
        body=body,
        content_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
