"""Help while writing: a Markdown preview rendered exactly as a post will be (same Markdown,
same sanitizer), and the questions already asked that look like the one being typed.

Both answer with a fragment of HTML for static/site.js; both are page routes, so the preview
(a POST) is CSRF-checked like every form, and the similar questions come from the search index
as the viewer may read it (domain/search.py asks the access policy)."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from feedserver import appkeys
from feedserver.domain import search
from feedserver.domain.text import clean_text, render_markdown
from feedserver.errors import PayloadTooLarge
from feedserver.web import forms, session

MAX_BODY = 100_000  # as a post's body (schemas/api/post-create.json)
SIMILAR_SHOWN = 5


async def preview(request: web.Request) -> web.Response:
    await session.signed_in(request)
    body = (await forms.fields(request)).get("body", "")
    if len(body) > MAX_BODY:
        raise PayloadTooLarge(f"A post is at most {MAX_BODY} characters")
    if not body:
        return web.Response(text="<p><em>Nothing to preview.</em></p>", content_type="text/html")
    # As a post is rendered when it is written: only our own images stay images.
    html = render_markdown(clean_text(body), request.app[appkeys.CONFIG].public_url)
    return web.Response(text=html, content_type="text/html", charset="utf-8")


async def similar(request: web.Request) -> web.Response:
    viewer = await session.signed_in(request)
    typed = request.query.get("q", "").strip()[:300]
    hits = await search.similar_questions(
        request.app[appkeys.SERVICES], viewer, typed, limit=SIMILAR_SHOWN
    )
    response = aiohttp_jinja2.render_template("_similar.html", request, {"hits": hits})
    response.charset = "utf-8"
    return response
