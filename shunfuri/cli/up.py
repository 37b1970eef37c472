"""`shunfuri up`: the processes of one system (`system_processes`), forked from this one
once it has imported their code (`children`) and kept running by `supervise`.

Before them, the embedded defaults (a private PostgreSQL and Redis in the data folder,
for whichever of DATABASE_URL / BROKER_URL is unset) are started here and stopped after
them; the children learn their URLs from us.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import threading
import time
from pathlib import Path
from typing import IO

import httpx

from shunfuri.cli.children import Child, forking, preload
from shunfuri.cli.ports import free_port
from shunfuri.cli.supervise import Supervisor
from shunfuri.settings import get_settings


def default_api_workers() -> int:
    """One uvicorn process per two cores this process may run on (at least one).

    Under load the API takes about 40 % of the machine's CPU; the workers, PostgreSQL and
    the rest need the other 60 %. Measured on two cores, interleaved (docs/performance.md):
    one API process spent about a fifth less CPU per transfer than two, held 600/s twice where
    two held 500/s twice; at 150/s, p99 36-56 ms in four runs against 41-44 ms in two."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS has no affinity call
        cores = os.cpu_count() or 1
    return max(1, cores // 2)


def system_processes(
    *, port: int, host: str, api_workers: int, worker_concurrency: int
) -> tuple[list[Child], dict[str, str]]:
    """(the processes, their environment) for one system; `run_system` starts them."""
    settings = get_settings()
    data_dir = settings.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["SHUNFURI_DATA_DIR"] = str(data_dir)
    env["PYTHONUNBUFFERED"] = "1"
    if settings.clock and not env.get("SHUNFURI_CLOCK_ANCHOR"):
        env["SHUNFURI_CLOCK_ANCHOR"] = repr(time.time())
    # A clock jump left over from an earlier run of this data folder must not apply.
    (data_dir / "clock.json").unlink(missing_ok=True)
    metrics_dir = data_dir / "metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir()
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)

    procs: list[Child] = []
    if not env.get("SMTP_URL"):
        # No SMTP server named: our own sink keeps every mail in the data folder
        # (`shunfuri mail` reads it). Production names a server (Settings refuses none).
        from shunfuri.mail.sink import maildir_path

        mail_port = free_port()
        env["SMTP_URL"] = f"smtp://127.0.0.1:{mail_port}"
        procs.append(Child("mail", "shunfuri.mail.sink",
                           (str(maildir_path(data_dir)), "--port", str(mail_port))))
    env.setdefault("SHUNFURI_PUBLIC_URL", f"http://{_shown(host)}:{port}")
    bank_port = free_port()
    env.setdefault("SHUNFURI_BANK_URL", f"http://127.0.0.1:{bank_port}")
    procs.append(Child("bank", "shunfuri.cli", ("bank-simulator", "--port", str(bank_port))))
    bureau_port = free_port()
    env.setdefault("SHUNFURI_BUREAU_URL", f"http://127.0.0.1:{bureau_port}")
    procs.append(Child("bureau", "shunfuri.cli",
                       ("bureau-simulator", "--port", str(bureau_port))))
    # Where this system's parts listen, for `reconcile`, tests and operators.
    (data_dir / "ports.env").write_text(
        f"SHUNFURI_BANK_URL={env['SHUNFURI_BANK_URL']}\n"
        f"SHUNFURI_BUREAU_URL={env['SHUNFURI_BUREAU_URL']}\nBROKER_URL={settings.resolved_broker_url}\n"
        f"DATABASE_URL={settings.resolved_database_url}\nAPI_URL=http://{host}:{port}\n"
        + (f"SMTP_URL={env['SMTP_URL']}\n" if any(c.name == "mail" for c in procs) else "")
    )
    procs.append(Child("api", "uvicorn", (
        "api.app:create_app", "--factory", "--host", host, "--port", str(port),
        "--workers", str(api_workers), "--no-access-log", "--log-level", "warning")))
    tag = f"{port}-{os.getpid()}"
    celery = ("-A", "workers.app")
    procs.append(Child("worker", "celery", (
        *celery, "worker", "-Q", "instant,maintenance", "-c", str(worker_concurrency),
        "-n", f"instant-{tag}@%h", "--loglevel", "WARNING"), respawn=True))
    # Screening asks the credit bureau: a call may wait for the bureau's timeout, so it
    # has a process of its own (threads: the work is waiting) and never holds up an
    # instant transfer or the maintenance sweeps.
    procs.append(Child("screening", "celery", (
        *celery, "worker", "-Q", "applications", "-P", "threads", "-c", "4",
        "-n", f"screening-{tag}@%h", "--loglevel", "WARNING"), respawn=True))
    # The 09:30 batch has minutes of budget; instant transfers have milliseconds. On a
    # shared machine the batch worker yields the CPU first. Two processes: while one
    # chunk waits for the bank or PostgreSQL the other works (100,000 rows 37 s -> 25 s
    # on two cores, instant p99 beside it 89 -> 91-119 ms; docs/performance.md).
    procs.append(Child("batch", "celery", (
        *celery, "worker", "-Q", "batch", "-c", "2", "-n", f"batch-{tag}@%h",
        "--loglevel", "WARNING"), nice=10, respawn=True))
    procs.append(Child("beat", "celery", (
        *celery, "beat", "-s", str(data_dir / "celerybeat-schedule"), "--loglevel", "WARNING")))
    return procs, env


