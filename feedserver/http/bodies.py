"""Request bodies, once their JSON Schema (schemas/api/) accepted them, turned into the typed
inputs the domain takes: keys a schema requires are there and every value has its type, so
this only picks fields, turns arrays into tuples and leaves what was omitted to a default."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from feedserver.domain.matching import Weights
from feedserver.domain.mentoring_match import AssignMentor, ProposalEdit, RemovePair, SwapMentors
from feedserver.domain.programs import MenteeWish, MentorOffering, NewProgram
from feedserver.models import ProfileDeclaration

Body = Mapping[str, Any]


def new_program(body: Body) -> NewProgram:  # program-create
    return NewProgram(
        name=body["name"],
        description=body.get("description", ""),
        enrol_opens_at=body.get("enrol_opens_at"),
        enrol_closes_at=body.get("enrol_closes_at"),
        default_capacity=body.get("default_capacity", 2),
        exclude_reporting_line=body.get("exclude_reporting_line", False),
        owners=tuple(body.get("owners", ())),
        weights=Weights(**body.get("weights", {})),
    )


def mentor_offering(body: Body) -> MentorOffering:  # program-mentor
    return MentorOffering(
        topics=tuple(body.get("topics", ())),
        capacity=body.get("capacity"),
        manager=body.get("manager"),
    )


def mentee_wish(body: Body) -> MenteeWish:  # program-mentee
    return MenteeWish(
        goals=tuple(body["goals"]),
        same_team=body.get("same_team", "any"),
        priority=body.get("priority", "balanced"),
        avoid=tuple(body.get("avoid", ())),
        manager=body.get("manager"),
    )


def proposal_edit(body: Body) -> ProposalEdit:  # program-proposal-edit
    if body["op"] == "remove":
        return RemovePair(mentee=body["mentee"])
    if body["op"] == "swap":
        first, second = body["mentees"]
        return SwapMentors(mentees=(first, second))
    return AssignMentor(mentee=body["mentee"], mentor=body["mentor"])


def profile_declaration(body: Body) -> ProfileDeclaration:  # profile-put
    return ProfileDeclaration(
        headline=body.get("headline", ""),
        field=body.get("field", ""),
        team=body.get("team", ""),
        location=body.get("location", ""),
        sharing=body.get("sharing", "org"),
        weekly_ask_cap=body.get("weekly_ask_cap"),
        topics=tuple((t["topic"], t["level"]) for t in body.get("topics", ())),
    )
