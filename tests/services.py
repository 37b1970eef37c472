"""Where the real test services are, and a private database per test run.

Each pytest run creates its own PostgreSQL database (so parallel runs and CI never
step on each other) and drops it at the end; Redis uses a test db number that the
run flushes.
"""

from __future__ import annotations

import os
import uuid

import psycopg
import redis
from sqlalchemy.engine import make_url

TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
TEST_BROKER_URL = os.environ.get("TEST_BROKER_URL", "redis://127.0.0.1:6379/15")


def _dsn(url: str) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def check_database() -> str | None:
    try:
        with psycopg.connect(_dsn(TEST_DATABASE_URL), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001
        return f"PostgreSQL is not reachable at {TEST_DATABASE_URL}: {exc}".strip()
    return None


def check_redis() -> str | None:
    try:
        redis.Redis.from_url(TEST_BROKER_URL, socket_connect_timeout=3).ping()
    except Exception as exc:  # noqa: BLE001
        return f"Redis is not reachable at {TEST_BROKER_URL}: {exc}"
    return None


def create_database() -> str:
    """A fresh, empty database on the test server; returns its URL."""
    name = f"shunfuri_t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_dsn(TEST_DATABASE_URL), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    name = make_url(url).database
    with psycopg.connect(_dsn(TEST_DATABASE_URL), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
