"""The load run's own PostgreSQL database and Redis db, and PostgreSQL's counters for it."""

from __future__ import annotations

from contextlib import suppress

from sqlalchemy.engine import make_url


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL (`postgresql+psycopg://`) as libpq and pgbench take it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_database(server_url: str, name: str) -> str:
    """A fresh database `name` on the server of `server_url`; returns its URL."""
    import psycopg

    with psycopg.connect(libpq_url(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    import psycopg

    name = make_url(url).database
    admin = make_url(url).set(database="postgres").render_as_string(hide_password=False)
    with suppress(Exception), psycopg.connect(libpq_url(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url, socket_connect_timeout=3).flushdb()


def pg_counters(url: str | None) -> dict | None:
    """The load database's commits and sessions so far (pg_stat_database), or None."""
    if not url:
        return None
    import psycopg

    with suppress(Exception), psycopg.connect(libpq_url(url), autocommit=True) as conn:
        row = conn.execute(
            "SELECT xact_commit, xact_rollback, sessions FROM pg_stat_database WHERE datname = %s",
            (make_url(url).database,),
        ).fetchone()
        return {"commits": row[0], "rollbacks": row[1], "sessions": row[2]}
    return None


def pg_per_transfer(before: dict | None, after: dict | None, transfers: int) -> dict | None:
    if not before or not after or not transfers:
        return None
    diff = {k: after[k] - before[k] for k in before}
    return {
        **diff,
        "commits_per_transfer": round(diff["commits"] / transfers, 2),
        "sessions_per_transfer": round(diff["sessions"] / transfers, 3),
    }


def decision_ms(url: str | None, ids: list[str], speed: float) -> list[float]:
    """For each of `ids` decided on the bureau's answer: received -> decision as the
    system stamped them (`bureau_answered_at - applied_at`: the decision is recorded with
    the answer, in one transaction), in real milliseconds. Empty without a database."""
    if not url or not ids:
        return []
    import psycopg

    with suppress(Exception), psycopg.connect(libpq_url(url), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT EXTRACT(EPOCH FROM bureau_answered_at - applied_at) * 1000 "
            "FROM applications WHERE id = ANY(%s) AND bureau_answered_at IS NOT NULL",
            (ids,),
        ).fetchall()
        return [float(r[0]) / speed for r in rows]
    return []
