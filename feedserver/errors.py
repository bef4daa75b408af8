"""One error tree for every layer; http/problems.py renders it as RFC 9457 problem+json."""

from __future__ import annotations

from typing import Any


class FeedserverError(Exception):
    """Base of every error a request may end with. `code` becomes the problem `type`."""

    status = 500
    code = "internal"
    title = "Internal server error"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class BadRequest(FeedserverError):
    status, code, title = 400, "bad-request", "Bad request"


class ValidationFailed(FeedserverError):
    status, code, title = 422, "validation", "The request body is not valid"

    def __init__(self, errors: list[dict[str, str]], detail: str | None = None) -> None:
        super().__init__(detail or "; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.extra = {"errors": errors}


class Unauthorized(FeedserverError):
    status, code, title = 401, "unauthorized", "Authentication required"


class Forbidden(FeedserverError):
    status, code, title = 403, "forbidden", "Not allowed"


class NotFound(FeedserverError):
    status, code, title = 404, "not-found", "Not found"


class RequestTimeout(FeedserverError):
    status, code, title = 408, "request-timeout", "The request took too long to arrive"


class ClientClosedRequest(FeedserverError):
    """Nobody receives it: the status (nginx's 499) is for the access log."""

    status, code, title = 499, "client-closed-request", "The client went away"


class Conflict(FeedserverError):
    status, code, title = 409, "conflict", "Conflict"


class PayloadTooLarge(FeedserverError):
    status, code, title = 413, "payload-too-large", "Request body too large"


class UriTooLong(FeedserverError):
    status, code, title = 414, "uri-too-long", "Request URI too long"


class UnsupportedMediaType(FeedserverError):
    status, code, title = 415, "unsupported-media-type", "Unsupported media type"


class StorageFull(FeedserverError):
    """The disk (or the database's size limit) is full: nothing was stored; reads still work."""

    status, code, title = 503, "storage-full", "Storage is full"

    def __init__(self, detail: str | None = None, *, retry_after: int = 60) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class QueryTooSlow(FeedserverError):
    """A read ran past its time bound and was stopped: nothing was changed."""

    status, code, title = 503, "query-too-slow", "The query took too long"

    def __init__(self, detail: str | None = None, *, retry_after: int = 5) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class SearchBusy(FeedserverError):
    """Too many searches at once: refused before it ran (nothing was read), to be tried again."""

    status, code, title = 503, "search-busy", "Too many searches at once"

    def __init__(self, detail: str | None = None, *, retry_after: int = 1) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class TooManyRequests(FeedserverError):
    status, code, title = 429, "too-many-requests", "Too many requests"

    def __init__(self, detail: str | None = None, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
