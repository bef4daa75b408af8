"""Mentoring programs and enrolment: admins create programs; members enrol as mentors (topics,
capacity) or mentees (goals, preferences) while the enrolment window is open."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from feedserver.domain import access
from feedserver.domain.ids import is_id, new_id
from feedserver.domain.matching import Weights
from feedserver.domain.services import Services
from feedserver.domain.text import clean_text, normalize_tag
from feedserver.errors import Conflict, Forbidden, NotFound, ValidationFailed
from feedserver.models import (
    MenteeEnrolment,
    MentorEnrolment,
    Page,
    Priority,
    Program,
    SameTeam,
    Viewer,
)
from feedserver.store import members as member_store
from feedserver.store import programs as program_store
from feedserver.store.db import Connection

MAX_GOALS = 5
MAX_TOPICS = 30
MAX_AVOID = 20


@dataclass(frozen=True, slots=True)
class NewProgram:
    """A program to create, as the admin asked for it (text not yet cleaned, times not yet
    read: `create` checks them)."""

    name: str
    description: str = ""
    enrol_opens_at: str | None = None  # RFC 3339
    enrol_closes_at: str | None = None
    default_capacity: int = 2
    exclude_reporting_line: bool = False
    owners: tuple[str, ...] = ()  # usernames
    weights: Weights = Weights()  # frozen: one shared default is safe


@dataclass(frozen=True, slots=True)
class MentorOffering:
    """What a member offers as a mentor (tags not yet normalized)."""

    topics: tuple[str, ...] = ()
    capacity: int | None = None  # None: the program's default capacity
    manager: str | None = None  # username


@dataclass(frozen=True, slots=True)
class MenteeWish:
    """What a member asks for as a mentee (tags not yet normalized)."""

    goals: tuple[str, ...]  # most important first
    same_team: SameTeam = "any"
    priority: Priority = "balanced"
    avoid: tuple[str, ...] = ()  # usernames
    manager: str | None = None  # username


@dataclass(frozen=True, slots=True)
class ProgramView:
    program: Program
    mentors: int
    mentees: int
    manager: bool  # the viewer may see proposals and reports


def weights_of(program: Program) -> Weights:
    """The program's stored weights; a weight it lacks (or a stored name no longer known)
    takes the default."""
    stored, default = program.weights, Weights()
    return Weights(
        expertise=stored.get("expertise", default.expertise),
        declared_topic=stored.get("declared_topic", default.declared_topic),
        goal_order_decay=stored.get("goal_order_decay", default.goal_order_decay),
        team_bonus=stored.get("team_bonus", default.team_bonus),
        priority_boost=stored.get("priority_boost", default.priority_boost),
        exclude_same_team=bool(stored.get("exclude_same_team", default.exclude_same_team)),
    )


async def load(conn: Connection, viewer: Viewer, program_id: str) -> Program:
    """The program, or NotFound (also for ids that are not ids at all)."""
    access.require_member(viewer)
    program = await program_store.get(conn, program_id) if is_id(program_id) else None
    if program is None or not access.may_see_program(viewer):
        raise NotFound("No such program")
    return program


async def load_managed(conn: Connection, viewer: Viewer, program_id: str) -> Program:
    program = await load(conn, viewer, program_id)
    if not access.may_manage_program(viewer, program.owner_ids):
        raise Forbidden("Only administrators and the program's owners may do this")
    return program


def _when(raw: str | None, field: str) -> datetime | None:
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValidationFailed([{"field": field, "message": "an RFC 3339 time with an offset"}])
    return moment


def _tags(raw: Sequence[str], field: str, limit: int) -> tuple[str, ...]:
    found: list[str] = []
    for index, item in enumerate(raw):
        tag = normalize_tag(item)
        if tag is None:
            raise ValidationFailed([{"field": f"{field}/{index}", "message": "not a valid tag"}])
        if tag not in found:
            found.append(tag)
    if len(found) > limit:
        raise ValidationFailed([{"field": field, "message": f"at most {limit} topics"}])
    return tuple(found)


async def _member_ids(conn: Connection, usernames: Sequence[str], field: str) -> list[str]:
    ids = []
    for index, username in enumerate(usernames):
        member = await member_store.by_username(conn, username)
        if member is None:
            raise ValidationFailed([{"field": f"{field}/{index}", "message": "no such member"}])
        ids.append(member.id)
    return ids


async def create(services: Services, viewer: Viewer, new: NewProgram) -> ProgramView:
    access.require_admin(viewer)
    assert viewer.member is not None
    name = " ".join(clean_text(new.name).split())
    if not name:
        raise ValidationFailed([{"field": "name", "message": "must not be empty"}])
    opens = _when(new.enrol_opens_at, "enrol_opens_at")
    closes = _when(new.enrol_closes_at, "enrol_closes_at")
    if opens and closes and closes <= opens:
        raise ValidationFailed([{"field": "enrol_closes_at", "message": "must follow opening"}])
    weights = asdict(new.weights)
    now = services.clock()
    async with services.db.write() as conn:
        owners = await _member_ids(conn, new.owners, "owners")
        program = Program(
            id=new_id(), name=name, description=clean_text(new.description),
            enrol_opens_at=opens, enrol_closes_at=closes,
            default_capacity=new.default_capacity, weights=weights,
            exclude_reporting_line=new.exclude_reporting_line,
            created_by=viewer.member.id, created_at=now,
            owner_ids=tuple(sorted({viewer.member.id, *owners})),
        )  # fmt: skip
        await program_store.insert(conn, program)
    return ProgramView(program, 0, 0, True)


async def get(services: Services, viewer: Viewer, program_id: str) -> ProgramView:
    async with services.db.read() as conn:
        program = await load(conn, viewer, program_id)
        mentors, mentees = await program_store.counts(conn, program.id)
    manager = access.may_manage_program(viewer, program.owner_ids)
    return ProgramView(program, mentors, mentees, manager)


async def listing(
    services: Services, viewer: Viewer, *, cursor: str | None, limit: int
) -> Page[Program]:
    access.require_member(viewer)
    if not access.may_see_program(viewer):
        return Page([], None)
    async with services.db.read() as conn:
        found = await program_store.page(conn, before=cursor, limit=limit + 1)
    items = found[:limit]
    return Page(items, items[-1].id if len(found) > limit else None)


def _check_window(program: Program, now: datetime) -> None:
    if program.enrol_opens_at and now < program.enrol_opens_at:
        raise Conflict(f"Enrolment opens at {program.enrol_opens_at.isoformat()}")
    if program.enrol_closes_at and now >= program.enrol_closes_at:
        raise Conflict("Enrolment in this program has closed")


async def _manager_id(conn: Connection, viewer: Viewer, manager: str | None) -> str | None:
    if manager is None:
        return None
    (found,) = await _member_ids(conn, [manager], "manager")
    if found == viewer.member_id:
        raise ValidationFailed([{"field": "manager", "message": "not yourself"}])
    return found


async def enrol_mentor(
    services: Services, viewer: Viewer, program_id: str, offer: MentorOffering
) -> tuple[MentorEnrolment, bool]:
    """Offer topics and a capacity (enrolling again updates); True when new."""
    topics = _tags(offer.topics, "topics", MAX_TOPICS)
    now = services.clock()
    async with services.db.write() as conn:
        program = await load(conn, viewer, program_id)
        _check_window(program, now)
        assert viewer.member is not None
        created = await program_store.put_mentor(
            conn, program_id=program.id, member_id=viewer.member.id, topics=topics,
            capacity=program.default_capacity if offer.capacity is None else offer.capacity,
            manager_id=await _manager_id(conn, viewer, offer.manager), now=now,
        )  # fmt: skip
        (found,) = await program_store.mentors(conn, program.id, viewer.member.id)
    return found, created


async def enrol_mentee(
    services: Services, viewer: Viewer, program_id: str, wish: MenteeWish
) -> tuple[MenteeEnrolment, bool]:
    """State goals and preferences (enrolling again updates); True when new."""
    goals = _tags(wish.goals, "goals", MAX_GOALS)
    if not goals:
        raise ValidationFailed([{"field": "goals", "message": "at least one goal"}])
    now = services.clock()
    async with services.db.write() as conn:
        program = await load(conn, viewer, program_id)
        _check_window(program, now)
        assert viewer.member is not None
        avoid = await _member_ids(conn, wish.avoid[:MAX_AVOID], "avoid")
        created = await program_store.put_mentee(
            conn, program_id=program.id, member_id=viewer.member.id, goals=goals,
            same_team=wish.same_team, priority=wish.priority, avoid=tuple(dict.fromkeys(avoid)),
            manager_id=await _manager_id(conn, viewer, wish.manager), now=now,
        )  # fmt: skip
        (found,) = await program_store.mentees(conn, program.id, viewer.member.id)
    return found, created


async def mentors(services: Services, viewer: Viewer, program_id: str) -> list[MentorEnrolment]:
    """The program's mentors, for its managers (the reviewer assigns mentees to them)."""
    async with services.db.read() as conn:
        program = await load_managed(conn, viewer, program_id)
        return await program_store.mentors(conn, program.id)
