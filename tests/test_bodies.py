"""Validated request bodies become the domain's typed inputs: every field the schema allows
is carried over, and an omitted field gets the input's own default (no second default in
the HTTP layer to drift from it)."""

from __future__ import annotations

import pytest

from feedserver.domain.matching import Weights
from feedserver.domain.mentoring_match import AssignMentor, RemovePair, SwapMentors
from feedserver.domain.programs import MenteeWish, MentorOffering, NewProgram
from feedserver.http import bodies
from feedserver.http.validation import SchemaRegistry
from feedserver.models import ProfileDeclaration

SCHEMAS = SchemaRegistry()


def valid(schema: str, body: dict[str, object]) -> dict[str, object]:
    SCHEMAS.validate(schema, body)  # only bodies the API would accept
    return body


def test_omitted_fields_take_the_inputs_defaults() -> None:
    assert bodies.new_program(valid("program-create", {"name": "P"})) == NewProgram(name="P")
    assert bodies.mentor_offering(valid("program-mentor", {})) == MentorOffering()
    assert bodies.mentee_wish(valid("program-mentee", {"goals": ["go"]})) == MenteeWish(("go",))
    assert bodies.profile_declaration(valid("profile-put", {})) == ProfileDeclaration()


def test_every_field_is_carried_over() -> None:
    program = bodies.new_program(
        valid("program-create", {
            "name": "P", "description": "d", "enrol_opens_at": "2026-01-01T00:00:00Z",
            "enrol_closes_at": "2026-02-01T00:00:00Z", "default_capacity": 3,
            "exclude_reporting_line": True, "owners": ["ann", "bob"],
            "weights": {"expertise": 2, "exclude_same_team": True},
        })
    )  # fmt: skip
    assert program == NewProgram(
        name="P", description="d", enrol_opens_at="2026-01-01T00:00:00Z",
        enrol_closes_at="2026-02-01T00:00:00Z", default_capacity=3,
        exclude_reporting_line=True, owners=("ann", "bob"),
        weights=Weights(expertise=2, exclude_same_team=True),
    )  # fmt: skip
    offer = {"topics": ["go", "sql"], "capacity": 0, "manager": "cat"}
    assert bodies.mentor_offering(valid("program-mentor", offer)) == MentorOffering(
        ("go", "sql"), 0, "cat"
    )
    wish = {
        "goals": ["go"], "same_team": "avoid", "priority": "team", "avoid": ["dan"],
        "manager": "cat",
    }  # fmt: skip
    assert bodies.mentee_wish(valid("program-mentee", wish)) == MenteeWish(
        ("go",), "avoid", "team", ("dan",), "cat"
    )
    profile = {
        "headline": "h", "field": "f", "team": "t", "location": "l", "sharing": "partners",
        "weekly_ask_cap": 0, "topics": [{"topic": "#Go", "level": "expert"}],
    }  # fmt: skip
    assert bodies.profile_declaration(valid("profile-put", profile)) == ProfileDeclaration(
        "h", "f", "t", "l", "partners", 0, (("#Go", "expert"),)
    )


@pytest.mark.parametrize(
    ("body", "edit"),
    [
        ({"op": "remove", "mentee": "e1"}, RemovePair("e1")),
        ({"op": "swap", "mentees": ["e1", "e2"]}, SwapMentors(("e1", "e2"))),
        ({"op": "assign", "mentee": "e1", "mentor": "m1"}, AssignMentor("e1", "m1")),
    ],
)
def test_each_proposal_edit_op_has_its_type(body: dict[str, object], edit: object) -> None:
    assert bodies.proposal_edit(valid("program-proposal-edit", body)) == edit
