"""Learning insights: who may see which figures, over which period (the figures themselves:
domain/insight_report.py).

Admins see the whole server; a group's owners and mentors see that group (anyone else who
may read it, or may not, is told it does not exist: 404); by tag, admins see the server's
and owners and mentors the groups they lead; every member sees their own. Every figure comes
from the per-day aggregates of the groups the viewer may read (domain/access.py decides),
so a report reads a few rows per day and never the posts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from feedserver.domain import access, insight_report, programs
from feedserver.domain.services import Services
from feedserver.domain.text import normalize_tag
from feedserver.errors import BadRequest, Forbidden, NotFound
from feedserver.models import Viewer
from feedserver.store import groups as group_store
from feedserver.store import insight_days
from feedserver.store import insight_scope as scope_store
from feedserver.store import programs as program_store
from feedserver.store.db import Connection
from feedserver.store.insight_days import SERVER

DEFAULT_DAYS = 90
MAX_DAYS = 366
PROGRAMS_LISTED = 20  # newest programs offered as tabs on /insights


@dataclass(frozen=True, slots=True)
class Scope:
    """What a report covers: day-row keys, and the groups (or the server) behind them."""

    name: str
    kind: str  # server, group, tag, me
    keys: list[insight_days.Key]
    group_ids: list[str] | None  # None: the whole server
    title: str
    program_id: str | None = None  # kind program: its cohort figures too


def period(services: Services, first: str | None, last: str | None) -> tuple[date, date]:
    """The inclusive UTC days asked for; the last 90 days by default."""
    try:
        end = date.fromisoformat(last) if last else services.clock().date()
        start = date.fromisoformat(first) if first else end - timedelta(days=DEFAULT_DAYS - 1)
    except ValueError:
        raise BadRequest("from and to are dates: YYYY-MM-DD") from None
    except OverflowError:  # the default period reaches back before year 1
        raise BadRequest("from and to are dates after the year 1") from None
    if start > end:
        raise BadRequest("from must not be after to")
    if (end - start).days >= MAX_DAYS:
        raise BadRequest(f"a period is at most {MAX_DAYS} days")
    return start, end


async def _readable(conn: Connection, viewer: Viewer, group_id: str) -> bool:
    group = await group_store.by_id(conn, group_id)
    return group is not None and (await access.group_access(conn, viewer, group)).can_read


async def _led(conn: Connection, viewer: Viewer) -> list[tuple[str, str]]:
    assert viewer.member is not None
    led = await scope_store.led_groups(conn, viewer.member.id)
    return [(gid, name) for gid, name in led if await _readable(conn, viewer, gid)]


async def resolve(conn: Connection, viewer: Viewer, raw: str, first: date, last: date) -> Scope:
    access.require_member(viewer)
    assert viewer.member is not None
    kind, _, arg = raw.partition(":")
    if raw == "server":
        access.require_admin(viewer)
        return Scope(raw, "server", [("", SERVER, "")], None, "The whole server")
    if kind == "group" and arg:
        found = await access.readable_group(conn, viewer, arg)
        if not (viewer.is_admin or found.role in ("owner", "mentor")):
            raise NotFound("No such group")  # insights exist only for those who lead it
        group = found.group
        return Scope(raw, "group", [("", group.id, "")], [group.id], group.title)
    if kind == "tag" and arg:
        tag = normalize_tag(arg)
        if tag is None:
            raise BadRequest("tag: letters, digits and dashes")
        if viewer.is_admin:
            return Scope(f"tag:{tag}", "tag", [("", SERVER, tag)], None, f"#{tag}")
        led = await _led(conn, viewer)
        if not led:
            raise Forbidden("Insights by tag cover the groups you own or mentor")
        keys = [("", gid, tag) for gid, _ in led]
        return Scope(f"tag:{tag}", "tag", keys, [gid for gid, _ in led], f"#{tag}")
    if kind == "program" and arg:
        # Managers only, as the program's report (403 for other members, 404 for no program).
        program = await programs.load_managed(conn, viewer, arg)
        cohorts = await scope_store.cohort_groups(conn, program.id)
        readable = [gid for gid in cohorts if await _readable(conn, viewer, gid)]
        keys = [("", gid, "") for gid in readable]
        return Scope(raw, "program", keys, readable, f"Mentoring: {program.name}", program.id)
    if raw == "me":
        member_id = viewer.member.id
        mine = await insight_days.member_groups(
            conn, member_id, first.isoformat(), last.isoformat()
        )
        readable = [gid for gid in mine if await _readable(conn, viewer, gid)]
        keys = [(member_id, gid, "") for gid in readable]
        return Scope("me", "me", keys, readable, "Your own figures")
    raise BadRequest("scope is server, group:{name}, tag:{tag}, program:{id} or me")


async def report(
    services: Services, viewer: Viewer, scope: str, first: str | None, last: str | None
) -> dict[str, Any]:
    start, end = period(services, first, last)
    today = services.clock().date().isoformat()
    if services.search_misses.due(today):  # shows what was searched until now
        await services.search_misses.flush(services.db, today)
    if services.page_reads.due():  # and the pages read until now
        await services.page_reads.flush(services.db)
    async with services.db.read() as conn:
        found = await resolve(conn, viewer, scope, start, end)
        return await insight_report.build(services, conn, viewer, found, start, end)


async def managed_programs(services: Services, viewer: Viewer) -> list[tuple[str, str]]:
    """(id, name) of the recent programs whose insights this viewer may open, for links."""
    if viewer.member is None:
        return []
    async with services.db.read() as conn:
        recent = await program_store.page(conn, before=None, limit=PROGRAMS_LISTED)
    return [(p.id, p.name) for p in recent if access.may_manage_program(viewer, p.owner_ids)]


async def leads(services: Services, viewer: Viewer) -> list[tuple[str, str]]:
    """The groups whose insights this viewer may open (owner or mentor), for links."""
    if viewer.member is None:
        return []
    async with services.db.read() as conn:
        return await _led(conn, viewer)
