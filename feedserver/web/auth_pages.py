"""Log in, log out, and join through an invitation link."""

from __future__ import annotations

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import invitations, members
from feedserver.errors import Conflict, TooManyRequests, Unauthorized, ValidationFailed
from feedserver.http.sessions import client_address
from feedserver.web import forms, render, session


async def login_form(request: web.Request) -> web.Response:
    viewer = await session.viewer(request)
    next_path = session.safe_next(request.query.get("next"))
    if viewer.member is not None:
        raise render.redirect(next_path)
    return await render.page(request, "login.html", next=next_path, username="", error=None)


async def login(request: web.Request) -> web.StreamResponse:
    form = await forms.fields(request)
    next_path = session.safe_next(form.get("next"))
    username = form.get("username", "").lower()
    try:
        _, token = await members.log_in(
            request.app[appkeys.SERVICES], request.app[appkeys.LOGIN_THROTTLE],
            username=username, password=form.get("password", ""),
            address=client_address(request),
        )  # fmt: skip
    except (Unauthorized, TooManyRequests) as error:
        status = 429 if isinstance(error, TooManyRequests) else 401
        response = await render.page(
            request, "login.html", status=status, next=next_path, username=username,
            error=error.detail,
        )  # fmt: skip
        if isinstance(error, TooManyRequests):
            response.headers["Retry-After"] = str(error.retry_after)
        return response
    response = render.redirect(next_path)
    session.start_session(request, response, token)
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    if (token := request.get(appkeys.TOKEN)) is not None:
        await members.log_out(request.app[appkeys.SERVICES], token)
    response = render.redirect("/login")
    session.end_session(response)
    raise response


async def join_form(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    found = await invitations.usable(request.app[appkeys.SERVICES], token)
    return await render.page(
        request, "join.html", invitation=found, values={}, errors={}, token=token
    )


async def join(request: web.Request) -> web.StreamResponse:
    token = request.match_info["token"]
    form = await forms.fields(request)
    values = {
        "username": form.get("username", "").lower(),
        "display_name": form.get("display_name", ""),
    }
    try:
        _, session_token = await invitations.accept(
            request.app[appkeys.SERVICES], token, password=form.get("password", ""), **values
        )
    except (ValidationFailed, Conflict) as error:
        found = await invitations.usable(request.app[appkeys.SERVICES], token)
        errors = (
            forms.field_errors(error)
            if isinstance(error, ValidationFailed)
            else {"username": error.detail}
        )
        return await render.page(
            request, "join.html", status=error.status, invitation=found, values=values,
            errors=errors, token=token,
        )  # fmt: skip
    response = render.redirect("/")
    session.start_session(request, response, session_token)
    raise response
