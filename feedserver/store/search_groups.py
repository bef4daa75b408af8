"""Which of the viewer's groups hold every word of a search, on SQLite (posts_fts_groups,
migration 0174: the (term, group) pairs of every post, kept by triggers). Only those groups
are searched: a word common only in groups the viewer cannot read costs a few lookups here,
not FTS5's intersection of its rows with the viewer's groups' `grp` rows, which is empty
only at its end (~50 ms for a word in a third of the posts at a million posts).

Words of ASCII letters and digits only are looked up (the tokenizer folds them to lower case
and nothing more); any other word, a prefix, or a query any of whose words may match (OR)
narrows nothing: the groups only ever shrink to those that cannot hold a match.
"""

from __future__ import annotations

import re
from collections import defaultdict

from feedserver.store.db import Connection

# A quoted word (with `*`: a prefix), a parenthesized choice of words, or OR, in the FTS5
# text store/search.py writes.
_TOKEN = re.compile(r'"((?:[^"]|"")*)"(\*?)|\(([^()]*)\)|(\bOR\b)')
_QUOTED = re.compile(r'"((?:[^"]|"")*)"')


def needs(text: str) -> list[set[str]] | None:
    """What a post must hold to match `text`: one term of each set; None when any word may
    match."""
    found: list[set[str]] = []
    for quoted, star, choice, any_word in _TOKEN.findall(text):
        if any_word:
            return None
        words = _QUOTED.findall(choice) if choice else [] if star else [quoted]
        terms = {_term(word) for word in words}
        if terms and None not in terms:
            found.append({t for t in terms if t is not None})
    return found


def _term(word: str) -> str | None:
    return word.lower() if word.isascii() and word.isalnum() else None


async def holding(conn: Connection, groups: list[str] | None, text: str) -> list[str] | None:
    """The groups among `groups` (None: every group, left as it is) that may hold a match."""
    wanted = needs(text) if groups else None
    if groups is None or not wanted:
        return groups
    terms = sorted(set().union(*wanted))
    found = await conn.execute_fetchall(
        f"SELECT term, group_id FROM posts_fts_groups WHERE term IN ({_marks(terms)})"
        f" AND group_id IN ({_marks(groups)})",
        (*terms, *groups),
    )
    held: dict[str, set[str]] = defaultdict(set)
    for term, group_id in found:
        held[group_id].add(term)
    return [g for g in groups if all(need & held[g] for need in wanted)]


def _marks(values: list[str]) -> str:
    return ", ".join("?" for _ in values)
