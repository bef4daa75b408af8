"""JSON Schema `pattern` as the standard means it (ECMA-262), not as Python's `re` reads it.

jsonschema checks `pattern` with re.search, where `$` also matches just before a final newline:
"bob\\n" passed `^[a-z0-9]+$`, and the domain's own `$`-anchored checks let it through too, while
every client reading schemas/openapi.json (and its fuzzers) knows it does not match. Here `$` at
the end of a pattern is the end of the string, so the server accepts what the document says.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def _pattern(
    validator: Any, pattern: str, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _compiled(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


# jsonschema's stubs leave `extend` untyped (and without the stubs there is nothing to ignore).
StrictPatternValidator = validators.extend(  # type: ignore[no-untyped-call,unused-ignore]
    Draft202012Validator, {"pattern": _pattern}
)
