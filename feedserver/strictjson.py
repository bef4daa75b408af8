"""The one JSON parser for everything that arrives from outside (API bodies, partners).

`json.loads` alone accepts NaN and Infinity (which no other JSON reader does, and which then
pass JSON Schema bounds and come back out as invalid JSON), turns 1e999 into infinity,
raises RecursionError on deep nesting and ValueError on integers over 4,300 digits. Here
each of those is a `JsonRejected` (a ValueError) with a reason that can be shown to the
sender, found before or while parsing, never after storing anything.
"""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any

# Our documents nest a handful of levels (an activity's object's proof is the deepest);
# this leaves room for any honest one while staying far below the interpreter's recursion limit.
MAX_DEPTH = 64
# No number we read has more than a couple of dozen characters (ids, counts, weights).
MAX_NUMBER_CHARS = 100
# Arrays and objects in one document: far more than any request or activity of ours holds,
# and it bounds the depth scan (about 0.35 us a bracket) to a few milliseconds.
MAX_CONTAINERS = 20_000

# A JSON string with its escapes, unrolled so a long string is one linear scan.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [0] * 256
for _open in b"[{":
    _STEP[_open] = 1
for _close in b"]}":
    _STEP[_close] = -1


class JsonRejected(ValueError):
    """The text is not JSON we accept; str() says why, in words fit for the sender."""


def _brackets(raw: bytes) -> bytes:
    """The brackets outside strings, in order (C-speed passes, no recursion)."""
    return _STRING.sub(b"", raw).translate(None, _NOT_BRACKET)


def depth(brackets: bytes) -> int:
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _constant(name: str) -> Any:
    raise JsonRejected(f"{name} is not a JSON value")


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonRejected(f"a number longer than {MAX_NUMBER_CHARS} characters")
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonRejected(f"a number longer than {MAX_NUMBER_CHARS} characters")
    value = float(text)
    if not math.isfinite(value):
        raise JsonRejected(f"the number {text} is out of range")
    return value


def loads(raw: bytes | str) -> Any:
    """Parse `raw` (UTF-8 if bytes). JsonRejected for anything that is not plain, finite,
    reasonably nested JSON; the reason names the first problem found."""
    if isinstance(raw, str):
        text, data = raw, raw.encode("utf-8", "surrogatepass")
    else:
        data = raw
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonRejected(f"not valid UTF-8 (byte {exc.start})") from None
    # Opening brackets anywhere, strings included, bound both the containers and the depth
    # from above: an ordinary document (an activity has about ten) needs no scan at all, and
    # the scan costs more than parsing it.
    if data.count(b"[") + data.count(b"{") > MAX_DEPTH:
        brackets = _brackets(data)
        opened = len(brackets) - brackets.count(b"]") - brackets.count(b"}")
        if opened > MAX_CONTAINERS:
            raise JsonRejected(
                f"{opened} arrays and objects; at most {MAX_CONTAINERS} are accepted"
            )
        if (found := depth(brackets)) > MAX_DEPTH:
            raise JsonRejected(f"nested {found} levels deep; at most {MAX_DEPTH} are accepted")
    try:
        return json.loads(text, parse_constant=_constant, parse_int=_int, parse_float=_float)
    except JsonRejected:
        raise
    except json.JSONDecodeError as exc:
        raise JsonRejected(f"{exc.msg} at line {exc.lineno}") from None
    except (ValueError, RecursionError) as exc:  # belt and braces: nothing else escapes
        raise JsonRejected(str(exc)[:200]) from None
