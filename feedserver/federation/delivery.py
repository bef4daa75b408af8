"""The durable delivery queue's worker and the one way to queue an activity for partners.

One row per receiving server. Failures back off exponentially with jitter (at least as long
as the partner's Retry-After); a 4xx other than 408/429 is final; after
`delivery_give_up_hours` a delivery fails for good and stays visible to admins. A host that
keeps failing is paused, and everything queued for it becomes due again after a success.
Rows live in the database, so a restart loses nothing; the inbox's idempotency makes the
rare resend after a crash harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Iterable
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from feedserver.domain.ids import new_id
from feedserver.domain.services import Services
from feedserver.federation.context import Federation
from feedserver.federation.errors import PartnerUnreachable
from feedserver.federation.freshness import replayable_since
from feedserver.models import Delivery, Page, Partner
from feedserver.store import federation as fed_store
from feedserver.store import federation_queue as queue_store
from feedserver.store.db import Connection

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
BATCH = 50
CONCURRENCY = 8


async def enqueue(
    conn: Connection,
    activity: dict[str, Any],
    partners: Iterable[Partner],
    now: datetime,
    key_name: str | None = None,
) -> int:
    """Queue `activity` for each partner inside the caller's transaction; returns the count."""
    body = json.dumps(activity, ensure_ascii=False, separators=(",", ":"))
    count = 0
    for partner in partners:
        await queue_store.enqueue(
            conn, id=new_id(), host=partner.host, activity_id=activity["id"], body=body,
            now=now, key_name=key_name,
        )  # fmt: skip
        count += 1
    return count


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3); None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(timedelta(0), when - now) if when.tzinfo else None


class DeliveryWorker:
    def __init__(self, fed: Federation) -> None:
        self.fed = fed
        self.config = fed.services.config
        self._event = asyncio.Event()
        self.last_claimed = 0
        fed.wake_worker.append(self._event.set)

    def backoff(self, attempts: int) -> timedelta:
        """Exponential with 'equal jitter': half fixed, half random, so retries spread out."""
        ceiling = min(
            self.config.delivery_max_backoff_seconds,
            self.config.delivery_backoff_seconds * 2 ** min(attempts, 30),
        )
        return timedelta(seconds=ceiling / 2 + random.uniform(0, ceiling / 2))

    async def run_once(self, now: datetime | None = None) -> int:
        """One pass over due deliveries; returns how many were delivered."""
        services = self.fed.services
        now = now or services.clock()
        self.last_claimed = 0
        async with services.db.write() as conn:
            due = await queue_store.claim_due(conn, now, now + LEASE, BATCH)
            hosts = {p.host: p for p in await fed_store.partners(conn)} if due else {}
        self.last_claimed = len(due)
        if not due:
            return 0
        # Hosts in parallel; each host's deliveries one by one in the order they were queued,
        # so a later Update never overtakes an earlier one.
        by_host: dict[str, list[Delivery]] = {}
        for d in sorted(due, key=lambda d: (d.created_at, d.id)):
            by_host.setdefault(d.host, []).append(d)
        limit = asyncio.Semaphore(CONCURRENCY)

        async def host_run(items: list[Delivery]) -> int:
            async with limit:
                done = 0
                for d in items:
                    done += await self._send(d, hosts.get(d.host), now)
                return done

        return sum(await asyncio.gather(*(host_run(items) for items in by_host.values())))

    async def _send(self, d: Delivery, partner: Partner | None, now: datetime) -> bool:
        services = self.fed.services
        status: int | None = None
        wait: timedelta | None = None
        if partner is None:  # removed meanwhile; its rows are gone with it
            return False
        try:
            reply = await self.fed.client.request(
                "POST", partner.inbox_url, [partner.host], d.body.encode(), d.key_name
            )
            status = reply.status
            error = f"HTTP {status}"
            wait = retry_after(reply.headers.get("Retry-After"), now)
        except PartnerUnreachable as exc:
            error = exc.detail
        async with services.db.write() as conn:
            if status is not None and 200 <= status < 300:
                await queue_store.delivered(conn, d.id)
                await fed_store.record_success(conn, d.host, now)
                await queue_store.resume_host(conn, d.host, now)
                return True
            transient = status is None or status >= 500 or status in (408, 429)
            expired = now - d.created_at >= timedelta(hours=self.config.delivery_give_up_hours)
            if transient and not expired:
                delay = max(self.backoff(d.attempts), wait or timedelta(0))
                await queue_store.retry_later(conn, d.id, now + delay, status, error)
                await fed_store.record_failure(
                    conn, d.host, error, self.config.delivery_pause_after,
                    now + self.backoff(partner.failures),
                )  # fmt: skip
            else:
                reason = (
                    f"gave up after {self.config.delivery_give_up_hours} h: {error}"
                    if expired
                    else error
                )
                await queue_store.give_up(conn, d.id, status, reason)
        log.info("delivery %s to %s failed: %s", d.id, d.host, error)
        return False

    async def prune_inbox(self, now: datetime) -> None:
        """The inbox's housekeeping, done between delivery passes: its replay cache and its
        record of applied activity ids, each kept only as long as it is needed."""
        retention = timedelta(days=self.config.inbox_activity_retention_days)
        async with self.fed.services.db.write() as conn:
            await queue_store.prune_inbox(conn, replayable_since(now), now - retention)

    async def run_forever(self) -> None:
        while True:
            try:
                await self.fed.keys.refresh(self.fed.services.db, self.fed.services.clock())
                await self.run_once()
                await self.prune_inbox(self.fed.services.clock())
            except asyncio.CancelledError:
                raise
            except Exception:  # keep the worker alive; the failure is in the log
                log.exception("delivery pass failed")
            if self.last_claimed >= BATCH:
                continue  # a full batch: more may be due right now
            self._event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event.wait(), self.config.delivery_poll_seconds)


async def deliveries(
    services: Services, *, state: str | None, cursor: str | None, limit: int
) -> Page[Delivery]:
    """Queued and failed deliveries for admins, oldest first."""
    async with services.db.read() as conn:
        items = await queue_store.listing(conn, state, cursor, limit + 1)
    return Page.of(items, limit, lambda item: item.id)
