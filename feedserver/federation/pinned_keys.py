"""An in-memory cache of partners' pinned keys, so the inbox verifies without a database read.

The cache is only a hint. The inbox confirms, inside the write transaction that stores the
delivery, that the key it verified with is still pinned, unexpired and the same key (see
`store.federation_inbox.remember_signature`), so a partner removed or a key expired by
another process (the CLI) is refused all the same. In this process, every change of partners or
their keys calls `changed()` after its commit, which reloads the cache on the next lookup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from feedserver.federation.keys import KeyFormatError, public_key_from_multibase
from feedserver.store import federation as fed_store
from feedserver.store.engine import Engine

TOPIC = "partner_keys"


@dataclass(frozen=True)
class PinnedKey:
    key_id: str
    host: str
    multibase: str
    expires_at: datetime | None
    public_key: Ed25519PublicKey

    def valid_at(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > now


def changed(db: Engine) -> None:
    """Partners or their pinned keys changed (call after the commit)."""
    db.touch(TOPIC)


class PinnedKeys:
    def __init__(self) -> None:
        self._keys: dict[str, PinnedKey] = {}
        self._generation: int | None = None

    async def lookup(self, db: Engine, key_id: str, now: datetime) -> PinnedKey | None:
        """The pinned, unexpired key `key_id`, or None."""
        generation = db.topic_generation(TOPIC)
        if generation != self._generation:
            async with db.read() as conn:
                found = await fed_store.all_partner_keys(conn)
            self._keys = {k.key_id: k for k in map(_entry, found) if k is not None}
            self._generation = generation
        key = self._keys.get(key_id)
        if key is None:
            # Perhaps pinned by another process (the CLI) since the last load.
            async with db.read() as conn:
                row = await fed_store.partner_key_row(conn, key_id)
            key = _entry(row) if row is not None else None
            if key is not None:
                self._keys[key_id] = key
        return key if key is not None and key.valid_at(now) else None

    def forget(self, key_id: str) -> None:
        """The database no longer confirms this key: look it up afresh next time."""
        self._keys.pop(key_id, None)


def _entry(row: tuple[str, str, str, datetime | None]) -> PinnedKey | None:
    key_id, host, multibase, expires_at = row
    try:
        public_key = public_key_from_multibase(multibase)
    except KeyFormatError:
        return None
    return PinnedKey(key_id, host, multibase, expires_at, public_key)
