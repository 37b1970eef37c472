"""`shunfuri up` as a child process: started on a free port, ready once `/readyz` answers,
stopped as Ctrl-C would stop it.

The one copy shared by the load-test runner (`loadtests/target.py`) and the end-to-end
tests (`tests/system.py`): the caller decides the environment (database, broker, clock);
this module starts the processes, waits for them and stops them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

from shunfuri.cli.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
STOP_GRACE_S = 20.0


def console_script(name: str) -> str:
    """A console script of this virtualenv (`.venv/bin/locust`, `.venv/bin/shunfuri`)."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


@dataclass(frozen=True, kw_only=True)
class Up:
    """A running `shunfuri up`: its URL, data folder, environment and process group."""

    url: str
    data_dir: Path
    env: Mapping[str, str]
    process: subprocess.Popen
    log: Path

    def ports(self) -> dict[str, str]:
        """What `up` chose and wrote to `ports.env`: DATABASE_URL, BROKER_URL, the bank's URL."""
        text = (self.data_dir / "ports.env").read_text()
        return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


@contextmanager
def shunfuri_up(
    *,
    env: Mapping[str, str],
    data_dir: Path,
    log: Path,
    args: Sequence[str] = (),
    ready_timeout: float = 90,
    embedded: bool = False,
) -> Iterator[Up]:
    """`shunfuri up --port P --data-dir D ARGS` with exactly `env`, ready (deep) when
    yielded, stopped on exit. `embedded`: it runs its private servers in `data_dir`,
    which are stopped here too if `up` had to be killed."""
    port = free_port()
    cmd = [console_script("shunfuri"), "up", "--port", str(port), "--data-dir", str(data_dir),
           *args]
    with log.open("w") as fh:
        process = subprocess.Popen(
            cmd, cwd=ROOT, env=dict(env), stdout=fh, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        up = Up(url=f"http://127.0.0.1:{port}", data_dir=data_dir, env=env, process=process,
                log=log)
        try:
            wait_ready(up, timeout=ready_timeout)
            yield up
        finally:
            stop(process, private_servers=data_dir if embedded else None)


def wait_ready(up: Up, *, timeout: float) -> None:
    """Until `/readyz?deep=1` answers 200 (database and broker reached), or fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if up.process.poll() is not None:
            raise RuntimeError(
                f"shunfuri up exited ({up.process.returncode}): {_tail(up.log)}"
            )
        with suppress(httpx.HTTPError):
            if httpx.get(f"{up.url}/readyz", params={"deep": 1}, timeout=2).status_code == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"shunfuri up was not ready after {timeout:.0f} s; see {up.log}")


def stop(process: subprocess.Popen, *, private_servers: Path | None = None,
         grace: float = STOP_GRACE_S) -> None:
    """SIGTERM the group (as Ctrl-C: honcho stops its children); SIGKILL after `grace`
    seconds, and then the private servers in `private_servers` that the killed `up`
    could not stop itself."""
    if process.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        if private_servers is not None:
            from shunfuri.embedded import PrivatePostgres, PrivateRedis

            PrivatePostgres(private_servers / "postgres").stop()
            PrivateRedis(private_servers / "redis").stop()


def _tail(log: Path, chars: int = 4000) -> str:
    try:
        return log.read_text()[-chars:]
    except OSError:
        return f"(no log at {log})"
