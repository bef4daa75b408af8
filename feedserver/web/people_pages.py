"""People: the "who knows X" directory and expertise profiles (view, edit, endorse).

Everything shown comes from domain/experts.py and domain/profiles.py, which already ask the
access policy: a private profile is a 404 to others, and an explanation names only evidence
the viewer may read (the rest is a count).
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import federated_experts, profiles
from feedserver.domain.federated_experts import PartnerExpert
from feedserver.errors import Conflict, ValidationFailed
from feedserver.http import bodies
from feedserver.http.paging import decode_cursor, encode_cursor
from feedserver.models import LEVELS, SHARINGS, Expert
from feedserver.web import feed_links, forms, render, session

DIRECTORY_PAGE = 20
BLANK_TOPIC_ROWS = 3  # empty rows under the declared topics, for adding some without script

# "who knows payroll?", "anyone good at #payroll" -> payroll: the words people put around a
# topic when they ask in a sentence. The topic is the first word left.
# fmt: off
_FILLER = frozenset({
    "who", "knows", "know", "knowing", "does", "do", "anyone", "anybody", "someone", "somebody",
    "can", "could", "help", "me", "with", "about", "on", "in", "at", "of", "for", "the", "a",
    "an", "is", "are", "good", "expert", "experts", "people", "person", "i", "need", "ask",
    "question", "questions", "please", "what", "which",
})
# fmt: on
_WORD = re.compile(r"[#]?[\w][\w-]*")


def topic_from(typed: str) -> str:
    """The topic in what was typed. Anything but a sentence around one (no filler word in
    it) is left as typed, for the directory to accept or refuse."""
    words = [str(w).lstrip("#").lower() for w in _WORD.findall(typed)]
    left = [w for w in words if w not in _FILLER]
    if len(left) < len(words) and left:
        return left[0]
    return typed.strip().lstrip("#")


async def directory(request: web.Request) -> web.Response:
    viewer = await session.signed_in(request)
    topic = topic_from(request.query.get("topic", ""))
    text = request.query.get("q", "").strip()
    found: list[Expert | PartnerExpert] = []
    next_cursor, problem = None, None
    if topic:
        try:
            # The API's ranking: local members first, then partners' shared profiles, each
            # tier by evidence before declarations, one cursor across them.
            found, next_cursor = await federated_experts.directory(
                request.app[appkeys.SERVICES], viewer, topic=topic, text=text,
                cursor=decode_cursor(request.query.get("cursor")), limit=DIRECTORY_PAGE,
            )  # fmt: skip
        except ValidationFailed:
            problem = "A topic is one tag, e.g. payroll."
    entries = [(isinstance(x, PartnerExpert), x) for x in found]
    return await render.page(
        request, "people.html", topic=topic, text=text, entries=entries, problem=problem,
        next=encode_cursor(next_cursor) if next_cursor else None,
    )  # fmt: skip


async def member_redirect(request: web.Request) -> web.StreamResponse:
    """Feeds link authors to /members/{username}; the profile lives under /people."""
    raise render.redirect(f"/people/{request.match_info['username']}")


async def profile_page(request: web.Request) -> web.Response:
    viewer = await session.signed_in(request)
    username = request.match_info["username"]
    # Coming from "who knows #topic", the viewer named the topic: the profile shows it too,
    # as the directory did (its evidence counted, not described, where they may not read it).
    named = request.query.get("topic", "").strip().lstrip("#") or None
    view = await profiles.get(request.app[appkeys.SERVICES], viewer, username, named=named)
    links = await feed_links.member(request, viewer, username)
    return await render.page(request, "profile.html", view=view, p=view.profile, feed_links=links)


async def edit_form(request: web.Request) -> web.Response:
    return await _edit_form(request)


async def _edit_form(
    request: web.Request, *, status: int = 200, values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> web.Response:  # fmt: skip
    viewer = await session.signed_in(request)
    view = await profiles.get(request.app[appkeys.SERVICES], viewer, request.match_info["username"])
    if not view.own:
        raise web.HTTPSeeOther(f"/people/{view.profile.member.username}")
    if values is None:
        p = view.profile
        values = {
            "headline": p.headline, "field": p.field, "team": p.team, "location": p.location,
            "sharing": p.sharing, "weekly_ask_cap": str(p.weekly_ask_cap),
            "topics": [{"topic": t.topic, "level": t.level} for t in p.topics],
        }  # fmt: skip
    rows = values["topics"] + [{"topic": "", "level": "practicing"}] * BLANK_TOPIC_ROWS
    return await render.page(
        request, "profile_edit.html", status=status, p=view.profile, values=values, rows=rows,
        levels=LEVELS, sharings=SHARINGS, errors=errors or {},
    )  # fmt: skip


def _topics_from(form: dict[str, str]) -> list[dict[str, str]]:
    """topic-0/level-0, topic-1/level-1, …: rows left blank are dropped."""
    found = []
    for key, value in form.items():
        if key.startswith("topic-") and value:
            index = key.removeprefix("topic-")
            found.append({"topic": value.lstrip("#"), "level": form.get(f"level-{index}", "")})
    return found


async def save_profile(request: web.Request) -> web.StreamResponse:
    viewer = await session.signed_in(request)
    form = await forms.fields(request)
    username = request.match_info["username"]
    values: dict[str, Any] = {
        k: form.get(k, "") for k in ("headline", "field", "team", "location", "sharing")
    }
    values["weekly_ask_cap"] = form.get("weekly_ask_cap", "")
    values["topics"] = _topics_from(form)
    try:
        cap = values["weekly_ask_cap"]
        if not cap.isdigit():
            raise ValidationFailed([{"field": "weekly_ask_cap", "message": "a whole number"}])
        body = {**values, "weekly_ask_cap": int(cap)}
        # The same contract as PUT /api/v1/members/{username}/profile.
        request.app[appkeys.SCHEMAS].validate("profile-put", body)
        declared = bodies.profile_declaration(body)
        await profiles.put(request.app[appkeys.SERVICES], viewer, username, declared)
    except ValidationFailed as error:
        # Field names like "topics/2/level" are shown once, at the topics table.
        errors = forms.field_errors(error)
        return await _edit_form(request, status=422, values=values, errors=errors)
    raise render.redirect(f"/people/{username}")


async def endorse(request: web.Request) -> web.StreamResponse:
    viewer = await session.signed_in(request)
    form = await forms.fields(request)
    username = request.match_info["username"]
    try:
        await profiles.endorse(
            request.app[appkeys.SERVICES], viewer, username, form.get("topic", "").lstrip("#"),
            add=not form.get("undo"),
        )  # fmt: skip
    except (ValidationFailed, Conflict) as error:
        view = await profiles.get(request.app[appkeys.SERVICES], viewer, username)
        return await render.page(
            request, "profile.html", status=error.status, view=view, p=view.profile,
            endorse_error=forms.field_errors(error).get("topic", "Give a topic, e.g. payroll")
            if isinstance(error, ValidationFailed) else error.detail,
        )  # fmt: skip
    raise render.redirect(f"/people/{username}#topics")
