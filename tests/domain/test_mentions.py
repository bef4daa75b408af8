"""Mentions in a post's text: which name a member of ours."""

from __future__ import annotations

from feedserver.domain.mentions import MAX_MENTIONS, parse, usernames_at


def test_in_a_partners_group_only_name_at_our_host_names_ours() -> None:
    text = "Ask @carol@b.example, @dave@c.example or @erin; `@frank@b.example` is code"
    assert usernames_at(text, "b.example") == ["carol"]
    assert usernames_at(text, None) == []


def test_bare_mentions_do_not_use_up_the_cap_for_ours() -> None:
    """Twenty of the host's own members named first do not crowd out ours."""
    theirs = " ".join(f"@member{n}" for n in range(MAX_MENTIONS + 5))
    assert usernames_at(f"{theirs} and @carol@b.example", "b.example") == ["carol"]
    assert len(parse(theirs)) == MAX_MENTIONS
