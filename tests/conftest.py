"""Shared fixtures: the real PostgreSQL and Redis (tests/services.py says which), a
database and a Redis db of this run's own.

Unit tests (tests/unit) need none of this; everything else gets a migrated database
that is emptied between tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.services import (
    Choice,
    check_database,
    check_redis,
    create_migrated_database,
    drop_database,
    drop_template,
    redis_db,
    stop_servers,
)


def pytest_report_header(config: pytest.Config) -> list[str]:
    chaos = Path(__file__).with_name("chaos")
    paths = [Path(arg.split("::")[0]).resolve() for arg in config.args]
    if paths and all(path == chaos or chaos in path.parents for path in paths):
        return ["chaos: a private PostgreSQL and redis-server of its own (shunfuri.embedded), "
                "which it stops and restarts"]
    return Choice.make().lines()


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under `make test` (pytest-xdist) a worker takes a whole module at a time, so a
    module's fixtures (its running system, its bank process) are never set up twice; and
    the whole of tests/browser, whose tests share one running system (its conftest)."""
    from xdist.scheduler import LoadScopeScheduling

    class ByModule(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.startswith("tests/browser/"):
                return "tests/browser"
            return super()._split_scope(nodeid)

    return ByModule(config, log)


def pytest_unconfigure(config: pytest.Config) -> None:
    drop_template()  # the migrated database every test database is copied from
    stop_servers()  # the private ones, if this run started any


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    problem = check_database()
    if problem:
        pytest.fail(f"{problem} - run `python -m tests.preflight` for how to start it", False)
    url = create_migrated_database()
    yield url
    from shunfuri.db.session import engine_for

    engine_for.cache_clear()
    drop_database(url)


@pytest.fixture(scope="session")
def broker_url() -> Iterator[str]:
    problem = check_redis()
    if problem:
        pytest.fail(f"{problem} - run `python -m tests.preflight` for how to start it", False)
    with redis_db() as url:
        yield url


RATE_LIMITS = ("SHUNFURI_LOGIN_RATE_LIMIT", "SHUNFURI_ELIGIBILITY_RATE_LIMIT",
               "SHUNFURI_APPLICATION_RATE_LIMIT", "SHUNFURI_APPLY_PAGES_RATE_LIMIT")
# No worker drains these tests' transfers, so their instant queue only grows: admission
# control would refuse every transfer 2 s into a test. A test of it sets its own.
ADMISSION = "SHUNFURI_ADMISSION_MAX_WAIT"
# Each test's in-process app would open ten connections before its first request (a
# PostgreSQL backend each, 0.1 s a test): the tests' apps open them as they need them.
WARM = "SHUNFURI_DB_WARM_CONNECTIONS"


@pytest.fixture(scope="session")
def configured(database_url: str, broker_url: str) -> Iterator[None]:
    """Point the settings (and so every service) at the test database and broker."""
    from shunfuri.settings import get_settings

    saved = {k: os.environ.get(k) for k in ("DATABASE_URL", "BROKER_URL", ADMISSION, WARM,
                                            *RATE_LIMITS)}
    os.environ["DATABASE_URL"] = database_url
    os.environ["BROKER_URL"] = broker_url
    for limit in RATE_LIMITS:  # a test of a limit sets its own
        os.environ[limit] = "0"
    os.environ[ADMISSION] = "0"
    os.environ[WARM] = "0"
    get_settings.cache_clear()
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()


@pytest.fixture()
def db(configured: None, database_url: str) -> Iterator[None]:
    """An empty database (all rows removed after the test) and a flushed Redis db."""
    yield

    from shunfuri.broker import get_redis
    from shunfuri.db.models import Base
    from shunfuri.db.session import engine_for

    tables = [t.name for t in Base.metadata.sorted_tables]
    with engine_for(database_url).begin() as conn:
        empty_written_tables(conn, tables)
    # Ids restart with the tables; the process-wide payee cache must forget them too.
    from shunfuri.services.transfers.payee_cache import forget_payees

    forget_payees()
    from shunfuri.services.transfers.admission import GATE

    GATE.forget()
    get_redis().flushdb()


# The sequences of our tables that have handed out a value (a rolled-back insert moves one
# in a table it leaves empty).
_USED_SEQUENCES = """
SELECT format('%I.%I', ps.schemaname, ps.sequencename), ps.start_value
  FROM pg_sequences ps
  JOIN pg_namespace n ON n.nspname = ps.schemaname
  JOIN pg_class s ON s.relname = ps.sequencename AND s.relnamespace = n.oid
  JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')
  JOIN pg_class t ON t.oid = d.refobjid
 WHERE ps.last_value IS NOT NULL AND t.relname = ANY(CAST(:tables AS text[]))
"""


def empty_written_tables(conn: Any, tables: list[str]) -> None:
    """The effect of `TRUNCATE <all> RESTART IDENTITY`, for less: TRUNCATE makes new files
    for every table it names, while a test writes to a few. Only the tables with rows are
    truncated (with those that reference them: `members` pulls in most), and only the used
    sequences restarted: 27 ms against 33 after a test that made a member, 4 ms after one
    that made no row. (Not DELETE: a new row may then fill a dead one's place, and rows
    with equal sort keys come back in another order.)"""
    from sqlalchemy import text

    probe = " UNION ALL ".join(f"SELECT '{name}' WHERE EXISTS (SELECT FROM \"{name}\")"
                               for name in tables)
    written = [row[0] for row in conn.execute(text(probe))]
    if written:
        names = ", ".join(f'"{name}"' for name in written)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    for sequence, start in conn.execute(text(_USED_SEQUENCES), {"tables": tables}).all():
        conn.execute(text("SELECT setval(:s, :v, false)"), {"s": sequence, "v": start})


@pytest.fixture()
def client(db: None):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from api.app import create_app

    with TestClient(create_app(), raise_server_exceptions=False) as test_client:
        yield test_client


ADMIN_KEY_HEADER = "X-Admin-Key"


@pytest.fixture()
def admin_headers(configured: None) -> dict[str, str]:
    from shunfuri.settings import get_settings

    return {ADMIN_KEY_HEADER: get_settings().admin_key.get_secret_value()}


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--profile short|full` for the chaos suite (tests/chaos); registered here because
    pytest only accepts options from a conftest it loads at start-up."""
    parser.addoption(
        "--profile", action="store", default="full", choices=("short", "full"),
        help="chaos suite profile: short (bounded, for CI) or full (longer faults and load)",
    )
