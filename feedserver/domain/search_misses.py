"""Searches and "who knows" look-ups that found nothing, counted in memory and written in
batches (store/search_misses.py). Terms are normalized; who searched is kept only as a bit
in a per-week sketch under a salt that is dropped when the week closes, and a term is shown
only when at least `insights_min_searchers` distinct members searched it (k-anonymity)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from feedserver.domain.insight_buckets import day_of, week_of
from feedserver.store import search_misses as store
from feedserver.store.engine import Engine

if TYPE_CHECKING:
    from feedserver.domain.services import Services

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 6
MAX_CHARS = 64
log = logging.getLogger(__name__)
FLUSH_AT = 200  # distinct (week, term, kind) entries waiting before a write
MAX_PENDING = 20 * FLUSH_AT


def normalize(text: str) -> str:
    """Case, width and accents folded, words in their order, punctuation gone: 'Payroll  Q3?'
    and 'payroll q3' are one term."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(_WORD.findall(plain)[:MAX_WORDS])[:MAX_CHARS].strip()


@dataclass
class SearchMisses:
    """The batch waiting to be written: (week, term, kind) -> [searches, member ids]."""

    pending: dict[tuple[str, str, str], tuple[int, set[str]]] = field(default_factory=dict)
    open_week: str | None = None  # the week this process last closed the ones before

    def due(self, today: str) -> bool:
        """Something to write, or a week to close."""
        return bool(self.pending) or week_of(today) != self.open_week

    def record(self, when_day: str, text: str, kind: str, member_id: str) -> bool:
        """Count one search that found nothing; True when the batch is due for a flush."""
        term = normalize(text)
        if not term:
            return False
        key = (week_of(when_day), term, kind)
        if key not in self.pending and len(self.pending) >= MAX_PENDING:
            return True  # writes keep failing: memory stays bounded, new terms wait outside
        searches, members = self.pending.get(key, (0, set()))
        members.add(member_id)
        self.pending[key] = (searches + 1, members)
        return len(self.pending) >= FLUSH_AT

    async def flush(self, db: Engine, today: str) -> None:
        """Write the batch in one transaction and close the weeks before this one."""
        batch, self.pending = self.pending, {}
        try:
            await self._write(db, batch, week_of(today))
        except BaseException:
            for key, (searches, members) in batch.items():  # kept for the next turn
                more, others = self.pending.get(key, (0, set()))
                self.pending[key] = (searches + more, members | others)
            raise

    async def _write(
        self, db: Engine, batch: dict[tuple[str, str, str], tuple[int, set[str]]],
        this_week: str,
    ) -> None:  # fmt: skip
        async with db.write() as conn:
            salts: dict[str, bytes] = {}
            for (week, term, kind), (searches, members) in sorted(batch.items()):
                if week not in salts:
                    salts[week] = await store.week_salt(conn, week, secrets.token_bytes(32))
                bits = 0
                for member_id in members:
                    digest = hmac.new(salts[week], member_id.encode(), hashlib.sha256).digest()
                    bits |= 1 << (int.from_bytes(digest[:4], "big") % store.SKETCH_BITS)
                await store.add(conn, week, term, kind, searches, bits)
            await store.close_before(conn, this_week)
        self.open_week = this_week


async def note(services: Services, member_id: str | None, text: str, kind: str) -> None:
    """Called where a search's result is known to be empty."""
    if member_id is None:
        return
    today = day_of(services.clock())
    if services.search_misses.record(today, text, kind, member_id):
        try:
            await services.search_misses.flush(services.db, today)
        except Exception as exc:  # the search answers anyway; the batch waits
            log.warning("insights: searches that found nothing not written: %s", exc)
