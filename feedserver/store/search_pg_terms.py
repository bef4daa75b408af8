"""PostgreSQL search's table of (lexeme, group) pairs (search_terms, migration 0173): which
longer words a typed prefix stands for, and which of the viewer's groups hold every word.

A prefix (`'word':*`) is a partial match in a GIN index, which collects every row of every
lexeme it matches before the query runs, and does so once per group in the index on
(group_id, search). Read as the few lexemes it stands for, each is an exact lookup. And a
word common only in groups the viewer cannot read is found in none of theirs here, in a few
lookups, instead of in an intersection of index lists that is empty only at its end.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

CONFIG = "'feedserver'::regconfig"
# Lexemes a typed prefix may stand for and still be read as those lexemes.
PREFIX_TERMS = 8
_PREFIX = re.compile(r"'([^'\\]+)':\*")  # one plain lexeme as a prefix, as tsquery prints it


async def longer_words(conn: Any, prefix: str) -> list[str] | None:
    """The lexemes `prefix` stands for: the word as typed and the longer ones; [] when no
    longer one exists (the prefix adds nothing to the word as typed); None, to leave it a
    prefix, when there are more than PREFIX_TERMS or it is not one plain lexeme."""
    found = await conn.execute_fetchall(
        f"SELECT to_tsquery({CONFIG}, ?)::text",
        ("'" + prefix.replace("\\", "\\\\").replace("'", "''") + "':*",),
    )
    normal = _PREFIX.fullmatch(str(next(iter(found))[0]))
    if normal is None:
        return None
    stem = normal.group(1)
    read = PREFIX_TERMS + 2  # the word itself, PREFIX_TERMS longer ones, and one to know
    found = await conn.execute_fetchall(
        "SELECT DISTINCT lexeme FROM search_terms WHERE lexeme >= ? ORDER BY lexeme LIMIT ?",
        (stem, read),
    )
    lexemes = [str(r[0]) for r in found]
    longer = [lexeme for lexeme in lexemes if lexeme.startswith(stem) and lexeme != stem]
    if len(longer) > PREFIX_TERMS or (len(lexemes) == read and lexemes[-1].startswith(stem)):
        return None
    if any("'" in lexeme or "\\" in lexeme for lexeme in longer):
        return None
    return [stem, *longer] if longer else []


async def holding(
    conn: Any, groups: list[str] | None, words: list[str], any_word: bool,
    longer: list[str] | None = None,
) -> list[str] | None:  # fmt: skip
    """The groups among `groups` whose posts hold every lexeme of `words` and, with `longer`,
    one of those: no other group can hold a match. Unchanged for every group (None) and for
    a query any of whose words may match."""
    if groups is None or any_word or not groups:
        return groups
    found = await conn.execute_fetchall(
        f"SELECT tsvector_to_array(to_tsvector({CONFIG}, ?))", (" ".join(words),)
    )
    required = set(next(iter(found))[0] or [])
    alternatives = set(longer or [])
    if not required and not alternatives:
        return groups
    found = await conn.execute_fetchall(
        "SELECT lexeme, group_id FROM search_terms"
        " WHERE lexeme = ANY(?::text[]) AND group_id = ANY(?::text[])",
        (sorted(required | alternatives), groups),
    )
    held: dict[str, set[str]] = defaultdict(set)
    for lexeme, group_id in found:
        held[group_id].add(lexeme)
    return [
        g for g in groups
        if required <= held[g] and (not alternatives or alternatives & held[g])
    ]  # fmt: skip
