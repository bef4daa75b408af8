"""The durable delivery queue's worker and the one way to queue an activity for partners.

One row per receiving server, sent first-in-first-out per host: a host's deliveries go in
the order they were queued, one at a time, in a run of the host's own (a slow partner holds
up nobody else's) that holds the host's lease in the database (no other run, in this
process or another, sends to it meanwhile), and a host whose oldest delivery is not due yet
gets nothing (so an Update is never overtaken by the Delete after it, and a Retry-After
pauses the whole host).
Failures back off exponentially with jitter (at least as long as the partner's Retry-After,
at most `delivery_max_backoff_seconds`); a 4xx other than 408/429 is final and the host's
later deliveries go on; a delivery whose next attempt would fall after
`delivery_give_up_hours` fails for good and stays visible to admins for
`delivery_failed_retention_days`. A host that keeps failing is paused, and everything queued
for it becomes due again after a success. Rows live in the database, so a restart loses
nothing; the inbox's idempotency makes the rare resend after a crash harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import re
from collections.abc import Coroutine, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from feedserver.domain.ids import new_id
from feedserver.domain.services import Services
from feedserver.federation import write_refusals
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
# A partner that invited us pins our keys as it answers the handshake; one we invited pins
# them once our answer reaches it, a moment after we queued its backfill (and later still if
# the answer was lost and it finishes with the same code). Until then it rightly answers
# 401/403: for a partnership this young that means "not yet", not "never".
PARTNERING_SETTLE = timedelta(minutes=10)
# A used or expired partner invite is kept this long (for an admin wondering why a code
# failed), then pruned.
SPENT_INVITE_RETENTION = timedelta(days=1)

# What one send came to for the host's run: go on with its next delivery, or stop there.
DELIVERED, FINAL, TRANSIENT = "delivered", "final", "transient"


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


# Retry-After (RFC 9110 section 10.2.3) is delay-seconds (1*DIGIT, ASCII) or an HTTP-date in
# one of the three forms of section 5.6.7, case-sensitive; anything else is ignored.
_DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_DAY_NAME = "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MONTH = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_TIME = "[0-9]{2}:[0-9]{2}:[0-9]{2}"
_DELAY_SECONDS = re.compile("[0-9]+")
_HTTP_DATE = re.compile(
    f"{_DAY}, [0-9]{{2}} {_MONTH} [0-9]{{4}} {_TIME} GMT"  # IMF-fixdate
    f"|{_DAY_NAME}, [0-9]{{2}}-{_MONTH}-[0-9]{{2}} {_TIME} GMT"  # obsolete RFC 850 form
    f"|{_DAY} {_MONTH} (?:[0-9]{{2}}| [0-9]) {_TIME} [0-9]{{4}}"  # obsolete asctime form
)
# Longer waits than this are all "very long" (the worker caps them far lower anyway); it
# keeps int() and timedelta away from hostile sizes.
_LONGEST = 10**10


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """Retry-After as seconds or an HTTP date (RFC 9110 section 10.2.3); None when absent or bad.

    Never raises, whatever the partner sent; the caller caps the wait."""
    if not value:
        return None
    value = value.strip(" \t")
    if _DELAY_SECONDS.fullmatch(value):
        return timedelta(seconds=int(value) if len(value) <= 10 else _LONGEST)
    if not _HTTP_DATE.fullmatch(value):
        return None
    try:
        when = parsedate_to_datetime(value)
        if when.tzinfo is None:  # asctime has no zone: HTTP dates are GMT
            when = when.replace(tzinfo=UTC)
        return max(timedelta(0), when - now)
    except (TypeError, ValueError, OverflowError, IndexError):  # e.g. "Mon, 31 Feb ..."
        return None


class DeliveryWorker:
    def __init__(self, fed: Federation) -> None:
        self.fed = fed
        self.config = fed.services.config
        self._event = asyncio.Event()
        # Set while run_forever waits with nothing in flight: what a caller (a test driving
        # run_once, a shutdown) waits for to know no pass of the worker's is under way.
        self.idle = asyncio.Event()
        fed.wake_worker.append(self._wake)

    def _wake(self) -> None:
        self.idle.clear()
        self._event.set()

    def backoff(self, attempts: int) -> timedelta:
        """Exponential with 'equal jitter': half fixed, half random, so retries spread out."""
        ceiling = min(
            self.config.delivery_max_backoff_seconds,
            self.config.delivery_backoff_seconds * 2 ** min(attempts, 30),
        )
        return timedelta(seconds=ceiling / 2 + random.uniform(0, ceiling / 2))

    async def run_once(self, now: datetime | None = None) -> int:
        """One pass over due deliveries, waiting for all of it; returns how many were
        delivered. (The app's worker does not wait: see run_forever.)"""
        runs = await self._claim_runs(now or self.fed.services.clock(), CONCURRENCY)
        return sum(await asyncio.gather(*runs))

    async def _claim_runs(self, now: datetime, hosts: int) -> list[Coroutine[Any, Any, int]]:
        """Lease due deliveries of up to `hosts` hosts, and those hosts; one run per host, to
        be awaited."""
        holder = new_id()
        async with self.fed.services.db.write() as conn:
            due = await queue_store.claim_due(conn, now, now + LEASE, BATCH, hosts, holder)
            partners = await fed_store.partners_by_host(conn, {d.host for d in due})
        by_host: dict[str, list[Delivery]] = {}
        for d in due:  # claim_due's order is each host's queue order
            by_host.setdefault(d.host, []).append(d)
        # A run must not outlive its lease: a later claim could then hand out the host's
        # next deliveries while an earlier one is still on the wire.
        loop = asyncio.get_running_loop()
        stop_at = loop.time() + LEASE.total_seconds() - self.config.fetch_timeout_seconds - 5
        return [
            self._host_run(items, partners.get(host), now, stop_at, holder)
            for host, items in by_host.items()
        ]

    async def _host_run(
        self, items: list[Delivery], partner: Partner | None, now: datetime, stop_at: float,
        holder: str,
    ) -> int:  # fmt: skip
        """A host's claimed deliveries one by one, stopping at the first that must wait; what
        is left, and the host, are released for a later claim. Returns how many were
        delivered. (A run cancelled midway keeps its host until the lease ends.)"""
        loop = asyncio.get_running_loop()
        done = 0
        left: Sequence[Delivery] = ()
        for i, d in enumerate(items):
            if i and loop.time() > stop_at:
                left = items[i:]
                break
            outcome = await self._attempt(d, partner, now)
            done += outcome == DELIVERED
            if outcome == TRANSIENT:
                left = items[i + 1 :]
                break
        await self._release(items[0].host, left, holder)
        return done

    async def _attempt(self, d: Delivery, partner: Partner | None, now: datetime) -> str:
        """One delivery, whatever happens: an exception is logged and counts as a transient
        failure, so it cannot end the pass (a delivery whose outcome could not be recorded
        is tried again when its lease ends)."""
        try:
            return await self._send(d, partner, now)
        except Exception:
            log.exception("delivery %s to %s failed unexpectedly", d.id, d.host)
            return TRANSIENT

    async def _release(self, host: str, items: Sequence[Delivery], holder: str) -> None:
        """The run is over: its unsent deliveries and its host are free for another claim."""
        try:
            async with self.fed.services.db.write() as conn:
                await queue_store.release(conn, [d.id for d in items])
                await queue_store.release_host(conn, host, holder)
        except Exception:  # they are claimable again when their leases end
            log.exception("releasing %s (%d deliveries unsent) failed", host, len(items))

    async def _send(self, d: Delivery, partner: Partner | None, now: datetime) -> str:
        services = self.fed.services
        config = self.config
        status: int | None = None
        wait: timedelta | None = None
        if partner is None:  # removed meanwhile; its rows are gone with it
            return FINAL
        if d.key_name is not None and all(k.name != d.key_name for k in self.fed.keys.published()):
            # Rotated out and expired since it was queued: the client signs with the current
            # key, which the partner has pinned by now if the rotation reached it.
            log.info("delivery %s: key %s has expired; signing with the current key", d.id,
                     d.key_name)  # fmt: skip
        try:
            reply = await self.fed.client.request(
                "POST", partner.inbox_url, [partner.host], d.body.encode(), d.key_name
            )
            status = reply.status
            error = f"HTTP {status}"
            wait = retry_after(reply.headers.get("Retry-After"), now)
        except PartnerUnreachable as exc:
            error = exc.detail
        except Exception as exc:  # a bug here must not jam the queue: retried, then given up
            log.exception("delivery %s to %s raised", d.id, d.host)
            error = f"{type(exc).__name__}: {exc}"
        async with services.db.write() as conn:
            if status is not None and 200 <= status < 300:
                await queue_store.delivered(conn, d.id)
                await fed_store.record_success(conn, d.host, now)
                await queue_store.resume_host(conn, d.host, now)
                return DELIVERED
            transient = (
                status is None or status >= 500 or status in (408, 429)
                or (status in (401, 403) and now - partner.created_at < PARTNERING_SETTLE)
            )  # fmt: skip
            if not transient:
                await queue_store.give_up(conn, d.id, status, error)
                await write_refusals.refused(conn, services, d.activity_id, d.body, now)
                log.info("delivery %s to %s failed for good: %s", d.id, d.host, error)
                return FINAL
            # The partner's Retry-After is honoured up to our own longest backoff.
            longest = timedelta(seconds=config.delivery_max_backoff_seconds)
            delay = max(self.backoff(d.attempts), min(wait or timedelta(0), longest))
            give_up_hours = timedelta(hours=config.delivery_give_up_hours)
            await fed_store.record_failure(
                conn, d.host, error, config.delivery_pause_after,
                now + self.backoff(partner.failures),
            )  # fmt: skip
            if now + delay <= d.created_at + give_up_hours:
                await queue_store.retry_later(conn, d.id, now + delay, status, error)
                log.info("delivery %s to %s failed: %s", d.id, d.host, error)
                return TRANSIENT
            reason = f"gave up after {config.delivery_give_up_hours} h: {error}"
            await queue_store.give_up(conn, d.id, status, reason)
            await write_refusals.refused(conn, services, d.activity_id, d.body, now)
            # Behind it, the host's deliveries already past their give-up time fail too
            # rather than each waiting (paused host) for its own turn to fail.
            overdue = await queue_store.give_up_overdue(
                conn, d.host, now - give_up_hours, f"{reason} (not sent: the host was failing)"
            )
            for activity_id, body in overdue:
                await write_refusals.refused(conn, services, activity_id, body, now)
        log.info(
            "delivery %s to %s given up (%d more overdue): %s", d.id, d.host, len(overdue), error
        )
        return TRANSIENT

    async def prune_inbox(self, now: datetime) -> None:
        """The housekeeping done between delivery passes: the inbox's replay cache and its
        record of applied activity ids, each kept only as long as it is needed; failed
        deliveries after `delivery_failed_retention_days`; invites a day after they were
        used or expired. A bounded batch of each."""
        config = self.config
        retention = timedelta(days=config.inbox_activity_retention_days)
        async with self.fed.services.db.write() as conn:
            await queue_store.prune_inbox(conn, replayable_since(now), now - retention)
            await queue_store.prune_failed(
                conn, now - timedelta(days=config.delivery_failed_retention_days)
            )
            await queue_store.prune_invites(conn, now - SPENT_INVITE_RETENTION)

    async def run_forever(self) -> None:
        """Each host's run is a task of its own, so a slow partner holds up only its own
        deliveries: whenever a run ends (or something is queued, or the poll interval
        passes) the hosts that are ready and not being sent to are claimed, up to
        CONCURRENCY runs at a time."""
        running: set[asyncio.Task[int]] = set()

        def ended(task: asyncio.Task[int]) -> None:
            running.discard(task)
            self._event.set()

        services = self.fed.services
        try:
            while True:
                self._event.clear()  # before claiming: a wake-up from here on is not lost
                try:
                    await self.fed.keys.refresh(services.db, services.clock())
                    if room := CONCURRENCY - len(running):
                        for run in await self._claim_runs(services.clock(), room):
                            task = asyncio.create_task(run, name="federation-delivery-host")
                            running.add(task)
                            task.add_done_callback(ended)
                    await self.prune_inbox(services.clock())
                except asyncio.CancelledError:
                    raise
                except Exception:  # keep the worker alive; the failure is in the log
                    log.exception("delivery pass failed")
                if not running and not self._event.is_set():
                    self.idle.set()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._event.wait(), self.config.delivery_poll_seconds)
                self.idle.clear()
        finally:  # stopping: runs cut short are claimable again when their leases end
            tasks = list(running)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


async def deliveries(
    services: Services, *, state: str | None, cursor: str | None, limit: int
) -> Page[Delivery]:
    """Queued and failed deliveries for admins, oldest first."""
    async with services.db.read() as conn:
        items = await queue_store.listing(conn, state, cursor, limit + 1)
    return Page.of(items, limit, lambda item: item.id)
