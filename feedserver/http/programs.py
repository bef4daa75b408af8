"""Mentoring routes: programs, enrolment, proposals, publishing, pairings, oversight
and reports. Parse, call the domain, render: access is decided in domain/access.py."""

from __future__ import annotations

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import mentoring_match, mentoring_oversight, mentoring_publish, programs
from feedserver.errors import BadRequest
from feedserver.http import auth, bodies
from feedserver.http import render_programs as render
from feedserver.http.paging import page_params, paged_response
from feedserver.http.validation import read_json

MAX_SILENT_DAYS = 365


def _ids(request: web.Request, *names: str) -> list[str]:
    return [request.match_info[n] for n in names]


async def create_program(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    body = await read_json(request, request.app[appkeys.SCHEMAS], "program-create")
    view = await programs.create(request.app[appkeys.SERVICES], viewer, bodies.new_program(body))
    return web.json_response(
        render.program_view(view), status=201,
        headers={"Location": f"/api/v1/programs/{view.program.id}"},
    )  # fmt: skip


async def list_programs(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    cursor, limit = page_params(request)
    page = await programs.listing(request.app[appkeys.SERVICES], viewer, cursor=cursor, limit=limit)
    return paged_response(request, [render.program(p) for p in page.items], page.next_cursor)


async def get_program(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    view = await programs.get(request.app[appkeys.SERVICES], viewer, request.match_info["id"])
    return web.json_response(render.program_view(view))


async def enrol_mentor(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    body = await read_json(request, request.app[appkeys.SCHEMAS], "program-mentor")
    found, created = await programs.enrol_mentor(
        request.app[appkeys.SERVICES], viewer, request.match_info["id"],
        bodies.mentor_offering(body),
    )  # fmt: skip
    return web.json_response(render.mentor_enrolment(found), status=201 if created else 200)


async def enrol_mentee(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    body = await read_json(request, request.app[appkeys.SCHEMAS], "program-mentee")
    found, created = await programs.enrol_mentee(
        request.app[appkeys.SERVICES], viewer, request.match_info["id"], bodies.mentee_wish(body)
    )
    return web.json_response(render.mentee_enrolment(found), status=201 if created else 200)


async def my_enrolment(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    found = await mentoring_oversight.mine(
        request.app[appkeys.SERVICES], viewer, request.match_info["id"]
    )
    return web.json_response(render.mine(found))


async def match(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    found = await mentoring_match.propose(
        request.app[appkeys.SERVICES], viewer, request.match_info["id"]
    )
    return web.json_response(
        render.proposal(found), status=201,
        headers={"Location": f"/api/v1/programs/{found.program_id}/proposals/{found.id}"},
    )  # fmt: skip


async def get_proposal(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    found = await mentoring_match.get(
        request.app[appkeys.SERVICES], viewer, *_ids(request, "id", "proposal")
    )
    return web.json_response(render.proposal(found))


async def edit_proposal(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    body = await read_json(request, request.app[appkeys.SCHEMAS], "program-proposal-edit")
    found = await mentoring_match.edit(
        request.app[appkeys.SERVICES], viewer, request.match_info["id"],
        request.match_info["proposal"], bodies.proposal_edit(body),
    )  # fmt: skip
    return web.json_response(render.proposal(found))


async def publish(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    found = await mentoring_publish.publish(
        request.app[appkeys.SERVICES], viewer, *_ids(request, "id", "proposal")
    )
    return web.json_response({"items": [render.pairing(p) for p in found]}, status=201)


async def get_pairing(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    found = await mentoring_oversight.pairing(
        request.app[appkeys.SERVICES], viewer, *_ids(request, "id", "pairing")
    )
    return web.json_response(render.pairing(found))


async def close_pairing(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    body = await read_json(request, request.app[appkeys.SCHEMAS], "program-pairing-close")
    found = await mentoring_publish.close(
        request.app[appkeys.SERVICES], viewer, *_ids(request, "id", "pairing"),
        outcome=body["outcome"], note=body.get("note", ""),
    )  # fmt: skip
    return web.json_response(render.pairing(found))


async def rematch(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    # The body (a note) is optional: a bare POST asks to be rematched.
    body = (
        await read_json(request, request.app[appkeys.SCHEMAS], "program-rematch")
        if request.body_exists
        else {}
    )
    found = await mentoring_publish.rematch(
        request.app[appkeys.SERVICES], viewer, *_ids(request, "id", "pairing"),
        note=body.get("note", ""),
    )  # fmt: skip
    return web.json_response(render.pairing(found))


async def report(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    found = await mentoring_oversight.report(
        request.app[appkeys.SERVICES], viewer, request.match_info["id"]
    )
    return web.json_response(render.report(found))


async def my_mentoring(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    raw = request.query.get("silent_days", "14")
    try:
        days = int(raw)
    except ValueError:
        raise BadRequest("silent_days must be a whole number") from None
    if not 1 <= days <= MAX_SILENT_DAYS:
        raise BadRequest(f"silent_days must be between 1 and {MAX_SILENT_DAYS}")
    found = await mentoring_oversight.oversight(
        request.app[appkeys.SERVICES], viewer, silent_days=days
    )
    return web.json_response({"silent_days": days, "cohorts": [render.cohort(c) for c in found]})
