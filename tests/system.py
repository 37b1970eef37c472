"""A whole Shunfuri system as real processes (`shunfuri up`) for end-to-end tests.

Each system gets its own PostgreSQL database and a flushed Redis db, and is stopped
(SIGTERM to the process group, as Ctrl-C would) on exit.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis
from sqlalchemy.engine import make_url

from tests.services import TEST_BROKER_URL, create_database, drop_database

ROOT = Path(__file__).resolve().parent.parent
SHUNFURI = str(Path(sys.executable).with_name("shunfuri"))


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
    redis_db: int = 14,
    database_url: str | None = None,
    broker_url: str | None = None,
    ready_timeout: float = 90,
    embedded: bool = False,
    **extra_env: str,
) -> Iterator[System]:
    """`database_url` / `broker_url` point the system at servers the caller owns (e.g. a
    private PostgreSQL cluster or redis-server that a chaos test restarts); the caller
    then also owns that database (it is not dropped here)."""
    own_database = database_url is None and not embedded
    if embedded:
        # `make run` on a laptop: SQLite in the data folder, a private redis-server.
        database_url, broker_url = "", ""
    if own_database:
        database_url = create_database()
    if broker_url is None:
        broker_url = str(make_url(TEST_BROKER_URL).set(database=str(redis_db)))
    if broker_url:
        redis.Redis.from_url(broker_url).flushdb()
    data_dir = Path(os.environ.get("TMPDIR", "/tmp")) / f"shunfuri-e2e-{os.getpid()}-{redis_db}"
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BROKER_URL": broker_url,
        "SHUNFURI_DATA_DIR": str(data_dir),
        "SHUNFURI_LOGIN_RATE_LIMIT": "0",
        "SHUNFURI_RECOVERY_AFTER": "1",
        **extra_env,
    }
    env.pop("SHUNFURI_CLOCK", None)
    if embedded:
        env.pop("DATABASE_URL")
        env.pop("BROKER_URL")
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir(parents=True)
    if clock:
        env["SHUNFURI_CLOCK"] = clock
    log = open(data_dir / "up.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [SHUNFURI, "up", "--port", str(port), "--data-dir", str(data_dir)],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True,
    )
    system = System(f"http://127.0.0.1:{port}", database_url, broker_url, data_dir, env, process)
    try:
        def ready() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"shunfuri up exited: {(data_dir / 'up.log').read_text()}")
            try:
                return system.http.get("/readyz", params={"deep": 1}).status_code == 200
            except httpx.HTTPError:
                return False

        poll(ready, timeout=ready_timeout, interval=0.3, what="the system to be ready")
        yield system
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()
        system.http.close()
        if own_database:
            drop_database(database_url)
