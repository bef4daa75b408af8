"""An API client's repeated read, answered from memory, as a feed reader's poll is
(http/feed_answers.py).

A post list or a thread read with a bearer token is remembered under the `Authorization`
header and the request target exactly as sent, tagged with the database's data version read
just before the token was checked (http/auth.viewer; Database.data_version: any write
committed by any process moves it: a post, a membership, a revoked token, a suspended
member). While the version has not
moved, the same header and target get the same bytes, with no route resolution, middleware,
handler or database; the token, the access decision and the rows were all exact at that
version. One thing changes without a write: a token whose use is due to be recorded again
(members.TOUCH_SECONDS) is checked again, so a session cannot outlive its expiry on answers
from memory, and its use is recorded as before.

Only what the viewer may read is ever stored, only for the token that read it, and it is never
served across tokens: a remembered answer is the answer the app would give. Answers given this
way are counted in the metrics and the access log under the route that made them.
"""

from __future__ import annotations

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import feed_targets
from feedserver.domain.services import Services
from feedserver.feeds.cache import JsonAnswer, RecentAnswers
from feedserver.http.metrics import route_label

_PREFIX = "/api/v1/"


def _key(request: web.Request) -> str | None:
    """Where a read's answer is remembered: the bearer header and the exact target; None for
    a request that is not such a read."""
    header = request.headers.get("Authorization")
    if request.method != "GET" or header is None or not request.raw_path.startswith(_PREFIX):
        return None
    return f"{header}\n{request.raw_path}"


def remember(request: web.Request, response: web.Response) -> web.Response:
    """Keep a successful read's answer for the next identical request by the same token,
    under the data version read before its token was checked (http/auth.viewer)."""
    found = _key(request)
    read_at = request.get(appkeys.TOKEN_READ_AT)
    fresh_until = request.get(appkeys.TOKEN_FRESH_UNTIL)
    if found is None or read_at is None or fresh_until is None or response.status != 200:
        return response
    body = response.body
    if not isinstance(body, bytes):
        return response
    headers = {"Content-Type": response.headers["Content-Type"]}
    if (link := response.headers.get("Link")) is not None:
        headers["Link"] = link
    answer = JsonAnswer(read_at, body, headers, route_label(request), fresh_until)
    request.app[appkeys.FEED_CACHE].answers.put(found, answer)
    return response


def remembered(
    services: Services, answers: RecentAnswers, request: web.Request
) -> JsonAnswer | None:
    found_key = _key(request)
    if found_key is None:
        return None
    now = services.clock().timestamp()
    found = answers.get(found_key, feed_targets.data_generation(services), now)
    return found if isinstance(found, JsonAnswer) else None
