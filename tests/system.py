"""A whole Shunfuri system as real processes (`shunfuri up`) for end-to-end tests.

Each system gets its own PostgreSQL database and a Redis db of its own (tests/services.py),
or with `embedded=True` the private servers `shunfuri up` starts in its data folder; it
is stopped (SIGTERM to the process group, as Ctrl-C would) on exit. Starting, waiting
and stopping are `loadtests/system.py`'s, shared with the load-test runner.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from loadtests.system import ROOT, Up, console_script, free_port, shunfuri_up
from tests import cli_runs
from tests.services import create_migrated_database, drop_database
from tests.services import redis_db as claim_redis_db

SHUNFURI = console_script("shunfuri")
_systems = itertools.count(1)

__all__ = ["ROOT", "SHUNFURI", "System", "free_port", "poll", "running_system"]


def poll(check: Callable[[], Any], *, timeout: float, interval: float = 0.05, what: str = "") -> Any:
    """Return check()'s first truthy value, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or check}")
        time.sleep(interval)


@dataclass
class System:
    up: Up
    database_url: str
    broker_url: str
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.url, timeout=40)

    @property
    def url(self) -> str:
        return self.up.url

    @property
    def data_dir(self) -> Path:
        return self.up.data_dir

    @property
    def env(self) -> dict[str, str]:
        return dict(self.up.env)

    @property
    def process(self) -> subprocess.Popen:
        return self.up.process

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        """`shunfuri ARGS` with this system's environment, in a process of its own
        (tests/cli_runs.py: forked from one that imported the CLI)."""
        return cli_runs.run(list(args), env=self.env, cwd=ROOT, stdin=stdin)

    def bank(self, **faults: Any) -> dict:
        bank_url = self.env_of_children()["SHUNFURI_BANK_URL"]
        return httpx.post(f"{bank_url}/v1/control", json=faults, timeout=5).json()

    def env_of_children(self) -> dict[str, str]:
        # The bank's port is chosen by `up`; it writes it where tests can read it.
        return self.up.ports()


@contextmanager
def running_system(
    *,
    clock: str | None = None,
    redis_db: int | None = None,
    database_url: str | None = None,
    broker_url: str | None = None,
    ready_timeout: float = 90,
    embedded: bool = False,
    data_dir: Path | None = None,
    **extra_env: str,
) -> Iterator[System]:
    """`database_url` / `broker_url` point the system at servers the caller owns (e.g. a
    private PostgreSQL or redis-server that a chaos test restarts); the caller then also
    owns that database (it is not dropped here). `embedded`: DATABASE_URL and BROKER_URL
    unset, as on a laptop: `up` runs its private servers in `data_dir`, which is kept as
    it is when given (a second system on it finds the first one's data). `redis_db` is
    accepted for older callers and not used: every system claims a Redis db of its own."""
    with ExitStack() as stack:
        own_database = database_url is None and not embedded
        if own_database:
            database_url = create_migrated_database()  # `up` finds it at head
            stack.callback(drop_database, database_url)
        if broker_url is None and not embedded:
            broker_url = stack.enter_context(claim_redis_db())
        if data_dir is None:
            data_dir = Path(tempfile.gettempdir()) / f"shunfuri-e2e-{os.getpid()}-{next(_systems)}"
            shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "SHUNFURI_DATA_DIR": str(data_dir),
            "SHUNFURI_LOGIN_RATE_LIMIT": "0",
            # `make test` may run three systems at once (three xdist workers) on a PostgreSQL
            # of 100 connections: five a pool, not ten, so all fit beside the tests' own.
            "SHUNFURI_DB_POOL_SIZE": "5",
            "SHUNFURI_ELIGIBILITY_RATE_LIMIT": "0",
            "SHUNFURI_APPLICATION_RATE_LIMIT": "0",
            "SHUNFURI_APPLY_PAGES_RATE_LIMIT": "0",
            "SHUNFURI_RECOVERY_AFTER": "1",
            **extra_env,
        }
        # Not this test process's clock, servers, or its in-process apps' zero warm
        # connections (tests/conftest.py): the system's own.
        for key in ("SHUNFURI_CLOCK", "DATABASE_URL", "BROKER_URL", "SHUNFURI_BANK_DATABASE_URL",
                    "SHUNFURI_DB_WARM_CONNECTIONS"):
            env.pop(key, None)
        if not embedded:
            env.update(DATABASE_URL=database_url or "", BROKER_URL=broker_url or "")
        if clock:
            env["SHUNFURI_CLOCK"] = clock
        up = stack.enter_context(shunfuri_up(
            env=env, data_dir=data_dir, log=data_dir / "up.log", ready_timeout=ready_timeout,
            embedded=embedded,
        ))
        if embedded:
            children = up.ports()
            database_url, broker_url = children["DATABASE_URL"], children["BROKER_URL"]
        system = System(up, database_url or "", broker_url or "")
        stack.callback(system.http.close)
        yield system
