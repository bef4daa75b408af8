"""Secrets and personal words that travel in URLs, kept out of every log line.

A feed URL carries its reader's token (`/feeds/home.atom?token=...`) and an invitation link
its secret (`/join/{secret}`); either in a log file would let whoever reads the log read a
member's private feeds or join as them. A search's words (`q=`) are what a member looked for,
which the insights show only as counts over several members, and an address being confirmed
(`email=`) is personal. A logged path keeps its shape with these replaced (the access line in
http/observe.py, the problem middleware's, the server's own).
"""

from __future__ import annotations

import re

REDACTED = "[redacted]"

# Any query parameter whose name ends in "token" (token=, access_token=...), `q` or `email`,
# and the segment after /join/.
_QUERY_TOKEN = re.compile(r"([?&;](?:[^=&;#\s]*token|q|email)=)[^&;#\s]*", re.IGNORECASE)
_JOIN_SECRET = re.compile(r"(/join/)[^/?#\s]+")


def redact(text: str) -> str:
    return _JOIN_SECRET.sub(rf"\g<1>{REDACTED}", _QUERY_TOKEN.sub(rf"\g<1>{REDACTED}", text))
