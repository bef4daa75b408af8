"""What the domain functions need from the running server, passed explicitly (no globals)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from feedserver.config import Config
from feedserver.domain.events import EventRegistry
from feedserver.domain.page_reads import PageReads
from feedserver.domain.search_misses import SearchMisses
from feedserver.store.engine import Engine


def utc_now() -> datetime:
    return datetime.now(UTC)


class SigningKeys(Protocol):
    """The server's signing keys as the code that signs objects sees them (the federation
    layer's ServerKeys is one); the domain never signs, it only carries them."""

    @property
    def loaded(self) -> bool: ...

    def private(self, name: str | None = None) -> tuple[str, Ed25519PrivateKey]: ...

    def fingerprint(self) -> str: ...


@dataclass(frozen=True)
class Services:
    db: Engine
    config: Config
    clock: Callable[[], datetime] = utc_now  # tests pass a fixed clock
    # The server's signing keys; loaded in the app's cleanup_ctx. None (or not yet loaded)
    # means objects are stored without proofs, e.g. in store-only tests.
    keys: SigningKeys | None = None
    # Who reacts to what the domain does (federation, later notifications), wired by the app
    # and the CLI; empty in store-only tests.
    events: EventRegistry = field(default_factory=EventRegistry)
    # Searches that found nothing, counted in memory until the next batch is written.
    search_misses: SearchMisses = field(default_factory=SearchMisses)
    page_reads: PageReads = field(default_factory=PageReads)
