"""What the domain functions need from the running server, passed explicitly (no globals)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from feedserver.config import Config
from feedserver.federation.server_keys import ServerKeys
from feedserver.store.db import Database


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Services:
    db: Database
    config: Config
    clock: Callable[[], datetime] = utc_now  # tests pass a fixed clock
    # The server's signing keys (federation); loaded in the app's cleanup_ctx. None (or not
    # yet loaded) means objects are stored without proofs, e.g. in store-only tests.
    keys: ServerKeys | None = None
