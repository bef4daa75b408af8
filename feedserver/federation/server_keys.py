"""The server's own Ed25519 keys: private halves in data_dir/keys/NAME.pem (0600), public
halves and rotation expiries in the database, published as FEP-521a Multikeys.

The newest unexpired key signs; a rotated-out key stays published (and verifiable by
partners) until its expiry, so partners have time to pin the new one.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from feedserver.config import Config
from feedserver.domain.ids import new_id
from feedserver.errors import FeedserverError
from feedserver.federation import keys
from feedserver.store import federation as fed_store
from feedserver.store import rows
from feedserver.store.engine import Engine

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


@dataclass(frozen=True, slots=True)
class PublishedKey:
    name: str
    key_id: str
    public_multibase: str
    expires_at: datetime | None


class KeysMissing(FeedserverError):
    """The database has partners, who pinned keys whose private halves are not on disk."""

    code, title = "keys-missing", "The server's signing keys are missing"


def key_dir(config: Config) -> Path:
    return config.data_dir / "keys"


def actor_url(config: Config) -> str:
    return f"{config.public_url}/actor"


def _read_files(directory: Path) -> dict[str, Ed25519PrivateKey]:
    if not directory.is_dir():
        return {}
    return {p.stem: keys.load_private_key(p) for p in sorted(directory.glob("*.pem"))}


def _create_file(directory: Path, name: str) -> Ed25519PrivateKey:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = keys.generate_private_key()
    keys.save_private_key(directory / f"{name}.pem", key)
    return key


async def _refuse_a_new_identity(
    db: Engine, directory: Path, found: set[str], now: datetime
) -> None:
    """Partners pinned our published keys: signing with a new one would get every request
    refused (403), silently. A restore that left the keys behind must stop the server instead."""
    async with db.read() as conn:
        published = {
            r["name"]
            for r in await fed_store.server_keys(conn)
            if not r["expires_at"] or rows.parse_ts(r["expires_at"]) > now
        }
        partners = await fed_store.partner_count(conn) if published - found else 0
    if partners and not published & found:
        raise KeysMissing(
            f"the database has {partners} partner server(s) but none of its signing keys is in"
            f" {directory}; restore them (feedserver restore BACKUP) rather than start with a"
            " new identity that every partner would refuse"
        )


class ServerKeys:
    """Loaded once in the app's cleanup_ctx (or by the CLI); empty until then."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._private: dict[str, Ed25519PrivateKey] = {}
        self._published: list[PublishedKey] = []

    @property
    def loaded(self) -> bool:
        return bool(self._private)

    def key_id(self, name: str) -> str:
        return f"{actor_url(self.config)}#{name}"

    async def load(self, db: Engine, now: datetime) -> None:
        """Create the first key when there is none; register key files the database lacks."""
        directory = key_dir(self.config)
        found = await asyncio.to_thread(_read_files, directory)
        await _refuse_a_new_identity(db, directory, set(found), now)
        if not found:
            name = "key-" + new_id()
            found = {name: await asyncio.to_thread(_create_file, directory, name)}
        async with db.write() as conn:
            for name, key in found.items():
                if not NAME_RE.match(name):
                    raise ValueError(f"key file name {name!r} is not a valid key name")
                multibase = keys.public_key_to_multibase(key.public_key())
                await fed_store.insert_server_key(conn, name, multibase, now)
            rows_ = await fed_store.server_keys(conn)
        self._private, self._published = {}, []
        for row in rows_:
            expires = rows.parse_ts(row["expires_at"]) if row["expires_at"] else None
            if row["name"] not in found or (expires is not None and expires <= now):
                continue
            self._private[row["name"]] = found[row["name"]]
            self._published.append(
                PublishedKey(
                    row["name"], self.key_id(row["name"]), row["public_multibase"], expires
                )
            )

    async def refresh(self, db: Engine, now: datetime) -> None:
        """Pick up a rotation made by `feedserver keys rotate` in another process."""
        async with db.read() as conn:
            rows_ = await fed_store.server_keys(conn)
        state = [(r["name"], r["expires_at"]) for r in rows_]
        known = [(k.name, k.expires_at and rows.ts(k.expires_at)) for k in self._published]
        live = [s for s in state if s[1] is None or rows.parse_ts(s[1]) > now]
        if live != known:
            await self.load(db, now)

    @property
    def current_name(self) -> str:
        """The newest key that is not being rotated out."""
        live = [k for k in self._published if k.expires_at is None]
        return (live or self._published)[-1].name

    def private(self, name: str | None = None) -> tuple[str, Ed25519PrivateKey]:
        """(key id, private key) to sign with: the named key, or the current one."""
        name = name if name in self._private else self.current_name
        return self.key_id(name), self._private[name]

    def published(self) -> list[PublishedKey]:
        return list(self._published)

    def fingerprint(self) -> str:
        return keys.fingerprint(self._private[self.current_name].public_key())

    async def rotate(self, db: Engine, now: datetime, grace: timedelta) -> tuple[str, str]:
        """Add a new current key; older keys stay published until now + grace.

        Returns (old name, new name): the caller announces the new key signed by the old one.
        """
        old = self.current_name
        name = "key-" + new_id()
        key = await asyncio.to_thread(_create_file, key_dir(self.config), name)
        async with db.write() as conn:
            await fed_store.insert_server_key(
                conn, name, keys.public_key_to_multibase(key.public_key()), now
            )
            await fed_store.expire_server_keys(conn, name, now + grace)
        await self.load(db, now)
        return old, name
