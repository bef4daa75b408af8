"""`@username` mentions in a post's text, and `@username@host` for members of other servers.

A local mention notifies; in a copy of a partner's group, where a bare `@name` is a member
of the group's host, only `@name@our-host` names one of ours (`usernames_at`). A mention
inside code (`...` or a fenced block) is not one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

MAX_MENTIONS = 20  # a post naming the whole company notifies the first twenty

_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)
# Not after a word character or another @ (an email address, a doubled @@), and a host that
# is a dotted name (optionally with a port).
_MENTION = re.compile(
    r"(?<![\w@/])@([a-z0-9][a-z0-9_-]{0,31})"
    r"(?:@([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+"
    r"(?::\d{1,5})?))?(?![\w@-])",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Mention:
    username: str
    host: str | None  # None: a member of this server


def parse(text: str, wanted: Callable[[Mention], bool] = lambda m: True) -> list[Mention]:
    """The distinct `wanted` mentions in `text`, in order, lower-cased, at most MAX_MENTIONS
    (those not wanted do not count toward it)."""
    found: list[Mention] = []
    for match in _MENTION.finditer(_CODE.sub(" ", text)):
        host = match.group(2)
        mention = Mention(match.group(1).lower(), host.lower() if host else None)
        if wanted(mention) and mention not in found:
            found.append(mention)
        if len(found) == MAX_MENTIONS:
            break
    return found


def local_usernames(text: str, own_host: str | None) -> list[str]:
    """Usernames of this server's members mentioned (`@name`, or `@name@our-host`)."""
    return [m.username for m in parse(text) if m.host is None or m.host == own_host]


def usernames_at(text: str, host: str | None) -> list[str]:
    """Usernames mentioned as `@name@host` only: in a post of a partner's group a bare
    `@name` is a member of the group's host, not one of ours."""
    if host is None:
        return []
    return [m.username for m in parse(text, lambda m: m.host == host)]
