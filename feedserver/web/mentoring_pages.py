"""Mentoring from the browser, for each side: the program list (admins create programs), a
program (enrol as mentor or mentee, one's own pairings: close one as its mentor, ask to be
rematched as its mentee), and a mentor's view of their cohorts (who has gone silent).

The managers' side (propose a matching, review and edit it, publish, the report) is in
mentoring_review.py. Forms are turned into the API's request bodies and checked against the
same JSON Schemas; the domain functions decide who may do what (domain/access.py).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import access, mentoring_oversight, mentoring_publish, programs
from feedserver.errors import Conflict, FeedserverError, Forbidden, NotFound, ValidationFailed
from feedserver.http import bodies
from feedserver.web import forms, render, session

SAME_TEAM = {"any": "No preference", "prefer": "Prefer my own team", "avoid": "Avoid my team"}
PRIORITY = {
    "balanced": "Balanced",
    "expertise": "Most expertise",
    "team": "Team fit",
}
OUTCOMES = {"completed": "Completed: we reached the goals", "ended": "Ended early"}
SILENT_DAYS = 14


def whole_number(raw: str, field: str) -> int:
    if not raw.isdigit() or len(raw) > 4:
        raise ValidationFailed([{"field": field, "message": "a whole number"}])
    return int(raw)


def first_error(error: FeedserverError) -> str:
    if isinstance(error, ValidationFailed) and (found := forms.field_errors(error)):
        name, message = next(iter(found.items()))
        return f"{name.replace('_', ' ')}: {message}"
    return error.detail


async def program_list(request: web.Request) -> web.Response:
    return await _program_list(request)


async def _program_list(
    request: web.Request, *, status: int = 200, values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> web.Response:  # fmt: skip
    viewer = await session.signed_in(request)
    found = await programs.listing(request.app[appkeys.SERVICES], viewer, cursor=None, limit=100)
    return await render.page(
        request, "mentoring.html", status=status, programs=found.items,
        may_create=viewer.is_admin, values=values or {"default_capacity": "2"},
        errors=errors or {},
    )  # fmt: skip


async def program_create(request: web.Request) -> web.StreamResponse:
    viewer = await session.signed_in(request)
    form = await forms.fields(request)
    keys = ("name", "description", "default_capacity", "enrol_closes_at", "owners")
    values = {k: form.get(k, "") for k in keys}
    values["exclude_reporting_line"] = "1" if form.get("exclude_reporting_line") else ""
    try:
        body: dict[str, Any] = {"name": values["name"], "description": values["description"]}
        body["default_capacity"] = whole_number(values["default_capacity"], "default_capacity")
        if values["enrol_closes_at"]:  # a date input: enrolment closes at the start of it
            body["enrol_closes_at"] = f"{values['enrol_closes_at']}T00:00:00+00:00"
        if owners := forms.tag_list(values["owners"].replace("@", " ").lower()):
            body["owners"] = list(dict.fromkeys(owners))
        body["exclude_reporting_line"] = bool(values["exclude_reporting_line"])
        request.app[appkeys.SCHEMAS].validate("program-create", body)
        view = await programs.create(
            request.app[appkeys.SERVICES], viewer, bodies.new_program(body)
        )
    except ValidationFailed as error:
        errors = {k.split("/")[0]: v for k, v in forms.field_errors(error).items()}
        return await _program_list(request, status=422, values=values, errors=errors)
    raise render.redirect(f"/mentoring/{view.program.id}")


async def program_page(request: web.Request) -> web.Response:
    return await _program_page(request)


async def _program_page(
    request: web.Request, *, status: int = 200, errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> web.Response:  # fmt: skip
    viewer = await session.signed_in(request)
    services = request.app[appkeys.SERVICES]
    program_id = request.match_info["id"]
    view = await programs.get(services, viewer, program_id)
    mine = await mentoring_oversight.mine(services, viewer, program_id)
    values = values or {}
    if mine.as_mentor and "topics" not in values:
        values["topics"] = " ".join(mine.as_mentor.topics)
        values["capacity"] = str(mine.as_mentor.capacity)
    if mine.as_mentee and "goals" not in values:
        values["goals"] = " ".join(mine.as_mentee.goals)
        values["same_team"], values["priority"] = mine.as_mentee.same_team, mine.as_mentee.priority
    return await render.page(
        request, "program.html", status=status, view=view, program=view.program, mine=mine,
        values=values, errors=errors or {}, same_team=SAME_TEAM, priority=PRIORITY,
        outcomes=OUTCOMES, now=services.clock(),
        may_close={p.id for p in mine.pairings if access.may_close_pairing(
            viewer, p.mentor.id, view.manager)},
        may_rematch={p.id for p in mine.pairings if access.may_ask_rematch(viewer, p.mentee.id)},
    )  # fmt: skip


async def enrol(request: web.Request) -> web.StreamResponse:
    """Enrol (or update one's enrolment) as a mentor or as a mentee."""
    viewer = await session.signed_in(request)
    form = await forms.fields(request)
    program_id, side = request.match_info["id"], request.match_info["side"]
    if side not in ("mentor", "mentee"):
        raise NotFound("No such page")
    services = request.app[appkeys.SERVICES]
    try:
        if side == "mentor":
            values = {"topics": form.get("topics", ""), "capacity": form.get("capacity", "")}
            body: dict[str, Any] = {"topics": forms.tag_list(values["topics"])}
            body["capacity"] = whole_number(values["capacity"], "capacity")
            request.app[appkeys.SCHEMAS].validate("program-mentor", body)
            await programs.enrol_mentor(services, viewer, program_id, bodies.mentor_offering(body))
        else:
            values = {k: form.get(k, "") for k in ("goals", "same_team", "priority")}
            body = {"goals": forms.tag_list(values["goals"]), "same_team": values["same_team"]}
            body["priority"] = values["priority"]
            request.app[appkeys.SCHEMAS].validate("program-mentee", body)
            await programs.enrol_mentee(services, viewer, program_id, bodies.mentee_wish(body))
    except (ValidationFailed, Conflict) as error:  # a closed window, a bad topic...
        return await _program_page(
            request, status=error.status, errors={side: first_error(error)}, values=values
        )
    raise render.redirect(f"/mentoring/{program_id}#{side}")


async def end_pairing(request: web.Request) -> web.StreamResponse:
    """The mentor closes a pairing; the mentee asks to be rematched."""
    viewer = await session.signed_in(request)
    form = await forms.fields(request)
    program_id, pairing_id = request.match_info["id"], request.match_info["pairing"]
    action = request.match_info["action"]
    if action not in ("close", "rematch"):
        raise NotFound("No such page")
    services = request.app[appkeys.SERVICES]
    note = form.get("note", "")
    try:
        if len(note) > 2000:
            raise ValidationFailed([{"field": "note", "message": "at most 2000 characters"}])
        if action == "close":
            outcome = form.get("outcome", "")
            if outcome not in OUTCOMES:
                raise ValidationFailed([{"field": "outcome", "message": "pick one of the list"}])
            await mentoring_publish.close(
                services, viewer, program_id, pairing_id, outcome=outcome, note=note
            )
        else:
            await mentoring_publish.rematch(services, viewer, program_id, pairing_id, note=note)
    except (ValidationFailed, Conflict, Forbidden) as error:
        errors = {f"pairing-{pairing_id}": first_error(error)}
        return await _program_page(request, status=error.status, errors=errors)
    raise render.redirect(f"/mentoring/{program_id}#pairings")


async def cohorts(request: web.Request) -> web.Response:
    """A mentor's cohorts: who has gone quiet, questions nobody answered, what is new."""
    viewer = await session.signed_in(request)
    found = await mentoring_oversight.oversight(
        request.app[appkeys.SERVICES], viewer, silent_days=SILENT_DAYS
    )
    return await render.page(
        request, "cohorts.html", cohorts=found, silent_days=SILENT_DAYS,
        now=request.app[appkeys.SERVICES].clock(),
    )  # fmt: skip
