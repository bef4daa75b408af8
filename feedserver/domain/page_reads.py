"""FAQ page reads, counted in memory and written in batches (store/insight_pages.py), so
reading a page costs no write transaction. A member counts once per page per day: the
process remembers which (page, member) pairs it counted today as bare hashes, forgets them
when the day changes, and nothing that says who read is ever written.

Per process: with several workers, or across a restart, a member who reads a page again the
same day may be counted once more (readers errs high by at most the number of processes)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from feedserver.domain.insight_buckets import day_of
from feedserver.models import FaqPage, Viewer
from feedserver.store import insight_pages as store
from feedserver.store.engine import Engine

if TYPE_CHECKING:
    from feedserver.domain.services import Services

log = logging.getLogger(__name__)
FLUSH_AT = 200  # (page, day) entries waiting before a write
MAX_PENDING = 20 * FLUSH_AT
MAX_SEEN = 200_000  # (page, member) pairs remembered per day: ~10 MB at most


@dataclass
class PageReads:
    """The batch waiting to be written: (page id, day) -> [group id, readers, views]."""

    pending: dict[tuple[str, str], tuple[str, int, int]] = field(default_factory=dict)
    seen_day: str = ""
    seen: set[int] = field(default_factory=set)  # hash((page id, member id)), this day only

    def due(self) -> bool:
        return bool(self.pending)

    def record(self, day: str, page_id: str, group_id: str, member_id: str) -> bool:
        """Count one read; True when the batch is due for a flush."""
        if day != self.seen_day:
            self.seen_day, self.seen = day, set()
        key = (page_id, day)
        if key not in self.pending and len(self.pending) >= MAX_PENDING:
            return True  # writes keep failing: memory stays bounded, new pages wait outside
        pair = hash((page_id, member_id))
        new_reader = pair not in self.seen and len(self.seen) < MAX_SEEN
        if new_reader:
            self.seen.add(pair)
        _, readers, views = self.pending.get(key, (group_id, 0, 0))
        self.pending[key] = (group_id, readers + new_reader, views + 1)
        return len(self.pending) >= FLUSH_AT

    async def flush(self, db: Engine) -> None:
        """Write the batch in one transaction; kept for the next turn if that fails."""
        batch, self.pending = self.pending, {}
        try:
            async with db.write() as conn:
                await store.add_reads(conn, [
                    (page_id, day, group_id, readers, views)
                    for (page_id, day), (group_id, readers, views) in sorted(batch.items())
                ])  # fmt: skip
        except BaseException:
            for key, (group_id, readers, views) in batch.items():
                _, more_readers, more_views = self.pending.get(key, (group_id, 0, 0))
                self.pending[key] = (group_id, readers + more_readers, views + more_views)
            raise


async def note(services: Services, viewer: Viewer, page: FaqPage) -> None:
    """Called once a member was shown a page they may read (access checked by the caller)."""
    if viewer.member is None:
        return
    day = day_of(services.clock())
    if services.page_reads.record(day, page.id, page.group_id, viewer.member.id):
        try:
            await services.page_reads.flush(services.db)
        except Exception as exc:  # the page is shown anyway; the batch waits
            log.warning("insights: page reads not written: %s", exc)
