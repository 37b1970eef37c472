"""Sync session code run on the event loop: SQLAlchemy's asyncio bridge, one per process.

`AsyncSessions.run(fn, *args)` runs `fn(session, *args)` through `AsyncSession.run_sync`:
the same sync service code, driven by psycopg's async connection on the event loop
thread via a greenlet. That removes the thread-pool hop and, with it, the GIL hand-offs
between threads that otherwise add milliseconds to every query under load.

Async connections belong to the event loop that opened them, so the API makes one
`AsyncSessions` in its lifespan (on the loop that serves) and keeps it on `app.state`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from shunfuri.db.server_closed import replace_server_closed_connections
from shunfuri.db.session import normalise_url, pool_options, server_options

T = TypeVar("T")


class AsyncSessions:
    """The async engine of one event loop and the sessions run through it."""

    def __init__(self, url: str, *, pool_size: int = 20) -> None:
        self.engine = create_async_engine(normalise_url(url), **pool_options(pool_size),
                                          connect_args={"options": server_options()},
                                          hide_parameters=True)
        replace_server_closed_connections(self.engine.sync_engine)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(session, *args)` with a fresh session, closed afterwards."""
        async with AsyncSession(self.engine, expire_on_commit=False) as session:
            return await session.run_sync(fn, *args)

    async def warm(self, connections: int = 10) -> None:
        """Open pooled connections before the first request: opening 20 at once under the
        first burst of traffic (a PostgreSQL fork each) stalled the first second of load."""
        held = []
        try:
            for _ in range(connections):
                held.append(await self.engine.connect())
        except Exception as exc:  # noqa: BLE001 - the database may not be up yet
            logging.getLogger("shunfuri.db").info("pool warm-up skipped: %s", type(exc).__name__)
        finally:
            for connection in held:
                await connection.close()

    async def dispose(self) -> None:
        await self.engine.dispose()
