"""Every connection of ours carries PostgreSQL's idle-in-transaction limit, so a host cut
off mid-transaction cannot hold row locks for long (tests/chaos/cluster/test_stall.py
performs the partition itself)."""

from __future__ import annotations

import time

import pytest
from psycopg import errors
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shunfuri.db.session import make_engine, session_factory
from tests import loops


def test_the_limit_is_set_on_the_sync_and_async_engines(db: None, database_url: str) -> None:
    with session_factory()() as session:
        assert session.execute(text("SHOW idle_in_transaction_session_timeout")).scalar() == "10s"

    from shunfuri.db.async_sessions import AsyncSessions

    async def shown() -> str:
        sessions = AsyncSessions(database_url, pool_size=1)
        try:
            return await sessions.run(
                lambda s: s.execute(text("SHOW idle_in_transaction_session_timeout")).scalar())
        finally:
            await sessions.dispose()

    assert loops.run(shown()) == "10s"


def test_a_session_left_idle_in_a_transaction_is_ended_and_its_locks_freed(
    db: None, database_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shunfuri.settings import get_settings

    monkeypatch.setenv("SHUNFURI_DB_IDLE_IN_TRANSACTION_TIMEOUT", "1")
    get_settings.cache_clear()
    silent, other = make_engine(database_url, pool_size=1), make_engine(database_url, pool_size=1)
    try:
        with silent.connect() as held:
            held.execute(text("SELECT pg_advisory_xact_lock(4242)"))  # a lock, then silence
            deadline = time.monotonic() + 30
            while True:  # the other connection gets the lock once the server ends `held`
                with other.connect() as conn:
                    if conn.execute(text("SELECT pg_try_advisory_lock(4242)")).scalar():
                        conn.execute(text("SELECT pg_advisory_unlock(4242)"))
                        break
                assert time.monotonic() < deadline, "the silent session kept its lock"
                time.sleep(0.2)
            with pytest.raises(DBAPIError) as ended:
                held.execute(text("SELECT 1"))
            assert isinstance(ended.value.orig, errors.IdleInTransactionSessionTimeout)
    finally:
        silent.dispose()
        other.dispose()
        get_settings.cache_clear()
