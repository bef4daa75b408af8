"""Every piece of typed application state. Never string keys."""

from __future__ import annotations

from aiohttp import web

from feedserver.config import Config
from feedserver.domain.services import Services
from feedserver.domain.throttle import LoginThrottle
from feedserver.federation.context import Federation
from feedserver.feeds.cache import FeedCache
from feedserver.http.validation import SchemaRegistry
from feedserver.mail.sender import MailSender
from feedserver.models import Viewer

CONFIG = web.AppKey("config", Config)
SERVICES = web.AppKey("services", Services)
LOGIN_THROTTLE = web.AppKey("login_throttle", LoginThrottle)
SCHEMAS = web.AppKey("schemas", SchemaRegistry)
FEDERATION = web.AppKey("federation", Federation)
FEED_CACHE = web.AppKey("feed_cache", FeedCache)
MAIL_SENDER = web.AppKey("mail_sender", MailSender)

# Per-request state.
VIEWER = web.RequestKey("viewer", Viewer)
TOKEN = web.RequestKey("token", str)
# The bearer token's check: the data version read just before it, and until when it holds
# with no write in between (POSIX time). What a remembered answer is filed under.
TOKEN_READ_AT = web.RequestKey("token_read_at", int)
TOKEN_FRESH_UNTIL = web.RequestKey("token_fresh_until", float)
# Web pages: a CSRF cookie value minted for this request, set on its response.
WEB_NEW_CSRF = web.RequestKey("web_new_csrf", str)

__all__ = [
    "CONFIG",
    "FEDERATION",
    "FEED_CACHE",
    "LOGIN_THROTTLE",
    "MAIL_SENDER",
    "SCHEMAS",
    "SERVICES",
    "TOKEN",
    "TOKEN_FRESH_UNTIL",
    "TOKEN_READ_AT",
    "VIEWER",
    "Viewer",
]
