"""Which engine a connection talks to, for the few statements written once per engine."""

from __future__ import annotations

from typing import Any

SQLITE = "sqlite"
POSTGRESQL = "postgresql"


def dialect(conn: Any) -> str:
    # The writer's and PostgreSQL's connections say; aiosqlite's readers are SQLite's.
    return str(getattr(conn, "dialect", SQLITE))
