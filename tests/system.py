"""A whole Shunfuri system as real processes (`shunfuri up`) for end-to-end tests.

Each system gets its own PostgreSQL database and a Redis db of its own (tests/services.py),
or with `embedded=True` the private servers `shunfuri up` starts in its data folder; it
is stopped (SIGTERM to the process group, as Ctrl-C would) on exit.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from shunfuri.embedded import PrivatePostgres, PrivateRedis
from tests.services import create_database, drop_database
from tests.services import redis_db as claim_redis_db

ROOT = Path(__file__).resolve().parent.parent
SHUNFURI = str(Path(sys.executable).with_name("shunfuri"))
_systems = itertools.count(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    url: str
    database_url: str
    broker_url: str
    data_dir: Path
    env: dict[str, str]
    process: subprocess.Popen
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.url, timeout=40)

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [SHUNFURI, *args], env=self.env, input=stdin, capture_output=True, text=True,
            timeout=120, cwd=ROOT,
        )

    def bank(self, **faults: Any) -> dict:
        bank_url = self.env_of_children()["SHUNFURI_BANK_URL"]
        return httpx.post(f"{bank_url}/v1/control", json=faults, timeout=5).json()

    def env_of_children(self) -> dict[str, str]:
        # The bank's port is chosen by `up`; it writes it where tests can read it.
        text = (self.data_dir / "ports.env").read_text()
        return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


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
            database_url = create_database()
            stack.callback(drop_database, database_url)
        if broker_url is None and not embedded:
            broker_url = stack.enter_context(claim_redis_db())
        if data_dir is None:
            data_dir = Path(tempfile.gettempdir()) / f"shunfuri-e2e-{os.getpid()}-{next(_systems)}"
            shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        env = {
            **os.environ,
            "SHUNFURI_DATA_DIR": str(data_dir),
            "SHUNFURI_LOGIN_RATE_LIMIT": "0",
            "SHUNFURI_RECOVERY_AFTER": "1",
            **extra_env,
        }
        for key in ("SHUNFURI_CLOCK", "DATABASE_URL", "BROKER_URL", "SHUNFURI_BANK_DATABASE_URL"):
            env.pop(key, None)
        if not embedded:
            env.update(DATABASE_URL=database_url or "", BROKER_URL=broker_url or "")
        if clock:
            env["SHUNFURI_CLOCK"] = clock
        log = stack.enter_context(open(data_dir / "up.log", "w"))
        process = subprocess.Popen(
            [SHUNFURI, "up", "--port", str(port), "--data-dir", str(data_dir)],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True,
        )
        system = System(f"http://127.0.0.1:{port}", database_url or "", broker_url or "",
                        data_dir, env, process)
        stack.callback(system.http.close)
        stack.callback(_stop, process, data_dir if embedded else None)

        def ready() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"shunfuri up exited: {(data_dir / 'up.log').read_text()}")
            try:
                return system.http.get("/readyz", params={"deep": 1}).status_code == 200
            except httpx.HTTPError:
                return False

        poll(ready, timeout=ready_timeout, interval=0.3, what="the system to be ready")
        if embedded:
            children = system.env_of_children()
            system.database_url, system.broker_url = children["DATABASE_URL"], children["BROKER_URL"]
        yield system


def _stop(process: subprocess.Popen, data_dir: Path | None) -> None:
    """SIGTERM (as Ctrl-C); SIGKILL after 20 s, and then whatever private servers the
    killed `up` could not stop itself."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        if data_dir is not None:
            PrivatePostgres(data_dir / "postgres").stop()
            PrivateRedis(data_dir / "redis").stop()
