"""Reading submitted forms. The CSRF token was already checked by web/middleware.py."""

from __future__ import annotations

from aiohttp import web

from feedserver.errors import ValidationFailed


async def fields(request: web.Request) -> dict[str, str]:
    """Text fields only (a file upload is ignored), stripped of surrounding blanks."""
    form = await request.post()
    return {k: v.strip() for k, v in form.items() if isinstance(v, str)}


def field_errors(error: ValidationFailed) -> dict[str, str]:
    """{field: message} for showing each problem next to its input."""
    found: dict[str, str] = {}
    for item in error.extra.get("errors", []):
        name = item["field"].split("/")[0] or "form"
        found.setdefault(name, item["message"])
    return found


def tag_list(raw: str) -> list[str]:
    """'payroll, taxes #deadlines' -> ['payroll', 'taxes', 'deadlines']."""
    return [t for t in raw.replace(",", " ").split() if t]
