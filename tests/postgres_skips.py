"""Tests that do not pass on PostgreSQL yet, each with why. `make test-postgres` skips these
(and only there); `make test` runs them all. Keys are pytest node ids or their prefixes
(a file, a file::test)."""

from __future__ import annotations

SKIPS: dict[str, str] = {}


def reason(nodeid: str) -> str | None:
    for prefix, why in SKIPS.items():
        if nodeid == prefix or nodeid.startswith(prefix + "::") or nodeid.startswith(prefix + "["):
            return why
    return None
