"""RFC 8785 JSON Canonicalization Scheme (JCS).

Object proofs (eddsa-jcs-2022) sign the hash of this exact byte string, so every detail
matters: keys sorted by UTF-16 code units, numbers printed the way ECMAScript prints an IEEE
754 double, and strings escaped minimally.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

__all__ = ["canonicalize"]

_SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def canonicalize(obj: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 form of a JSON-compatible value.

    Raises ValueError for NaN/Infinity, integers a double cannot hold exactly, lone
    surrogates and non-string keys, and TypeError for values JSON has no form for.
    """
    if _json_dumps_is_canonical(obj):
        # The common case (activities carry no floats): the C encoder, same bytes.
        text = json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    else:
        out: list[str] = []
        _write(obj, out)
        text = "".join(out)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("string contains a lone surrogate") from exc


_SAFE_INT = 2**53


def _json_dumps_is_canonical(value: Any) -> bool:
    """Whether json.dumps (sorted keys, no spaces, no ASCII escaping) prints RFC 8785 exactly.

    It does when there is no float (Python and ECMAScript print some differently), no
    integer beyond 2**53 (JCS prints it as the double it becomes), and every key is ASCII
    (code-point order is UTF-16 order there). Its string escapes are JCS's: the short forms,
    lowercase \\u00xx for other control characters, nothing else. Exact types only: a
    subclass (bool is one of int) could print differently.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str or item is None or item is True or item is False:
            continue
        if kind is int:
            if -_SAFE_INT <= item <= _SAFE_INT:
                continue
            return False
        if kind is dict:
            for key in item:
                if type(key) is not str or not key.isascii():
                    return False
            stack.extend(item.values())
        elif kind is list or kind is tuple:
            stack.extend(item)
        else:
            return False
    return True


def _write(value: Any, out: list[str]) -> None:
    # bool before int: in Python True is an int.
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(_integer(value))
    elif isinstance(value, float):
        out.append(_number(value))
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, list | tuple):
        out.append("[")
        for n, member in enumerate(value):
            if n:
                out.append(",")
            _write(member, out)
        out.append("]")
    elif isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise ValueError("JSON object keys must be strings")
        out.append("{")
        # Sorting UTF-16BE bytes equals sorting by UTF-16 code units, which is what RFC 8785
        # requires (and differs from Python's code-point order above the BMP).
        keys = sorted(value, key=lambda k: k.encode("utf-16-be", "surrogatepass"))
        for n, key in enumerate(keys):
            if n:
                out.append(",")
            out.append(_string(key))
            out.append(":")
            _write(value[key], out)
        out.append("}")
    else:
        raise TypeError(f"{type(value).__name__} is not a JSON value")


def _integer(value: int) -> str:
    # JSON numbers are doubles for JCS (I-JSON); an int a double cannot hold would be
    # silently rounded by other implementations, so refuse it rather than sign a lie.
    try:
        as_float = float(value)
    except OverflowError as exc:
        raise ValueError("integer out of IEEE 754 range") from exc
    if int(as_float) != value:
        raise ValueError("integer not exactly representable as IEEE 754 double")
    return _number(as_float)


def _number(value: float) -> str:
    """ECMAScript Number.prototype.toString (ECMA-262 Number::toString, radix 10)."""
    if math.isnan(value) or math.isinf(value):
        raise ValueError("NaN and Infinity are not allowed in JSON")
    if value == 0:
        return "0"  # also for -0.0
    sign = "-" if value < 0 else ""
    # repr() gives the shortest digit string that round-trips, as ECMAScript requires.
    mantissa, _, exp = repr(abs(value)).partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = whole + frac
    n = len(whole) + (int(exp) if exp else 0)  # value = 0.digits * 10**n
    stripped = digits.lstrip("0")
    n -= len(digits) - len(stripped)
    s = stripped.rstrip("0")
    k = len(s)
    if k <= n <= 21:
        return sign + s + "0" * (n - k)
    if 0 < n <= 21:
        return sign + s[:n] + "." + s[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + s
    e = n - 1
    e_str = ("+" if e >= 0 else "-") + str(abs(e))
    if k == 1:
        return sign + s + "e" + e_str
    return sign + s[0] + "." + s[1:] + "e" + e_str


_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\]')


def _string(value: str) -> str:
    if not _NEEDS_ESCAPE.search(value):  # the common case: nothing to escape
        return f'"{value}"'
    out = ['"']
    for c in value:
        if c in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[c])
        elif c < " ":
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)