def _shown(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104


def _announce_when_ready(url: str, stop: threading.Event) -> None:
    deadline = time.monotonic() + 60
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                print(f"\n  Shunfuri is up: {url}  (API docs: {url}/docs)\n", flush=True)
                return
        except httpx.HTTPError:
            pass
        stop.wait(0.2)


def run_system(*, port: int, host: str, api_workers: int, worker_concurrency: int) -> int:
    from shunfuri.embedded import local_services

    settings = get_settings()
    data_dir = settings.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    # Until the supervisor takes over the signals, SIGTERM unwinds like Ctrl-C, so a private
    # server started a moment ago is stopped again.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with open(data_dir / "up.lock", "a") as lock:
        _hold(lock, data_dir)
        with local_services(
            data_dir, database=not settings.database_url, broker=not settings.broker_url,
            own=True,
        ) as embedded:
            for key, value in embedded.items():
                if not os.environ.get(key):
                    os.environ[key] = value  # the children learn their URLs from here
            private = [name for name, key in (("PostgreSQL", "DATABASE_URL"),
                                              ("Redis", "BROKER_URL")) if key in embedded]
            if private:
                print(f"  private {' and '.join(private)} in {data_dir}", flush=True)
            return _run(port=port, host=host, api_workers=api_workers,
                        worker_concurrency=worker_concurrency)


def _run(*, port: int, host: str, api_workers: int, worker_concurrency: int) -> int:
    from shunfuri.db.migrate import upgrade

    get_settings.cache_clear()
    upgrade(get_settings().resolved_database_url)
    procs, env = system_processes(
        port=port, host=host, api_workers=api_workers, worker_concurrency=worker_concurrency
    )
    os.environ.clear()
    os.environ.update(env)  # what the children see, and what they imported with
    get_settings.cache_clear()
    fork = forking()
    if fork:
        preload()
    stop = threading.Event()

    def announce() -> None:  # once every child is forked: no thread in `up` before that
        threading.Thread(target=_announce_when_ready,
                         args=(f"http://{_shown(host)}:{port}", stop), daemon=True).start()

    try:
        return Supervisor(procs, fork=fork, on_started=announce).run()
    finally:
        stop.set()


def _hold(lock: IO[str], data_dir: Path) -> None:
    """One `up` per data folder: its private servers are this process's to stop."""
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise SystemExit(
            f"another `shunfuri up` is running on {data_dir}; stop it, or give this one "
            "its own folder (--data-dir)"
        ) from None
