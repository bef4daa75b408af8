"""Tags given in a URL (path or query), held to the spelling schemas/openapi.json documents.

The domain normalizes a tag ('#Payroll Taxes' -> 'payroll-taxes'); the API accepts the
spellings that normalize by case, spaces, underscores and leading '#' only: the same pattern
the request-body schemas in schemas/api/ carry (tests/test_openapi.py keeps them equal), so a
client reads one rule in the document and the server answers by it everywhere.
"""

from __future__ import annotations

import re

from feedserver.errors import ValidationFailed

TAG_INPUT_PATTERN = r"^ *#*[A-Za-z0-9][A-Za-z0-9_ -]*$"
TAG_INPUT_MAX = 40
_TAG_INPUT = re.compile(TAG_INPUT_PATTERN)


def tag_input(raw: str, field: str) -> str:
    """`raw` unchanged when it is a tag as the API spells them; a 422 naming `field` if not."""
    if len(raw) > TAG_INPUT_MAX or not _TAG_INPUT.fullmatch(raw):
        raise ValidationFailed([{"field": field, "message": "not a valid tag"}])
    return raw
