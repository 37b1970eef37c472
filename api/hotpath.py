"""Running sync service code for the hot endpoints without a thread per request.

The service function runs through SQLAlchemy's asyncio bridge (`AsyncSession.run_sync`):
the same sync code, driven by psycopg's async connection on the event loop thread via a
greenlet. That removes the thread-pool hop and, with it, the GIL hand-offs between
threads that otherwise add milliseconds to every query under load.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from shunfuri.db.session import normalise_url, pool_options
from shunfuri.settings import get_settings

T = TypeVar("T")


@lru_cache(maxsize=8)
def _async_engine(url: str, loop: int) -> AsyncEngine:
    """One engine per event loop: async connections belong to the loop that made them
    (a server has one loop per process; a test client makes one per test)."""
    return create_async_engine(normalise_url(url), **pool_options(20))


def _engine() -> AsyncEngine:
    return _async_engine(get_settings().resolved_database_url, id(asyncio.get_running_loop()))


async def in_session(fn: Callable[..., T], *args: Any) -> T:
    """`fn(session, *args)` with a fresh session, closed afterwards."""
    async with AsyncSession(_engine(), expire_on_commit=False) as session:
        return await session.run_sync(fn, *args)


async def warm(connections: int = 10) -> None:
    """Open pooled connections before the first request: opening 20 at once under the
    first burst of traffic (a PostgreSQL fork each) stalled the first second of load."""
    engine = _engine()
    held = []
    try:
        for _ in range(connections):
            held.append(await engine.connect())
    except Exception as exc:  # noqa: BLE001 - the database may not be up yet
        logging.getLogger("shunfuri.api").info("pool warm-up skipped: %s", type(exc).__name__)
    finally:
        for connection in held:
            await connection.close()


async def dispose() -> None:
    await _engine().dispose()
