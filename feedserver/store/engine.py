"""Which database a deployment uses, from its `database_url`: SQLite (the default, a file in
the data directory) or PostgreSQL. Both engines have the same interface; callers hold an
`Engine` and never ask which one it is."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeAlias

from feedserver.store.admission import SEARCH_READERS, SEARCH_WAITING
from feedserver.store.db import Database
from feedserver.store.pg import PgDatabase
from feedserver.store.timed import TimedDatabase

Engine: TypeAlias = Database | PgDatabase
Observe = Callable[[str, float], None]

POSTGRESQL_SCHEMES = ("postgresql://", "postgres://")
SQLITE_SCHEME = "sqlite:///"


def is_postgresql(url: str) -> bool:
    return url.startswith(POSTGRESQL_SCHEMES)


def sqlite_path(url: str, default: Path) -> Path:
    """The file of a `sqlite:///PATH` URL (sqlite:////abs/path, sqlite:///relative); `default`
    when no URL is set."""
    if not url:
        return default
    if not url.startswith(SQLITE_SCHEME):
        raise ValueError(f"not a SQLite URL: {url.split('://', 1)[0]}://...")
    return Path(url.removeprefix(SQLITE_SCHEME))


def open_engine(
    url: str, default_path: Path, *, readers: int, synchronous: str,
    observe: Observe | None = None, search_readers: int = SEARCH_READERS,
    search_waiting: int = SEARCH_WAITING, search_process: bool = False, search_nice: int = 0,
) -> Engine:  # fmt: skip
    """The engine for `url` (not yet opened: call `open()`)."""
    searches: dict[str, Any] = {
        "search_readers": search_readers, "search_waiting": search_waiting,
        "search_process": search_process, "search_nice": search_nice,
    }  # fmt: skip
    if is_postgresql(url):
        return PgDatabase(url, readers, observe=observe, **searches)
    path = sqlite_path(url, default_path)
    if observe is None:
        return Database(path, readers, synchronous, **searches)
    return TimedDatabase(path, readers, synchronous, observe=observe, **searches)
