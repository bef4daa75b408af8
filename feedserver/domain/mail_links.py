"""Signed links in mail that work without logging in: one-click unsubscribe (RFC 8058) and
the confirmation of a new address. Each is `key_id + mac` like a feed token (feed_tokens):
the mac is over the link's own path with the member's feed secret, so a link acts only for
its own member and only for what it was made for, and rotating the feed secret revokes it."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from feedserver.domain import feed_tokens as tokens
from feedserver.models import Member
from feedserver.models.feeds import FeedKey
from feedserver.store import feeds as feed_store
from feedserver.store.db import Connection

UNSUBSCRIBE_PATH = "/mail/unsubscribe"
CONFIRM_PATH = "/mail/confirm"


def _confirm_mac_path(address: str) -> str:
    return f"{CONFIRM_PATH}/{address}"


async def key_for(conn: Connection, member_id: str, now: datetime) -> FeedKey:
    """The member's feed key, created if they have none yet (on the writer connection)."""
    found = await feed_store.key_of(conn, member_id)
    if found is None:
        fresh = tokens.new_key()
        await feed_store.insert_key(conn, member_id, fresh.key_id, fresh.secret, now)
        found = await feed_store.key_of(conn, member_id)
    assert found is not None
    return FeedKey(*found)


def unsubscribe_url(base: str, key: FeedKey) -> str:
    return f"{base}{UNSUBSCRIBE_PATH}?token={tokens.token_for(key, UNSUBSCRIBE_PATH)}"


def confirm_url(base: str, key: FeedKey, address: str) -> str:
    token = tokens.token_for(key, _confirm_mac_path(address))
    return f"{base}{CONFIRM_PATH}?email={quote(address)}&token={token}"


async def signed_member(conn: Connection, token: str | None, path: str) -> Member | None:
    """The member whose feed secret signed `path` into `token`, or None."""
    parsed = tokens.parse(token)
    if parsed is None:
        return None
    found = await feed_store.member_by_key(conn, parsed.key_id)
    if found is None or not tokens.verify(found[1], path, parsed.mac):
        return None
    return found[0]


async def unsubscribing(conn: Connection, token: str | None) -> Member | None:
    return await signed_member(conn, token, UNSUBSCRIBE_PATH)


async def confirming(conn: Connection, token: str | None, address: str) -> Member | None:
    return await signed_member(conn, token, _confirm_mac_path(address))
