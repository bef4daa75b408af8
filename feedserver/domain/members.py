"""Members, passwords and bearer tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from feedserver.domain import access, member_email
from feedserver.domain.ids import new_id
from feedserver.domain.passwords import hash_password, verify_password
from feedserver.domain.services import Services
from feedserver.domain.text import clean_text
from feedserver.domain.throttle import LoginThrottle
from feedserver.errors import Conflict, NotFound, TooManyRequests, Unauthorized, ValidationFailed
from feedserver.models import Member, Page, Viewer
from feedserver.store import members as member_store

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
MIN_PASSWORD = 10


def token_hash(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


async def create(
    services: Services,
    *,
    username: str,
    display_name: str | None,
    password: str | None,
    is_admin: bool = False,
    email: str | None = None,
) -> Member:
    """`email`, given by an admin (or an invitation), is used at once."""
    if not USERNAME_RE.match(username):
        raise ValidationFailed(
            [{"field": "username", "message": "lowercase letters, digits, '-' or '_', 1-32"}]
        )
    if password is not None and len(password) < MIN_PASSWORD:
        raise ValidationFailed(
            [{"field": "password", "message": f"at least {MIN_PASSWORD} characters"}]
        )
    address = member_email.clean(email) if email else None
    hashed = None
    if password is not None:
        hashed = await hash_password(password, services.config.scrypt_n)
    member_id = new_id()
    name = clean_text(display_name or username).strip() or username
    async with services.db.write() as conn:
        if not await member_store.insert(
            conn,
            id=member_id,
            username=username,
            display_name=name,
            password_hash=hashed,
            is_admin=is_admin,
            now=services.clock(),
        ):
            raise Conflict(f"The username {username!r} is taken")
        if address is not None:
            await member_email.set_by_admin(conn, member_id, address)
        member = await member_store.by_id(conn, member_id)
    assert member is not None
    return member


async def create_by(
    services: Services,
    viewer: Viewer,
    *,
    username: str,
    display_name: str | None,
    password: str | None,
    is_admin: bool = False,
    email: str | None = None,
) -> Member:
    access.require_admin(viewer)
    return await create(
        services,
        username=username,
        display_name=display_name,
        password=password,
        is_admin=is_admin,
        email=email,
    )


async def issue_token(services: Services, member: Member, kind: str = "session") -> str:
    token = secrets.token_urlsafe(32)
    async with services.db.write() as conn:
        await member_store.insert_session(
            conn, token_hash=token_hash(token), member_id=member.id, kind=kind, now=services.clock()
        )
    return token


async def log_in(
    services: Services, throttle: LoginThrottle, *, username: str, password: str, address: str
) -> tuple[Member, str]:
    if wait := await throttle.retry_after(username, address):
        raise TooManyRequests("Too many failed logins; try again later", retry_after=wait)
    async with services.db.read() as conn:
        found = await member_store.password_hash(conn, username)
    ok = await verify_password(password, found[1] if found else None, services.config.scrypt_n)
    if not ok or found is None:
        await throttle.failed(username, address)
        raise Unauthorized("Wrong username or password")
    await throttle.succeeded(username, address)
    if found[2]:  # said only to whoever knows the password
        raise Unauthorized("This account is suspended; ask an administrator")
    member = found[0]
    return member, await issue_token(services, member)


# How long a token's use goes unrecorded: its last use is written at most once an hour.
TOUCH_SECONDS = 3600


async def viewer_for_token(services: Services, token: str) -> Viewer | None:
    found = await token_viewer(services, token)
    return None if found is None else found[0]


async def token_viewer(services: Services, token: str) -> tuple[Viewer, datetime] | None:
    """The token's viewer, and until when that answer holds with no write in between: the
    next recording of the token's use (http/api_answers.py remembers answers until then)."""
    # Ours are URL-safe base64. A header or cookie with other bytes (aiohttp hands them over
    # as surrogates, which cannot even be hashed) is simply not a token of ours.
    if not token.isascii() or not token.isprintable():
        return None
    hashed = token_hash(token)
    async with services.db.read() as conn:
        found = await member_store.session_member(conn, hashed)
    if found is None:
        return None
    member, kind, last_used = found
    now = services.clock()
    if kind == "session" and (now - last_used).days >= services.config.session_days:
        return None
    if (now - last_used).total_seconds() > TOUCH_SECONDS:  # coarsely: no write per request
        async with services.db.write() as conn:
            await member_store.touch_session(conn, hashed, now)
        last_used = now
    # A session expires session_days after its last use, long after this.
    return Viewer(member), last_used + timedelta(seconds=TOUCH_SECONDS)


async def log_out(services: Services, token: str) -> None:
    async with services.db.write() as conn:
        await member_store.delete_session(conn, token_hash(token))


async def by_username(services: Services, viewer: Viewer, username: str) -> Member:
    access.require_member(viewer)
    async with services.db.read() as conn:
        member = await member_store.by_username(conn, username)
    if member is None:
        raise NotFound("No such member")
    return member


async def list_page(
    services: Services, viewer: Viewer, *, after: str | None, limit: int
) -> Page[Member]:
    """Every member, by username: the admin page's roster."""
    access.require_admin(viewer)
    async with services.db.read() as conn:
        found = await member_store.list_page(conn, after=after, limit=limit + 1)
    return Page.of(found, limit, lambda item: item.username)
