"""Engine and sessions for PostgreSQL (production, tests) and SQLite (embedded default)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def normalise_url(url: str) -> str:
    """Accept the plain `postgresql://` form and use psycopg 3 for it."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _serialise_sqlite_writers(engine)
        return engine
    return create_engine(url, **pool_options(pool_size))


def pool_options(pool_size: int) -> dict:
    """No overflow: an overflow connection is closed when it is returned, so a burst
    turns into a stream of new PostgreSQL connections (a fork each), which slows every
    request and so prolongs the burst. A request waits for a pooled connection instead.
    No pre-ping either: it costs a round trip per checkout; a connection broken by a
    database restart raises a disconnect error, which invalidates the whole pool, so
    the next request gets fresh connections (the API answers 503 once)."""
    return {"pool_size": pool_size, "max_overflow": 0, "pool_timeout": 10, "pool_recycle": 1800}


def _serialise_sqlite_writers(engine: Engine) -> None:
    """SQLite has no row locks: take the write lock at BEGIN so claims cannot interleave.

    This is the SQLAlchemy-documented recipe (driver autocommit off, explicit BEGIN);
    it plays the role `FOR UPDATE SKIP LOCKED` plays on PostgreSQL.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        # An AUTOCOMMIT connection (one atomic statement, e.g. the one-statement accept)
        # must not open a transaction: nothing would ever commit it, and the row would
        # silently vanish when the connection goes back to the pool.
        if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    from shunfuri.settings import get_settings

    return engine_for(get_settings().resolved_database_url)


@lru_cache(maxsize=4)
def _factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(bind=engine_for(url), expire_on_commit=False)


def session_factory() -> sessionmaker[Session]:
    from shunfuri.settings import get_settings

    return _factory(get_settings().resolved_database_url)


@contextmanager
def transaction() -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    with session_factory().begin() as session:
        yield session
