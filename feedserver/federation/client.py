"""Outgoing server-to-server requests: partner hosts only, every request signed (RFC 9421),
no redirect to another host, bounded in size and time."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from secrets import token_urlsafe
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp

from feedserver import strictjson
from feedserver.federation.digest import make_content_digest
from feedserver.federation.errors import PartnerUnreachable
from feedserver.federation.httpsig import GET_COMPONENTS, POST_COMPONENTS, sign_request
from feedserver.federation.server_keys import ServerKeys

ACTIVITY_JSON = "application/activity+json"
MAX_REDIRECTS = 3


# An http(s) URL whose authority is plain ASCII: what partners' ids and actors look like.
# For these, the authority is the text up to the first "/", "?" or "#", exactly as urlsplit
# finds it (a test compares the two); anything else (brackets, whitespace, controls,
# non-ASCII, other schemes) takes urlsplit, with its cleaning and its errors.
_PLAIN_AUTHORITY = re.compile(r"https?://([A-Za-z0-9\-._~%!$&'()*+,;=:@]*)(?:[/?#]|\Z)")


def host_of(url: str) -> str:
    """The authority a partner is known by: host[:port], lowercased, without credentials;
    "" for a URL that has none or that parsers disagree on, so it matches no partner."""
    # The inbox asks this five times a delivery, mostly of URLs urlsplit has not cached.
    plain = _PLAIN_AUTHORITY.match(url)
    if plain:
        return plain.group(1).rpartition("@")[2].lower()
    # Browsers read "\\" as "/" (WHATWG URL) where urlsplit does not: "http://a\\@b/" is a's
    # link and b's host for urlsplit. Such an id names no partner.
    if "\\" in url:
        return ""
    try:
        netloc = urlsplit(url).netloc
    except ValueError:  # "http://[" and other hostile ids from partners
        return ""
    return netloc.rpartition("@")[2].lower()


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        """The answer as a JSON object; PartnerUnreachable if it is anything else."""
        try:
            doc = strictjson.loads(self.body)
        except strictjson.JsonRejected:
            raise PartnerUnreachable("the partner's answer is not JSON") from None
        if not isinstance(doc, dict):
            raise PartnerUnreachable("the partner's answer is not a JSON object")
        return doc


class NotAllowed(PartnerUnreachable):
    title = "Refusing to contact a server that is not a partner"


class OutgoingClient:
    def __init__(self, keys: ServerKeys, timeout: float, max_bytes: int) -> None:
        self.keys = keys
        self.max_bytes = max_bytes
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        # No cookie jar, no proxies from the environment: partners are addressed directly.
        self._session = aiohttp.ClientSession(
            timeout=self._timeout, cookie_jar=aiohttp.DummyCookieJar(), trust_env=False
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def signed_headers(
        self,
        method: str,
        url: str,
        body: bytes | None,
        key_name: str | None = None,
        content_type: str = ACTIVITY_JSON,
    ) -> dict[str, str]:
        """Headers of a server-to-server request: Content-Digest and RFC 9421 signature."""
        headers = {"Accept": ACTIVITY_JSON}
        if body is not None:
            headers["Content-Type"] = content_type
            headers["Content-Digest"] = make_content_digest(body)
        key_id, key = self.keys.private(key_name)
        components = POST_COMPONENTS if body is not None else GET_COMPONENTS
        # A nonce keeps two sends of the same body within one second distinct (Ed25519 is
        # deterministic), so a resend is never mistaken for a replay.
        headers.update(
            sign_request(method, url, headers, key, key_id, components, nonce=token_urlsafe(12))
        )
        return headers

    async def request(
        self,
        method: str,
        url: str,
        allowed_hosts: Iterable[str],
        body: bytes | None = None,
        key_name: str | None = None,
        content_type: str = ACTIVITY_JSON,
    ) -> Reply:
        """Send one signed request; follow same-host redirects of a GET only."""
        assert self._session is not None, "client is not open"
        allowed = {h.lower() for h in allowed_hosts}
        for _ in range(MAX_REDIRECTS + 1):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or host_of(url) not in allowed:
                raise NotAllowed(f"{host_of(url) or url!r} is not a partner host")
            headers = self.signed_headers(method, url, body, key_name, content_type)
            try:
                async with self._session.request(
                    method, url, data=body, headers=headers, allow_redirects=False
                ) as resp:
                    if resp.status in (301, 302, 303, 307, 308) and method == "GET":
                        url = urljoin(url, resp.headers.get("Location", ""))
                        continue
                    chunks, total = [], 0
                    async for chunk in resp.content.iter_chunked(65536):
                        total += len(chunk)
                        if total > self.max_bytes:
                            raise PartnerUnreachable(f"{host_of(url)} answered too much")
                        chunks.append(chunk)
                    return Reply(resp.status, dict(resp.headers), b"".join(chunks))
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise PartnerUnreachable(f"{host_of(url)}: {type(exc).__name__} {exc}") from exc
        raise PartnerUnreachable("too many redirects")
