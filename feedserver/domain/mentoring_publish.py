"""Publishing a reviewed proposal, and the life of a pairing afterwards.

Publishing happens in one transaction: each mentor gets a private cohort group (mentor as
`mentor`, mentees as `member`) or their existing one is joined, every pair becomes a pairing,
and the mentor's welcome note lands in the group -- which is how members are notified: the home
feed is built from the posts of the member's groups. A mentor closes a pairing (a completed one
is expertise evidence for the mentor, recorded in the same transaction); a mentee may ask to be
rematched, which closes the pairing, takes them out of that cohort and back into the pool.
"""

from __future__ import annotations

import re
from collections import defaultdict

from feedserver.domain import access, expertise, programs
from feedserver.domain.events import MatchPublished
from feedserver.domain.ids import new_id
from feedserver.domain.services import Services
from feedserver.domain.text import render_markdown
from feedserver.errors import Conflict, Forbidden, NotFound
from feedserver.models import Member, Pairing, Post, Program, ProposalEntry, Viewer
from feedserver.store import groups as group_store
from feedserver.store import mentoring as mentoring_store
from feedserver.store import posts as post_store
from feedserver.store import programs as program_store
from feedserver.store.db import Connection


def _slug(text: str, limit: int) -> str:
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]+", "-", text.lower())).strip("-")[:limit]


async def _new_cohort_group(
    conn: Connection, services: Services, program: Program, mentor: Member
) -> str:
    base = "-".join(
        x for x in ("mentoring", _slug(program.name, 20), _slug(mentor.username, 32)) if x
    )
    group_id, now = new_id(), services.clock()
    for attempt in range(1, 100):
        name = base if attempt == 1 else f"{base}-{attempt}"
        if await group_store.insert(
            conn, id=group_id, name=name[:64], visibility="private", now=now,
            title=f"{program.name}: {mentor.display_name}'s cohort",
            description=f"Mentoring cohort of {program.name}, led by {mentor.display_name}.",
        ):  # fmt: skip
            break
    else:  # pragma: no cover - 99 taken names in a row
        raise Conflict("Could not find a free name for the cohort group")
    await mentoring_store.insert_cohort(
        conn, program_id=program.id, mentor_id=mentor.id, group_id=group_id, now=now
    )
    return group_id


async def _welcome(
    conn: Connection, services: Services, program: Program, group_id: str, mentor: Member,
    mentees: list[Member],
) -> None:  # fmt: skip
    """The mentor's welcome note: it reaches each new member's home feed."""
    group = await group_store.by_id(conn, group_id)
    assert group is not None
    names = ", ".join(f"**{m.display_name}** (@{m.username})" for m in mentees)
    body = (
        f"Welcome to {program.name}, {names}!\n\n"
        f"I'm {mentor.display_name}, your mentor. This group is private to our cohort: ask your "
        "questions here, share what you learn, and I will keep an eye on every thread."
    )
    now = services.clock()
    await post_store.insert_post(conn, Post(
        id=new_id(), group_id=group.id, group_name=group.name, parent_id=None, kind="note",
        author_id=mentor.id, author_username=mentor.username,
        author_display_name=mentor.display_name, title=f"Welcome to {program.name}",
        body=body, body_html=_html(services, body), tags=(), created_at=now, updated_at=now,
        revision=1,
    ))  # fmt: skip


