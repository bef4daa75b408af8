"""Recognizing a full disk among SQLite's errors, for callers that answer "try later"."""

from __future__ import annotations

import sqlite3

SQLITE_FULL = 13  # "database or disk is full": the disk, or max_page_count


def is_storage_full(error: BaseException) -> bool:
    if not isinstance(error, sqlite3.Error):
        return False
    code = getattr(error, "sqlite_errorcode", None)  # the primary code is the low byte
    if code is not None:
        return bool(code & 0xFF == SQLITE_FULL)
    return "database or disk is full" in str(error)
