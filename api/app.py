"""The FastAPI application: routers, problem details, body limit, trusted hosts, metrics,
the API docs (outside production)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

import web
from api import access_log, docs, problems
from api.body_size import BodySizeLimit
from api.hosts import TrustedHosts
from api.routes import (
    admin,
    admin_repayments,
    admin_transfers,
    applications,
    auth,
    availability,
    health,
    mail,
    me,
    payees,
    repayments,
    transfers,
)
from api.waiter import TransferWaiter
from shunfuri import __version__, broker
from shunfuri.db.async_sessions import AsyncSessions
from shunfuri.settings import get_settings


def create_app() -> FastAPI:
    settings = get_settings()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    access_log.install()
    app = FastAPI(
        lifespan=lifespan,
        title="Shunfuri",
        version=__version__,
        description="Cash advances wired to a member's bank account: accepted at once, "
        "settled in seconds where the bank allows, else at 09:30 JST on the next bank "
        "business day. Errors are RFC 9457 problem details with a stable `code`.",
        responses=problems.RESPONSES,
        # FastAPI's own pages load scripts from a CDN: `api.docs` serves /docs instead.
        docs_url=None,
        redoc_url=None,
    )
    problems.install(app, pages=web.errors.page_for)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    hosts = settings.trusted_hosts
    if hosts is not None:
        app.add_middleware(TrustedHosts, allowed_hosts=hosts)  # outermost: before any work
    # The transfer routes first: every request is matched against the routes in order,
    # and they carry nearly all of the traffic.
    for module in (transfers, health, availability, auth, me, mail, payees, repayments,
                   applications, admin, admin_transfers, admin_repayments):
        app.include_router(module.router)
    if settings.api_docs:
        docs.mount(app)
    # The member site's pages, after the API (its routes are matched last).
    web.mount(app, waiter=lambda: app.state.waiter)
    return app


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """What the process's event loop owns, made here on that loop and kept on `app.state`
    (async connections belong to the loop that opened them): `db` (the async engine the
    hot endpoints run their session code through), `redis` (the drain wake-ups) and
    `waiter` (the one transfer-event subscription behind every long-poll)."""
    import gc
    import os
    import sys

    import anyio.to_thread

    # Database work runs in threads while the event loop serves the long-polls. With
    # CPython's default 5 ms GIL switch interval, a thread back from a query waits up to
    # 5 ms for the GIL on every round trip, and a request makes several: a short
    # interval and a small pool of threads keep those waits from adding up.
    sys.setswitchinterval(float(os.environ.get("SHUNFURI_SWITCH_INTERVAL", "0.0005")))
    # Everything imported so far lives for the whole process: freeze it out of the
    # cyclic collector, whose full passes over it stalled the event loop for tens of ms.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
    anyio.to_thread.current_default_thread_limiter().total_tokens = int(
        os.environ.get("SHUNFURI_API_THREADS", "8")
    )
    settings = get_settings()
    app.state.db = AsyncSessions(settings.resolved_database_url,
                                 pool_size=2 * settings.db_pool_size)
    app.state.redis = broker.async_client(settings.resolved_broker_url)
    app.state.waiter = TransferWaiter(settings.resolved_broker_url)
    await app.state.db.warm(min(settings.db_warm_connections, 2 * settings.db_pool_size))
    await _warm_producer()
    try:
        yield
    finally:
        await app.state.waiter.close()
        await app.state.redis.aclose()
        await app.state.db.dispose()


async def _warm_producer() -> None:
    from starlette.concurrency import run_in_threadpool

    from shunfuri.broker import warm_producer

    try:
        await run_in_threadpool(warm_producer)
    except Exception as exc:  # noqa: BLE001 - Redis may come later; /readyz says so
        logging.getLogger("shunfuri.api").warning("broker not reachable at start-up: %s", exc)
