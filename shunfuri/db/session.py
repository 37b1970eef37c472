"""Engine and sessions (PostgreSQL: a deployment's, or the data folder's private one)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from shunfuri.db.server_closed import replace_server_closed_connections


def normalise_url(url: str) -> str:
    """Accept the plain `postgresql://` form and use psycopg 3 for it."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def server_options(options: str | None = None) -> str:
    """libpq `options` for every connection of ours: `options` (`-c name=value ...`) and
    the idle-in-transaction limit.

    Why the limit: a host cut off from PostgreSQL in the middle of a transaction (a
    partition, not a crash: no FIN reaches the server) leaves its session idle in
    transaction with its row locks held until TCP gives up, two hours by default, and every
    claim and accept for those members waits behind it. With the limit the server ends
    such a session and releases its locks; nothing of ours keeps a transaction open
    across a wait (bank calls, long-polls and argon2 happen outside, or take far less).
    Found by the nemesis (seed 11); `tests/chaos/cluster/test_stall.py` performs it."""
    from shunfuri.settings import get_settings

    limit_ms = int(get_settings().db_idle_in_transaction_seconds * 1000)
    guard = f"-c idle_in_transaction_session_timeout={limit_ms}"
    return f"{options} {guard}" if options else guard


def make_engine(url: str, *, pool_size: int = 10, options: str | None = None) -> Engine:
    """`options`: server settings for every connection (libpq `options`, `-c name=value`),
    beside the idle-in-transaction limit (`server_options`).

    `hide_parameters`: a database error's message (which the API's error handler logs)
    names the statement but never the values bound to it - an applicant's personal data
    among them."""
    engine = create_engine(normalise_url(url), **pool_options(pool_size),
                           connect_args={"options": server_options(options)},
                           hide_parameters=True)
    replace_server_closed_connections(engine)
    return engine


def pool_options(pool_size: int) -> dict:
    """No overflow: an overflow connection is closed when it is returned, so a burst
    turns into a stream of new PostgreSQL connections (a fork each), which slows every
    request and so prolongs the burst. A request waits for a pooled connection instead.
    No pre-ping either: it costs a round trip per checkout; `server_closed` finds the
    connections a database restart has ended without one."""
    return {"pool_size": pool_size, "max_overflow": 0, "pool_timeout": 10, "pool_recycle": 1800}


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    from shunfuri.settings import get_settings

    return make_engine(url, pool_size=get_settings().db_pool_size)


def get_engine() -> Engine:
    from shunfuri.settings import get_settings

    return engine_for(get_settings().resolved_database_url)


@lru_cache(maxsize=4)
def _factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(bind=engine_for(url), expire_on_commit=False)


def session_factory() -> sessionmaker[Session]:
    from shunfuri.settings import get_settings

    return _factory(get_settings().resolved_database_url)


def request_session() -> Iterator[Session]:
    """One session for one HTTP request (the FastAPI dependency of the API's routes and of
    the pages): closed, so rolled back if nothing committed, when the request ends."""
    with session_factory()() as session:
        yield session


def autocommit(session: Session) -> None:
    """Run this session's statements without BEGIN/COMMIT round trips: for a single
    statement that is atomic by itself, or reads that need no snapshot."""
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


@contextmanager
def transaction() -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    with session_factory().begin() as session:
        yield session
