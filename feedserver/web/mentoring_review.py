"""Mentoring, the managers' side (admins and a program's owners; the domain refuses anyone
else): propose a matching, review it with the reasons for each pair, edit it (remove a pair,
swap two mentees' mentors, assign a mentee), publish it, and read the program's report."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import mentoring_match, mentoring_oversight, mentoring_publish, programs
from feedserver.errors import Conflict, ValidationFailed
from feedserver.http import bodies
from feedserver.web import forms, render, session
from feedserver.web.mentoring_pages import first_error


async def propose(request: web.Request) -> web.StreamResponse:
    viewer = await session.signed_in(request)
    program_id = request.match_info["id"]
    found = await mentoring_match.propose(request.app[appkeys.SERVICES], viewer, program_id)
    raise render.redirect(f"/mentoring/{program_id}/proposals/{found.id}")


async def proposal_page(request: web.Request) -> web.Response:
    return await _proposal_page(request)


async def _proposal_page(
    request: web.Request, *, status: int = 200, error: str | None = None
) -> web.Response:
    viewer = await session.signed_in(request)
    services = request.app[appkeys.SERVICES]
    program_id, proposal_id = request.match_info["id"], request.match_info["proposal"]
    view = await programs.get(services, viewer, program_id)
    found = await mentoring_match.get(services, viewer, program_id, proposal_id)
    pool = await programs.mentors(services, viewer, program_id)
    pairs = [e for e in found.entries if e.mentor is not None]
    return await render.page(
        request, "proposal.html", status=status, program=view.program, proposal=found,
        pairs=pairs, unmatched=[e for e in found.entries if e.mentor is None],
        mentees=[e.mentee for e in found.entries], mentors=pool, error=error,
    )  # fmt: skip


async def edit(request: web.Request) -> web.StreamResponse:
    viewer = await session.signed_in(request)
    form = await forms.fields(request)
    program_id, proposal_id = request.match_info["id"], request.match_info["proposal"]
    op = form.get("op", "")
    body: dict[str, Any]
    if op == "swap":
        body = {"op": op, "mentees": [form.get("mentee", ""), form.get("other", "")]}
    elif op == "assign":
        body = {"op": op, "mentee": form.get("mentee", ""), "mentor": form.get("mentor", "")}
    else:
        body = {"op": "remove", "mentee": form.get("mentee", "")}
    try:
        request.app[appkeys.SCHEMAS].validate("program-proposal-edit", body)
        await mentoring_match.edit(
            request.app[appkeys.SERVICES],
            viewer,
            program_id,
            proposal_id,
            bodies.proposal_edit(body),
        )
    except (ValidationFailed, Conflict) as error:
        message = "Pick the people for this change" if op == "swap" or op == "assign" else None
        if isinstance(error, Conflict) or message is None:
            message = first_error(error)
        return await _proposal_page(request, status=error.status, error=message)
    raise render.redirect(f"/mentoring/{program_id}/proposals/{proposal_id}")


async def publish(request: web.Request) -> web.StreamResponse:
    viewer = await session.signed_in(request)
    program_id, proposal_id = request.match_info["id"], request.match_info["proposal"]
    try:
        await mentoring_publish.publish(
            request.app[appkeys.SERVICES], viewer, program_id, proposal_id
        )
    except Conflict as error:
        return await _proposal_page(request, status=error.status, error=error.detail)
    raise render.redirect(f"/mentoring/{program_id}/report")


async def report(request: web.Request) -> web.Response:
    viewer = await session.signed_in(request)
    found = await mentoring_oversight.report(
        request.app[appkeys.SERVICES], viewer, request.match_info["id"]
    )
    return await render.page(request, "program_report.html", report=found, program=found.program)