async def publish(
    services: Services, viewer: Viewer, program_id: str, proposal_id: str
) -> list[Pairing]:
    """Publish a draft; its pairs are re-checked against the program as it is now."""
    async with services.db.write() as conn:
        program = await programs.load_managed(conn, viewer, program_id)
        proposal = await mentoring_store.proposal(conn, program.id, proposal_id)
        if proposal is None:
            raise NotFound("No such proposal")
        if proposal.status != "draft":
            raise Conflict(f"This proposal is {proposal.status}; only a draft is published")
        busy, placed = await mentoring_store.pool_state(conn, program.id)
        capacity = {m.member.id: m.capacity for m in await program_store.mentors(conn, program.id)}
        by_mentor: dict[str, list[ProposalEntry]] = defaultdict(list)
        mentors: dict[str, Member] = {}
        for entry in proposal.entries:
            if entry.mentor is None:
                continue
            if entry.mentee.id in placed:
                raise Conflict(f"@{entry.mentee.username} was placed meanwhile; match again")
            by_mentor[entry.mentor.id].append(entry)
            mentors[entry.mentor.id] = entry.mentor
        for mentor_id, entries in by_mentor.items():
            if len(entries) > capacity.get(mentor_id, 0) - busy.get(mentor_id, 0):
                raise Conflict(f"@{mentors[mentor_id].username} has no room left; match again")
        created: list[str] = []
        pairs: list[tuple[str, str, str]] = []
        now = services.clock()
        for mentor_id in sorted(by_mentor):
            entries, mentor = by_mentor[mentor_id], mentors[mentor_id]
            group_id = await mentoring_store.cohort_group(conn, program.id, mentor_id)
            if group_id is None:
                group_id = await _new_cohort_group(conn, services, program, mentor)
            current = await group_store.membership(conn, group_id, mentor_id)
            if current is None or current.role == "member":
                await group_store.put_membership(
                    conn, group_id=group_id, member_id=mentor_id, role="mentor", now=now
                )
            for entry in entries:
                await group_store.put_membership(
                    conn, group_id=group_id, member_id=entry.mentee.id, role="member", now=now
                )
                pairing_id = new_id()
                await mentoring_store.insert_pairing(
                    conn, id=pairing_id, program_id=program.id, mentor_id=mentor_id,
                    mentee_id=entry.mentee.id, group_id=group_id, score=entry.score,
                    reasons=entry.reasons, now=now,
                )  # fmt: skip
                created.append(pairing_id)
                pairs.append((mentor_id, entry.mentee.id, group_id))
            await _welcome(conn, services, program, group_id, mentor, [e.mentee for e in entries])
        await mentoring_store.set_proposal_status(conn, proposal.id, "published")
        assert viewer.member is not None
        await services.events.publish(
            conn, MatchPublished(program.name, tuple(pairs), viewer.member.id)
        )
        found = await mentoring_store.pairings(conn, program.id)
    wanted = set(created)
    return [p for p in found if p.id in wanted]


async def visible_pairing(
    conn: Connection, viewer: Viewer, program: Program, pairing_id: str
) -> tuple[Pairing, bool]:
    found = await mentoring_store.pairing(conn, program.id, pairing_id)
    manager = access.may_manage_program(viewer, program.owner_ids)
    if found is None or not access.may_see_pairing(
        viewer, found.mentor.id, found.mentee.id, manager
    ):
        raise NotFound("No such pairing")
    return found, manager


async def close(
    services: Services, viewer: Viewer, program_id: str, pairing_id: str, *, outcome: str,
    note: str,
) -> Pairing:  # fmt: skip
    """The mentor (or a manager) closes a pairing: `completed` counts as mentoring evidence."""
    now = services.clock()
    async with services.db.write() as conn:
        program = await programs.load(conn, viewer, program_id)
        found, manager = await visible_pairing(conn, viewer, program, pairing_id)
        if not access.may_close_pairing(viewer, found.mentor.id, manager):
            raise Forbidden("Only the mentor closes a pairing")
        if not await mentoring_store.close_pairing(conn, found.id, outcome, note, now):
            raise Conflict(f"This pairing is already {found.status}")
        if outcome == "completed":
            enrolled = await program_store.mentees(conn, program.id, found.mentee.id)
            await expertise.on_mentoring_done(
                conn, services, mentor_id=found.mentor.id, mentee_id=found.mentee.id,
                pairing_id=found.id, topics=enrolled[0].goals if enrolled else (), at=now,
            )  # fmt: skip
        updated = await mentoring_store.pairing(conn, program.id, found.id)
    assert updated is not None
    return updated


async def rematch(
    services: Services, viewer: Viewer, program_id: str, pairing_id: str, *, note: str
) -> Pairing:
    """The mentee asks for another mentor: the pairing closes, the mentee leaves the cohort
    group and goes back to the pool (never to be proposed this mentor again)."""
    async with services.db.write() as conn:
        program = await programs.load(conn, viewer, program_id)
        found, _ = await visible_pairing(conn, viewer, program, pairing_id)
        if not access.may_ask_rematch(viewer, found.mentee.id):
            raise Forbidden("Only the mentee asks to be rematched")
        if not await mentoring_store.close_pairing(
            conn, found.id, "rematch", note, services.clock()
        ):
            raise Conflict(f"This pairing is already {found.status}")
        if await group_store.delete_membership(conn, found.group_id, found.mentee.id):
            await group_store.bump_version(conn, found.group_id)
        updated = await mentoring_store.pairing(conn, program.id, found.id)
    assert updated is not None
    return updated


def _html(services: Services, body: str) -> str:
    return render_markdown(body, services.config.public_url)  # only our own images stay images
