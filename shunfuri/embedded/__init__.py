"""The embedded defaults: a private PostgreSQL and a private Redis kept in a data folder.

`shunfuri up`, the commands that take `--data-dir`, the test session (when no server
answers) and the chaos suite all start their servers through the two classes here, so
there is one way to run a private database in the project.
"""

from __future__ import annotations

import atexit
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from shunfuri.embedded.postgres_server import PrivatePostgres
from shunfuri.embedded.redis_server import PrivateRedis

__all__ = ["PrivatePostgres", "PrivateRedis", "embedded_database", "local_services"]

# Names of the databases on a data folder's private PostgreSQL.
OURS = "shunfuri"
BANK = "bank_simulator"


def database_urls(data_dir: Path) -> tuple[str, str]:
    """(our database, the bank simulator's) on the private PostgreSQL of `data_dir`."""
    server = PrivatePostgres(data_dir / "postgres")
    return server.url(OURS), server.url(BANK)


def broker_url(data_dir: Path) -> str:
    return PrivateRedis(data_dir / "redis").url


@contextmanager
def local_services(
    data_dir: Path, *, database: bool = True, broker: bool = True, own: bool = False
) -> Iterator[dict[str, str]]:
    """Run the private servers of `data_dir` (those asked for) and yield the environment
    that points at them (`DATABASE_URL`, `SHUNFURI_BANK_DATABASE_URL`, `BROKER_URL`).

    On leaving, a server is stopped if it was started here, or always when `own` (for
    `shunfuri up`, which holds the folder alone and so also stops a server left behind
    by a killed run)."""
    env: dict[str, str] = {}
    with ExitStack() as stack:
        if database:
            postgres = PrivatePostgres(data_dir / "postgres")
            started = postgres.start()
            if started or own:
                stack.callback(postgres.stop)
            env["DATABASE_URL"] = postgres.create_database(OURS)
            env["SHUNFURI_BANK_DATABASE_URL"] = postgres.create_database(BANK)
        if broker:
            redis = PrivateRedis(data_dir / "redis")
            started = redis.start()
            if started or own:
                stack.callback(redis.stop)
            env["BROKER_URL"] = redis.url
        yield env


def embedded_database(data_dir: Path) -> None:
    """Make sure the private PostgreSQL of `data_dir` runs until this process exits;
    stopped then only if it was started here (a running `shunfuri up` keeps its own)."""
    stack = ExitStack()
    stack.enter_context(local_services(data_dir, broker=False))
    atexit.register(stack.close)
