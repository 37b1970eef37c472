"""Pooled connections ended by the server are replaced at checkout, not failed on use."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
from sqlalchemy import text

from shunfuri.db.async_sessions import AsyncSessions
from shunfuri.db.session import make_engine, normalise_url


def _terminate(database_url: str, pids: list[int]) -> None:
    """End these backends as a restart would, and wait until they are gone."""
    plain = normalise_url(database_url).replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", [pids])
        deadline = time.monotonic() + 10
        while admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)",
                            [pids]).fetchone()[0]:
            assert time.monotonic() < deadline, "the backends outlived their termination"
            time.sleep(0.05)


def test_sync_pool_replaces_connections_the_server_ended(configured, database_url):
    engine = make_engine(database_url, pool_size=4)
    try:
        held = [engine.connect() for _ in range(4)]
        pids = [c.execute(text("SELECT pg_backend_pid()")).scalar() for c in held]
        for connection in held:
            connection.close()
        _terminate(database_url, pids)
        for _ in range(8):  # every pooled connection, twice over: none fails
            with engine.connect() as connection:
                assert connection.execute(text("SELECT pg_backend_pid()")).scalar() not in pids
    finally:
        engine.dispose()


def test_async_pool_replaces_connections_the_server_ended(configured, database_url):
    def backend_pid(session):  # type: ignore[no-untyped-def]
        return session.execute(text("SELECT pg_backend_pid()")).scalar()

    async def scenario() -> list[int]:
        sessions = AsyncSessions(database_url, pool_size=4)
        try:
            held = [await sessions.engine.connect() for _ in range(4)]
            pids = [(await c.execute(text("SELECT pg_backend_pid()"))).scalar() for c in held]
            for connection in held:
                await connection.close()
            await asyncio.to_thread(_terminate, database_url, pids)
            after = [await sessions.run(backend_pid) for _ in range(8)]
            assert not set(after) & set(pids)
            return after
        finally:
            await sessions.dispose()

    # Its own thread and loop: the browser tests' sync Playwright leaves a loop running.
    with ThreadPoolExecutor(1) as pool:
        assert len(pool.submit(asyncio.run, scenario()).result()) == 8
