"""The store's SQL, as written for SQLite, made PostgreSQL's: a small, mechanical translation.

The store keeps one set of statements. What differs between the engines in them is small
and lexical, so it is translated here rather than written twice:

- placeholders: `?` (positional) and `:name` (named, with a mapping) become `$1, $2, ...`;
  text inside quotes and comments is left alone, and so is a `::type` cast; `? IS NULL`
  gets a type (`$1::text IS NULL`), which PostgreSQL cannot infer from that alone;
- two function names: `group_concat(x, sep)` is `string_agg(x, sep)`, `instr(a, b)` is
  `strpos(a, b)` (same argument order);
- an empty list, `x IN ()` (false) and `x NOT IN ()` (true), which SQLite takes and
  PostgreSQL refuses, is `x = ANY('{}')` and `x <> ALL('{}')` (the empty array takes x's
  type): a statement built from a list of marks needs no branch for an empty list.

Statements whose meaning differs (full-text search, the delivery queue's claim) are not
translated: the store branches on `dialect(conn)` and writes each engine's form.

Parameter values are coerced to the parameter's type the way SQLite's column affinity
would store them (a number given for a text column is its decimal text, a bool given for
an integer is 0 or 1): asyncpg refuses a value of another type, SQLite converts it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

_TOKEN = re.compile(
    r"'(?:[^']|'')*'"  # a string literal
    r'|"(?:[^"]|"")*"'  # a quoted identifier
    r"|--[^\n]*"  # a comment
    r"|::"  # a cast, not a named parameter
    r"|\?"  # a positional parameter
    r"|:([A-Za-z_]\w*)"  # a named parameter
    r"|\b(group_concat|instr)\s*\("
    r"|\b(NOT\s+)?IN\s*\(\s*\)",  # an empty list
    re.IGNORECASE,
)
_NULL_TEST = re.compile(r"\s+IS\s+(?:NOT\s+)?NULL\b", re.IGNORECASE)
_FUNCTIONS = {"group_concat": "string_agg(", "instr": "strpos("}


@lru_cache(maxsize=4096)
def compile_sql(sql: str) -> tuple[str, tuple[str, ...] | int]:
    """PostgreSQL's text of `sql` and what its parameters are: the names, in the order of
    their numbers, for named ones; else how many positional ones there are."""
    names: list[str] = []
    positional = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal positional
        token = match.group(0)
        if token == "?":  # noqa: S105 - a placeholder, not a password
            positional += 1
            # `? IS NULL` alone gives PostgreSQL no type to infer: say text (coerce() then
            # passes any value as its text, which is NULL exactly when the value is).
            if _NULL_TEST.match(sql, match.end()):
                return f"${positional}::text"
            return f"${positional}"
        if match.group(1):
            name = match.group(1)
            if name not in names:
                names.append(name)
            return f"${names.index(name) + 1}"
        if match.group(2):
            return _FUNCTIONS[match.group(2).lower()]
        if token[:2].upper() in ("IN", "NO"):  # an empty list (the only other tokens)
            return "<> ALL('{}')" if match.group(3) else "= ANY('{}')"
        return token

    text = _TOKEN.sub(replace, sql)
    if names and positional:
        raise ValueError("a statement mixes ? and :name parameters")
    return text, (tuple(names) if names else positional)


def arguments(shape: tuple[str, ...] | int, parameters: Any) -> list[Any]:
    """The values in the order of $1, $2, ... for a statement of this `shape`."""
    if isinstance(shape, tuple):
        if not isinstance(parameters, Mapping):
            raise TypeError("named parameters need a mapping")
        return [parameters[name] for name in shape]
    if isinstance(parameters, Mapping):
        raise TypeError("positional parameters need a sequence")
    values = list(parameters) if parameters is not None else []
    if len(values) != shape:
        raise ValueError(f"the statement takes {shape} parameters, {len(values)} were given")
    return values


_INTEGERS = {"int2", "int4", "int8"}
_FLOATS = {"float4", "float8", "numeric"}


def coerce(types: Sequence[str], values: Iterable[Any]) -> list[Any]:
    """Each value as its parameter's type takes it (see the module's doc)."""
    out: list[Any] = []
    for kind, value in zip(types, values, strict=True):
        out.append(_coerce(kind, value))
    return out


def _coerce(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind in ("text", "varchar"):
        if isinstance(value, bool):
            value = int(value)
        return value if isinstance(value, str) else str(value)
    if kind in _INTEGERS:
        if isinstance(value, bool | str):
            return int(value)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value
    if kind in _FLOATS and isinstance(value, int | str):
        return float(value)
    if kind == "bool" and isinstance(value, int | str):
        return bool(int(value))
    return value


def rowcount(status: str | None) -> int:
    """Rows a statement touched, from its status ("INSERT 0 1", "UPDATE 3"); -1 if none."""
    if not status:
        return -1
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else -1
