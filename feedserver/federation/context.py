"""What federation needs at run time, built by create_app (no I/O) and opened in cleanup_ctx."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from feedserver.domain.rate_limit import TokenBucket
from feedserver.domain.services import Services
from feedserver.federation.client import OutgoingClient
from feedserver.federation.pinned_keys import PinnedKeys
from feedserver.federation.server_keys import ServerKeys
from feedserver.federation.verifier import Verifier


@dataclass
class Federation:
    services: Services
    keys: ServerKeys
    client: OutgoingClient
    # Set by the delivery worker so that new deliveries are sent without waiting for a poll.
    wake_worker: list[Callable[[], None]] = field(default_factory=list)
    worker: Any = None  # the DeliveryWorker while the app runs
    # Partners' pinned keys in memory for the inbox (confirmed in its write transaction).
    pinned: PinnedKeys = field(default_factory=PinnedKeys)
    # The inbox's Ed25519 verifications, in worker processes started on first use.
    verifier: Verifier = field(default_factory=lambda: Verifier(0))
    # Writes into our shared groups by partners' members: the same limit as a local
    # member's, per remote member (group_inbox), so one partner cannot flood a group.
    partner_writes: TokenBucket = field(default_factory=lambda: TokenBucket(0, 0))

    @classmethod
    def build(cls, services: Services) -> Federation:
        # The app's services carry the server's keys; store-only services carry none.
        keys = (
            services.keys if isinstance(services.keys, ServerKeys) else ServerKeys(services.config)
        )
        config = services.config
        client = OutgoingClient(keys, config.fetch_timeout_seconds, config.fetch_max_bytes)
        return cls(
            services, keys, client, verifier=Verifier(config.verify_workers),
            partner_writes=TokenBucket(config.write_burst, config.write_rate_per_minute / 60),
        )  # fmt: skip

    async def open(self) -> None:
        if not self.keys.loaded:
            await self.keys.load(self.services.db, self.services.clock())
        await self.client.open()

    async def close(self) -> None:
        await self.client.close()
        await self.verifier.close()

    def wake(self) -> None:
        for callback in self.wake_worker:
            callback()
