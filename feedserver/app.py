"""create_app(config): builds the aiohttp application. No I/O here; resources open and close
in cleanup_ctx, so tests and the CLI build apps the same way."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from feedserver import appkeys
from feedserver.config import Config
from feedserver.domain import expertise, insight_backfill, insight_tracking, notify
from feedserver.domain.rate_limit import TokenBucket
from feedserver.domain.services import Services
from feedserver.domain.throttle import LoginThrottle
from feedserver.federation import subscribers as federation_subscribers
from feedserver.federation.context import Federation
from feedserver.federation.delivery import DeliveryWorker
from feedserver.federation.server_keys import ServerKeys
from feedserver.feeds.cache import FeedCache
from feedserver.http import auth
from feedserver.http.body_deadline import body_deadline_middleware
from feedserver.http.feed_answers import answer_first
from feedserver.http.metrics import METRICS, Metrics
from feedserver.http.observe import observe_middleware
from feedserver.http.problems import make_problem_middleware
from feedserver.http.validation import SchemaRegistry
from feedserver.http.write_limit import WRITE_LIMIT, make_write_limit_middleware
from feedserver.mail.sender import MailSender
from feedserver.routes import setup_routes
from feedserver.store.engine import Engine, open_engine
from feedserver.store.search_process import SearchFailed
from feedserver.web import session
from feedserver.web.errors import html_errors
from feedserver.web.middleware import csrf_middleware
from feedserver.web.render import setup_templates
from feedserver.web.security import html_headers_middleware

log = logging.getLogger(__name__)


def create_app(config: Config, services: Services | None = None) -> web.Application:
    """`services` may be given by tests (e.g. with a fixed clock); otherwise built from config."""
    app = web.Application(
        client_max_size=config.max_body_bytes,
        # Outermost first: page headers wrap everything (error pages too); errors become
        # problem+json for the API and friendly pages for the web; bodies are read (in time)
        # before anything looks at them; forms' CSRF is checked inside.
        middlewares=[
            # A request id, metrics and the access line for every request (a remembered
            # feed answer, given before any of this runs, has its own: answer_first below).
            observe_middleware,
            html_headers_middleware,
            make_problem_middleware(config.max_query_chars, html_errors),
            body_deadline_middleware,
            csrf_middleware,
            # After the CSRF check (a forged form costs the member nothing), before any
            # handler: a refused write stores nothing.
            make_write_limit_middleware(auth.viewer, session.viewer),
        ],
    )
    app[appkeys.CONFIG] = config
    metrics = app[METRICS] = Metrics()
    app[appkeys.SERVICES] = services or Services(
        db=open_engine(
            config.database_url, config.db_path, readers=config.db_readers,
            synchronous=config.sqlite_synchronous, observe=metrics.observe_db_write,
            search_readers=config.search_readers, search_waiting=config.search_waiting,
            search_process=config.search_process, search_nice=config.search_nice,
        ),
        config=config,
        keys=ServerKeys(config),
    )  # fmt: skip
    app[appkeys.FEDERATION] = Federation.build(app[appkeys.SERVICES])
    federation_subscribers.subscribe(app[appkeys.FEDERATION])
    # Notifications are written with every event; mail goes out only when smtp_host is set.
    sender = app[appkeys.MAIL_SENDER] = MailSender(app[appkeys.SERVICES])
    notify.subscribe(
        app[appkeys.SERVICES].events, notify.Notifier(app[appkeys.SERVICES], sender.wake)
    )
    insight_tracking.subscribe(app[appkeys.SERVICES])
    app[appkeys.LOGIN_THROTTLE] = LoginThrottle(
        app[appkeys.SERVICES].db, config.login_max_failures, config.login_window_seconds
    )
    app[WRITE_LIMIT] = TokenBucket(config.write_burst, config.write_rate_per_minute / 60)
    app[appkeys.SCHEMAS] = SchemaRegistry()
    setup_templates(app)
    app[appkeys.FEED_CACHE] = FeedCache(config.feed_cache_bytes)
    metrics.watch_feed_cache(app[appkeys.FEED_CACHE])
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_federation)
    app.cleanup_ctx.append(_mail)
    app.cleanup_ctx.append(_expertise_calibration)
    app.cleanup_ctx.append(_insight_backfill)
    app.cleanup_ctx.append(_search_misses)
    setup_routes(app)
    # A repeated feed poll is answered before the route is resolved (http/feed_answers.py).
    answer_first(app)
    return app


async def _database(app: web.Application) -> AsyncIterator[None]:
    db = app[appkeys.SERVICES].db
    await db.open()
    # The search processes start beside the app, so its first search does not wait for them.
    starting = asyncio.create_task(_start_searches(db), name="search-process-start")
    yield
    starting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await starting
    await db.close()


async def _start_searches(db: Engine) -> None:
    if db.search_process is None:
        return
    try:
        await db.search_process.start()
    except SearchFailed as exc:  # the first search tries again (and answers 503 if it fails)
        log.warning("the search process did not start: %s", exc)


async def _federation(app: web.Application) -> AsyncIterator[None]:
    """Server key (created on first start), outgoing client and the delivery worker."""
    fed = app[appkeys.FEDERATION]
    await fed.open()
    worker = DeliveryWorker(fed)
    fed.worker = worker  # tests drive it with run_once()
    task = asyncio.create_task(worker.run_forever(), name="federation-delivery")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await fed.close()


async def _mail(app: web.Application) -> AsyncIterator[None]:
    """The mail sender, when there is an SMTP server to send through."""
    if not app[appkeys.CONFIG].smtp_host:
        yield
        return
    task = asyncio.create_task(app[appkeys.MAIL_SENDER].run_forever(), name="mail-sender")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _expertise_calibration(app: web.Application) -> AsyncIterator[None]:
    # Stored expertise values depend on the half-life and weights in config; rescale them
    # once if either changed since the last start (a no-op otherwise).
    await expertise.calibrate(app[appkeys.SERVICES])
    yield


async def _insight_backfill(app: web.Application) -> AsyncIterator[None]:
    # Once per database (recorded in insight_backfill): figures for what was written before
    # insights were tracked. A failure is retried at the next start; the server serves.
    try:
        await insight_backfill.run(app[appkeys.SERVICES])
    except Exception as exc:
        log.warning("insights: history not rebuilt yet (retried at the next start): %s", exc)
    yield


async def _search_misses(app: web.Application) -> AsyncIterator[None]:
    """Searches that found nothing and FAQ page reads are counted in memory: written every
    few seconds and once more at shutdown, so a restart loses none."""
    services = app[appkeys.SERVICES]
    interval = app[appkeys.CONFIG].insights_flush_seconds

    async def flush() -> None:
        today = services.clock().date().isoformat()
        if services.search_misses.due(today):
            await services.search_misses.flush(services.db, today)
        if services.page_reads.due():
            await services.page_reads.flush(services.db)

    async def every_interval() -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await flush()
            except Exception as exc:  # a busy or full disk: the batch waits for the next turn
                log.warning("insights: searches or page reads not written: %s", exc)

    task = asyncio.create_task(every_interval(), name="insights-search-misses")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await flush()
