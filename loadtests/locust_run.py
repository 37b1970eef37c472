"""One headless Locust run (a subprocess, or a master and N workers), with a live progress
table and the CPU of every process measured over its steady window."""

from __future__ import annotations

import math
import os
import shutil
import signal
import subprocess
import time
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from rich.console import Console
from rich.live import Live
from rich.table import Table

from loadtests import cpu, report
from loadtests.context import Run
from loadtests.pacing import read_steady_start
from loadtests.scenarios import TRANSFER_AMOUNT
from loadtests.system import ROOT, console_script, free_port

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
SPAWN_RATE = 20.0  # users/s: each login costs ~16 ms of argon2 on the API
START_DELAY = 1.0
STOP_TIMEOUT = 35  # let in-flight transfers finish (the locustfile gives up after 30 s)
# Locust's own --run-time is only a backstop: the runner stops it `seconds` after the
# steady load began (logins on a loaded machine can take far longer than nominal).
LOGIN_ALLOWANCE_S = 90
WARM_S = 1.0  # the CPU window opens this long after the steady load began

console = Console()


class Watch(Protocol):
    """What a scenario watches beside the load (the batch rows): when to stop, and a line
    for the progress table."""

    def should_stop(self) -> bool: ...

    def status(self) -> str: ...


@dataclass(frozen=True, kw_only=True)
class LocustRun:
    """What one Locust run did: where its files are, how it ended, and the CPU window."""

    folder: Path
    users: int
    rate: float
    seconds: float
    returncode: int
    wall_start: float
    wall_end: float
    cpu: cpu.Window | None  # None when the run ended before its steady window closed


def run_locust(
    run: Run,
    *,
    folder: Path,
    members_file: Path,
    users: int,
    rate: float,
    seconds: float,
    label: str,
    workers: int = 0,
    watch: Watch | None = None,
    extra_env: dict[str, str] | None = None,
) -> LocustRun:
    """Locust headless for `seconds` of steady load (plus spawning), with progress shown."""
    folder.mkdir(parents=True, exist_ok=True)
    # A reused results folder: an earlier run's samples and start markers are not this one's.
    shutil.rmtree(folder / "samples", ignore_errors=True)
    spawn_rate = min(SPAWN_RATE, max(users, 1))
    run_time = math.ceil(users / spawn_rate + START_DELAY + 1 + seconds + LOGIN_ALLOWANCE_S)
    env = {
        **os.environ,
        "LOADTEST_MEMBERS": str(members_file),
        "LOADTEST_USER_RATE": f"{rate / users:.6f}",
        "LOADTEST_SAMPLES_DIR": str(folder / "samples"),
        "LOADTEST_CLOCK_SPEED": f"{run.target.speed:g}",
        "LOADTEST_START_DELAY": str(START_DELAY),
        "LOADTEST_AMOUNT": str(TRANSFER_AMOUNT),
        "LOADTEST_WORKERS": str(max(workers, 1)),
        "LOADTEST_PREFER_WAIT": str(run.opts.prefer_wait),
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    locust = console_script("locust")
    common = [locust, "-f", str(LOCUSTFILE), "--host", run.target.host]
    head = [
        *common, "--headless", "-u", str(users), "-r", f"{spawn_rate:g}",
        "--run-time", f"{run_time}s", "--stop-timeout", str(STOP_TIMEOUT),
        "--csv", str(folder / "locust"), "--csv-full-history",
        "--html", str(folder / "locust.html"),
        "--json-file", str(folder / "locust"),  # Locust appends .json
        "--only-summary", "--loglevel", "WARNING",
    ]
    worker_cmd: list[str] = []
    if workers:
        port = free_port()
        head += ["--master", "--expect-workers", str(workers), "--master-bind-port", str(port)]
        worker_cmd = [*common, "--worker", "--master-host", "127.0.0.1", "--master-port",
                      str(port), "--loglevel", "WARNING"]
    started = time.time()
    with ExitStack() as logs:
        def spawn(cmd: list[str], log_name: str) -> subprocess.Popen:
            log = logs.enter_context((folder / log_name).open("w"))
            return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True,
                                    preexec_fn=_hear_interrupts)

        master = spawn(head, "locust.log")
        procs = [master, *(spawn(worker_cmd, f"locust-worker-{i}.log") for i in range(workers))]
        try:
            window = _watch(run, procs, label=label, folder=folder, users=users, rate=rate,
                            seconds=seconds, run_time=run_time, watch=watch)
        finally:
            _reap(procs)
    return LocustRun(folder=folder, users=users, rate=rate, seconds=seconds,
                     returncode=master.returncode, wall_start=started, wall_end=time.time(),
                     cpu=window)


def _hear_interrupts() -> None:
    """Locust is stopped with SIGINT (as Ctrl-C: it then writes every report). A runner
    started in the background (`nohup ... &`, CI) inherits SIGINT ignored, and so would
    Locust, which then ran on to its --run-time backstop: the 60 s instant run took 150."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _watch(run: Run, procs: list[subprocess.Popen], *, label: str, folder: Path, users: int,
           rate: float, seconds: float, run_time: float,
           watch: Watch | None) -> cpu.Window | None:
    """Show progress until Locust ends. The steady load begins when every Locust process
    with users has opened its gate (`pacing.read_steady_start`); Locust is stopped
    `seconds` later (or when the watch says so), and the CPU window is the steady load's
    but its first `WARM_S` and last half-second."""
    master = procs[0]
    roots = [run.target.pid, *(p.pid for p in procs)]
    database = _database_name(run.target.database_url)
    machine_redis = run.target.pid is not None and not run.target.embedded

    def snap() -> cpu.Snapshot:
        return cpu.snapshot(roots, database=database, machine_redis=machine_redis)

    started = time.time()
    processes = max(len(procs) - 1, 1)  # the workers, or the one headless process
    steady_from: float | None = None
    before: cpu.Snapshot | None = None
    window: cpu.Window | None = None
    stopping: float | None = None
    with Live(console=console, refresh_per_second=2, transient=True, redirect_stdout=False) as live:
        while master.poll() is None:
            now = time.time()
            if steady_from is None:
                steady_from = read_steady_start(folder / "samples", processes)
            if steady_from is not None:
                if before is None and now >= steady_from + WARM_S:
                    before = snap()
                if before is not None and window is None and now >= steady_from + seconds - 0.5:
                    window = cpu.between(before, snap())
            stop = (watch.should_stop() if watch is not None
                    else steady_from is not None and now >= steady_from + seconds)
            if stop and stopping is None:
                if before is not None and window is None:
                    window = cpu.between(before, snap())
                # As Ctrl-C: Locust stops its users (in-flight transfers get --stop-timeout)
                # and writes every report; on SIGTERM it skips the HTML one.
                master.send_signal(signal.SIGINT)
                stopping = now
            # Seen once in a series of eight runs: Locust went on after the SIGINT until
            # its own --run-time, six minutes on. Past its stop timeout, end it.
            late = stopping is not None and now - stopping > STOP_TIMEOUT + 15
            if late or now - started > run_time + STOP_TIMEOUT + 60:
                master.send_signal(signal.SIGTERM)
            elapsed = ("logging in" if steady_from is None
                       else f"{min(max(now - steady_from, 0), seconds):.0f}/{seconds:.0f} s")
            live.update(_progress(label, folder, elapsed, users, rate,
                                  watch.status() if watch else None))
            time.sleep(0.5)
    return window


def _reap(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def _database_name(url: str | None) -> str | None:
    if not url:
        return None
    from sqlalchemy.engine import make_url

    return make_url(url).database


def _progress(label: str, folder: Path, elapsed: str, users: int, rate: float,
              status: str | None) -> Table:
    rows = report.locust_rows(folder / "locust_stats.csv")
    client = rows.get("TRANSFER accept_to_settled (client)", {})
    server = rows.get("TRANSFER accept_to_settled (server)", {})
    accept = rows.get("POST /v1/transfers", {})
    table = Table(title=f"{label}: {users} users, {rate:g} transfers/s offered", show_header=True)
    for col in ("elapsed", "accepted", "settled", "failures", "p99 client", "p99 server"):
        table.add_column(col, justify="right")
    table.add_row(
        elapsed,
        str(accept.get("requests", 0)),
        str(client.get("requests", 0) - client.get("failures", 0)),
        str(client.get("failures", 0) + accept.get("failures", 0)),
        _ms(client.get("p99")),
        _ms(server.get("p99")),
    )
    if status:
        table.caption = status
    return table


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"
