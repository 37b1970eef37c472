"""The load-test runner behind `shunfuri loadtest SCENARIO`.

Unless `--host` names a running system, it starts one (`shunfuri up`) on a fresh
PostgreSQL database and a flushed Redis db (`LOADTEST_DATABASE_URL` / `LOADTEST_BROKER_URL`,
by default the machine's), or with `--embedded` (and by default when no PostgreSQL answers
on 127.0.0.1:5432) on the embedded defaults: the private PostgreSQL and Redis that `up`
starts in its data folder. Either way on the scenario's simulated clock; it creates the
members it needs through the staff API; measures the machine with a transfer-shaped
pgbench; runs Locust headless (a subprocess, so the same command line works for the
master/worker recipe); and writes `loadtests/results/<stamp>/`.
"""

from __future__ import annotations

import concurrent.futures
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from rich.console import Console
from rich.live import Live
from rich.table import Table

from loadtests import report
from loadtests.scenarios import (
    BATCH_DUE,
    BATCH_INSTANT_WINDOW_OPENS,
    CREDIT_LIMIT,
    RAMP_MIN_DELIVERED,
    RAMP_P99_LIMIT_MS,
    STANDARD_PAYEES,
    TRANSFER_AMOUNT,
    Scenario,
)

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_BROKER = "redis://127.0.0.1:6379/3"
ADMIN_HEADER = "X-Admin-Key"
PIN = "2580"
SPAWN_RATE = 20.0  # users/s: each login costs ~16 ms of argon2 on the API
START_DELAY = 1.0
STOP_TIMEOUT = 35  # let in-flight transfers finish (the locustfile gives up after 30 s)

console = Console()


@dataclass
class Options:
    scenario: Scenario
    rate: float
    duration: float
    users: int | None = None
    host: str | None = None
    count: int = 0
    workers: int = 0
    speed: float | None = None
    api_workers: int | None = None
    worker_concurrency: int | None = None
    keep_db: bool = False
    embedded: bool = False
    out: Path | None = None
    web_rate: float | None = None
    pgbench_seconds: float = 5.0
    quiet: bool = False


@dataclass
class Run:
    """What a scenario run needs while it runs: where things are and how to reach them."""

    opts: Options
    out: Path
    host: str
    admin_key: str
    database_url: str | None
    data_dir: Path | None
    speed: float
    clock_anchor: float | None
    clock_start: datetime | None
    env: dict[str, str] = field(default_factory=dict)
    system_pid: int | None = None
    embedded: bool = False  # on `up`'s private servers, found through `data_dir`

    def simulated_now(self) -> datetime | None:
        if self.clock_start is None or self.clock_anchor is None:
            return None
        return self.clock_start + timedelta(seconds=(time.time() - self.clock_anchor) * self.speed)


# --------------------------------------------------------------------------- helpers


def python_bin(name: str) -> str:
    """A console script of this virtualenv (`.venv/bin/locust`, `.venv/bin/shunfuri`)."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _dsn(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_database(server_url: str, name: str) -> str:
    import psycopg
    from sqlalchemy.engine import make_url

    with psycopg.connect(_dsn(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    admin = make_url(url).set(database="postgres").render_as_string(hide_password=False)
    with suppress(Exception), psycopg.connect(_dsn(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url, socket_connect_timeout=3).flushdb()


PGBENCH_SCRIPT = """\
\\set aid random(1, 1000)
BEGIN;
SELECT balance FROM lt_accounts WHERE id = :aid FOR UPDATE;
UPDATE lt_accounts SET balance = balance + 1000 WHERE id = :aid;
INSERT INTO lt_ledger (account_id, amount) VALUES (:aid, 1000);
COMMIT;
"""


def pgbench_tps(url: str, folder: Path, seconds: float) -> dict:
    """Transfer-shaped pgbench (lock a row, update it, insert a ledger row) on scratch tables."""
    import psycopg

    from shunfuri.embedded.postgres_server import bin_dir

    pgbench = shutil.which("pgbench") or str(bin_dir() / "pgbench")
    with psycopg.connect(_dsn(url), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS lt_accounts, lt_ledger")
        conn.execute("CREATE TABLE lt_accounts (id int PRIMARY KEY, balance bigint NOT NULL)")
        conn.execute(
            "CREATE TABLE lt_ledger (id bigserial PRIMARY KEY, account_id int, "
            "amount bigint, at timestamptz DEFAULT now())"
        )
        conn.execute("INSERT INTO lt_accounts SELECT g, 0 FROM generate_series(1, 1000) g")
    script = folder / "pgbench-transfer.sql"
    script.write_text(PGBENCH_SCRIPT)
    cmd = [
        pgbench,
        "-n",
        "-c",
        "8",
        "-j",
        "2",
        "-T",
        str(max(1, int(seconds))),
        "-f",
        str(script),
        _dsn(url),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    (folder / "pgbench.txt").write_text(proc.stdout + proc.stderr)
    with suppress(Exception), psycopg.connect(_dsn(url), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS lt_accounts, lt_ledger")
    match = re.search(r"tps = ([\d.]+)", proc.stdout)
    return {
        "tps": float(match.group(1)) if match else None,
        "clients": 8,
        "seconds": int(seconds),
        "command": " ".join(cmd[:-1] + ["<db>"]),
    }


def machine() -> dict:
    info: dict = {"cores": os.cpu_count()}
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    with suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    info["python"] = sys.version.split()[0]
    with suppress(Exception):
        from importlib.metadata import version

        # not `import locust`: it monkey-patches this process with gevent
        info["locust"] = version("locust")
    return info


def _role(proc) -> str | None:  # type: ignore[no-untyped-def]
    """Which part of the system a process is, from its command line."""
    try:
        name = proc.name()
        cmd = " ".join(proc.cmdline())
    except Exception:  # noqa: BLE001 - it may have exited
        return None
    if "multiprocessing" in cmd:  # uvicorn --workers N children: their parent's role
        try:
            return _role(proc.parent())
        except Exception:  # noqa: BLE001
            return None
    if name.startswith("postgres") or "postgres:" in cmd:
        return "postgresql"
    if "redis-server" in cmd or name == "redis-server":
        return "redis"
    if "locust" in cmd:
        return "locust"
    if "uvicorn" in cmd and "api.app" in cmd:
        return "api"
    if "bank-simulator" in cmd:
        return "bank simulator"
    if "celery" in cmd:
        for role in ("beat", "-Q batch", "-Q instant"):
            if role in cmd:
                return {
                    "beat": "celery beat",
                    "-Q batch": "worker (batch)",
                    "-Q instant": "worker (instant)",
                }[role]
        return "celery"
    if "honcho" in cmd or " up " in cmd:
        return "supervisor"
    return None


def pg_counters(url: str | None) -> dict | None:
    """The load database's commits and sessions so far (pg_stat_database), or None."""
    if not url:
        return None
    import psycopg
    from sqlalchemy.engine import make_url

    with suppress(Exception), psycopg.connect(_dsn(url), autocommit=True) as conn:
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


def cpu_snapshot(roots: list[int | None]) -> dict[int, tuple[str, float]]:
    """CPU seconds used so far by this run's processes (the trees under `roots`) and by
    PostgreSQL (shared: other databases' backends count too), by pid."""
    import psutil

    procs = [p for p in psutil.process_iter() if _role(p) == "postgresql"]
    for pid in roots:
        if pid is None:
            continue
        with suppress(Exception):
            root = psutil.Process(pid)
            procs += [root, *root.children(recursive=True)]
    snap = {}
    for proc in procs:
        role = _role(proc)
        if role is None:
            continue
        try:
            t = proc.cpu_times()
            snap[proc.pid] = (role, t.user + t.system)
        except Exception:  # noqa: BLE001
            continue
    return snap


def cpu_by_role(before: dict, after: dict, seconds: float) -> dict:
    """CPU used between two snapshots, by role, in cores (1.0 = one core busy)."""
    used: dict[str, float] = {}
    for pid, (role, total) in after.items():
        start = before.get(pid, (role, 0.0))[1]
        used[role] = used.get(role, 0.0) + max(0.0, total - start)
    cores = {k: round(v / seconds, 3) for k, v in sorted(used.items(), key=lambda kv: -kv[1])}
    return {
        "window_s": round(seconds, 1),
        "cores_busy": cores,
        "total_cores_busy": round(sum(used.values()) / seconds, 3),
    }


# --------------------------------------------------------------------------- the system


@contextmanager
def system(opts: Options, out: Path) -> Iterator[Run]:
    """A running system: started here (and stopped at the end) unless `--host` was given."""
    from shunfuri.settings import DEV_ADMIN_KEY

    scenario = opts.scenario
    speed = opts.speed or scenario.speed
    admin_key = os.environ.get("SHUNFURI_ADMIN_KEY", DEV_ADMIN_KEY)
    if opts.host:
        db = os.environ.get("LOADTEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
        anchor = os.environ.get("SHUNFURI_CLOCK_ANCHOR")
        clock = os.environ.get("SHUNFURI_CLOCK")
        start = speed_ = None
        if clock and anchor:
            from shunfuri.clock import parse_clock_spec

            start, speed_ = parse_clock_spec(clock)
        yield Run(
            opts,
            out,
            opts.host.rstrip("/"),
            admin_key,
            db,
            None,
            speed_ or speed,
            float(anchor) if anchor else None,
            start,
        )
        return

    from shunfuri.clock import parse_clock_spec

    embedded = opts.embedded or use_embedded()
    database_url: str | None = None
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SHUNFURI_", "LOADTEST_")) and k not in ("DATABASE_URL", "BROKER_URL")
    }
    if not embedded:
        server = os.environ.get("LOADTEST_DATABASE_URL", DEFAULT_SERVER)
        # Unique per run: two runs (two `make test` on one machine) never share a database.
        db_name = f"shunfuri_load_{out.name.replace('-', '_').lower()}_{uuid.uuid4().hex[:8]}"
        database_url = create_database(server, db_name)
        broker = os.environ.get("LOADTEST_BROKER_URL", DEFAULT_BROKER)
        flush_redis(broker)
        env.update(DATABASE_URL=database_url, BROKER_URL=broker)
    data_dir = Path(tempfile.mkdtemp(prefix="shunfuri-load-"))
    port = free_port()
    clock_spec = f"{scenario.clock}@{speed:g}"
    env.update(
        {
            "SHUNFURI_ENV": "development",
            "SHUNFURI_CLOCK": clock_spec,
            "SHUNFURI_LOGIN_RATE_LIMIT": "0",
            "SHUNFURI_ADMIN_KEY": admin_key,
            "PYTHONUNBUFFERED": "1",
        }
    )
    for key in ("SHUNFURI_PIN_PEPPER", "SHUNFURI_TOKEN_SECRET"):
        if key in os.environ:
            env[key] = os.environ[key]
    cmd = [python_bin("shunfuri"), "up", "--port", str(port), "--data-dir", str(data_dir)]
    if opts.api_workers:
        cmd += ["--api-workers", str(opts.api_workers)]
    if opts.worker_concurrency:
        cmd += ["--worker-concurrency", str(opts.worker_concurrency)]
    log = (out / "system.log").open("w")
    # `shunfuri up` migrates first; the clock anchor is set just before its processes
    # start, so simulated time here and in the system agree to a few milliseconds.
    anchor = time.time()
    env["SHUNFURI_CLOCK_ANCHOR"] = repr(anchor)
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    host = f"http://127.0.0.1:{port}"
    start, _ = parse_clock_spec(clock_spec)
    run = Run(opts, out, host, admin_key, database_url, data_dir, speed, anchor, start, env)
    run.system_pid = proc.pid
    try:
        wait_ready(host, proc, out / "system.log")
        if embedded:  # `up` says where its private PostgreSQL listens
            ports = (data_dir / "ports.env").read_text().splitlines()
            run.database_url = dict(line.split("=", 1) for line in ports)["DATABASE_URL"]
            run.embedded = True
        yield run
    finally:
        stop_process_group(proc)
        log.close()
        if database_url is not None and not opts.keep_db:
            drop_database(database_url)
        if not (embedded and opts.keep_db):
            shutil.rmtree(data_dir, ignore_errors=True)


def use_embedded() -> bool:
    """The embedded defaults, unless a PostgreSQL server is named or answers at the default."""
    if os.environ.get("LOADTEST_DATABASE_URL"):
        return False
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=2).close()
    except OSError:
        return True
    return False


def wait_ready(host: str, proc: subprocess.Popen | None, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the system exited ({proc.returncode}); see {log}")
        with suppress(httpx.HTTPError):
            if httpx.get(f"{host}/readyz", timeout=2).status_code == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"the system did not become ready in {timeout:.0f} s; see {log}")


def stop_process_group(proc: subprocess.Popen, grace: float = 20) -> None:
    """SIGTERM the group we started (honcho stops its children), then SIGKILL stragglers."""
    if proc.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


# --------------------------------------------------------------------------- members


def create_members(run: Run, count: int, payees: tuple[dict[str, str], ...]) -> list[dict]:
    """`count` members through the staff API, each with the full credit line."""
    headers = {ADMIN_HEADER: run.admin_key}

    def one(i: int) -> dict:
        with httpx.Client(base_url=run.host, timeout=30) as client:
            resp = client.post(
                "/v1/admin/members",
                headers=headers,
                json={"credit_limit": CREDIT_LIMIT, "pin": PIN},
            )
            if resp.status_code != 201:
                raise RuntimeError(f"creating a member: {resp.status_code} {resp.text[:300]}")
            body = resp.json()
        payee = payees[i % len(payees)]
        return {
            "member_id": body["member_id"],
            "card_number": body["card_number"],
            "pin": PIN,
            **payee,
        }

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(one, range(count)))


def members_needed(users: int, rate: float, seconds: float) -> int:
    """Enough members that nobody runs out of credit (with a 2x margin)."""
    per_member = CREDIT_LIMIT // TRANSFER_AMOUNT
    return max(users, math.ceil(2 * rate * seconds / per_member))


# --------------------------------------------------------------------------- locust


@dataclass
class LocustRun:
    folder: Path
    users: int
    rate: float
    seconds: float
    returncode: int = 0
    wall_start: float = 0.0
    wall_end: float = 0.0
    cpu: dict = field(default_factory=dict)


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
    stop_when: Callable[[], bool] | None = None,
    status: Callable[[], str] | None = None,
    extra_env: dict[str, str] | None = None,
) -> LocustRun:
    """Locust headless for `seconds` of steady load (plus spawning), with progress shown."""
    folder.mkdir(parents=True, exist_ok=True)
    spawn_rate = min(SPAWN_RATE, max(users, 1))
    run_time = math.ceil(users / spawn_rate + START_DELAY + 1 + seconds)
    env = dict(os.environ)
    env.update(
        {
            "LOADTEST_MEMBERS": str(members_file),
            "LOADTEST_USER_RATE": f"{rate / users:.6f}",
            "LOADTEST_SAMPLES_DIR": str(folder / "samples"),
            "LOADTEST_CLOCK_SPEED": f"{run.speed:g}",
            "LOADTEST_START_DELAY": str(START_DELAY),
            "LOADTEST_AMOUNT": str(TRANSFER_AMOUNT),
            "LOADTEST_WORKERS": str(max(workers, 1)),
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
    )
    locust = python_bin("locust")
    common = ["-f", str(LOCUSTFILE), "--host", run.host]
    head = [
        locust,
        *common,
        "--headless",
        "-u",
        str(users),
        "-r",
        f"{spawn_rate:g}",
        "--run-time",
        f"{run_time}s",
        "--stop-timeout",
        str(STOP_TIMEOUT),
        "--csv",
        str(folder / "locust"),
        "--csv-full-history",
        "--html",
        str(folder / "locust.html"),
        "--json-file",
        str(folder / "locust"),  # Locust appends .json
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    procs: list[subprocess.Popen] = []
    logs = []
    lr = LocustRun(folder, users, rate, seconds, wall_start=time.time())
    if workers:
        master_port = free_port()
        head += [
            "--master",
            "--expect-workers",
            str(workers),
            "--master-bind-port",
            str(master_port),
        ]
    log = (folder / "locust.log").open("w")
    logs.append(log)
    master = subprocess.Popen(
        head, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    for i in range(workers):
        wlog = (folder / f"locust-worker-{i}.log").open("w")
        logs.append(wlog)
        procs.append(
            subprocess.Popen(
                [
                    locust,
                    *common,
                    "--worker",
                    "--master-host",
                    "127.0.0.1",
                    "--master-port",
                    str(master_port),
                    "--loglevel",
                    "WARNING",
                ],
                cwd=ROOT,
                env=env,
                stdout=wlog,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    expected = run_time + STOP_TIMEOUT
    cpu_before: dict | None = None
    cpu_started = 0.0
    steady_from = users / spawn_rate + START_DELAY + 2
    steady_to = run_time - 1
    try:
        with Live(
            console=console, refresh_per_second=2, transient=True, redirect_stdout=False
        ) as live:
            while master.poll() is None:
                elapsed = time.time() - lr.wall_start
                roots = [run.system_pid, master.pid, *(p.pid for p in procs)]
                if cpu_before is None and elapsed >= steady_from:
                    cpu_before, cpu_started = cpu_snapshot(roots), time.time()
                if cpu_before is not None and not lr.cpu and elapsed >= steady_to:
                    lr.cpu = cpu_by_role(cpu_before, cpu_snapshot(roots), time.time() - cpu_started)
                live.update(
                    _progress(
                        label, folder, elapsed, run_time, users, rate, status() if status else None
                    )
                )
                if stop_when is not None and stop_when():
                    master.send_signal(signal.SIGTERM)  # Locust writes its reports on SIGTERM
                    stop_when = None
                if elapsed > expected + 60:
                    master.send_signal(signal.SIGTERM)
                time.sleep(0.5)
    finally:
        for p in [master, *procs]:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        for fh in logs:
            fh.close()
    lr.returncode = master.returncode
    lr.wall_end = time.time()
    return lr


def _progress(
    label: str,
    folder: Path,
    elapsed: float,
    total: float,
    users: int,
    rate: float,
    status: str | None,
) -> Table:
    rows = report.locust_rows(folder / "locust_stats.csv")
    client = rows.get("TRANSFER accept_to_settled (client)", {})
    server = rows.get("TRANSFER accept_to_settled (server)", {})
    accept = rows.get("POST /v1/transfers", {})
    table = Table(title=f"{label}: {users} users, {rate:g} transfers/s offered", show_header=True)
    for col in ("elapsed", "accepted", "settled", "failures", "p99 client", "p99 server"):
        table.add_column(col, justify="right")
    table.add_row(
        f"{min(elapsed, total):.0f}/{total:.0f} s",
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


# --------------------------------------------------------------------------- figures


def reconcile(run: Run) -> dict:
    """`shunfuri reconcile` against the run's database; counts or nulls when unavailable."""
    empty = {"missing": None, "doubled": None, "mismatched": None}
    if not run.database_url and run.data_dir is None:
        return {**empty, "error": "no database known (pass LOADTEST_DATABASE_URL with --host)"}
    env = dict(run.env or os.environ)
    if run.database_url and not run.embedded:
        env["DATABASE_URL"] = run.database_url
    cmd = [python_bin("shunfuri"), "reconcile"]
    if run.data_dir is not None:
        cmd += ["--data-dir", str(run.data_dir)]
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {**empty, "error": str(exc)}
    text = proc.stdout + proc.stderr
    (run.out / "reconcile.txt").write_text(text)
    if "No such command" in text:
        return {**empty, "error": "`shunfuri reconcile` is not available yet"}
    found = dict(empty)
    with suppress(ValueError):
        data = json.loads(proc.stdout)
        if isinstance(data, dict):
            for key in found:
                if isinstance(data.get(key), int):
                    found[key] = data[key]
    for key in found:
        if found[key] is None:
            match = re.search(rf"{key}\D{{0,20}}?(\d+)", text, re.IGNORECASE)
            if match:
                found[key] = int(match.group(1))
    found["exit_code"] = proc.returncode
    if any(v is None for k, v in found.items() if k in empty):
        found["error"] = "could not read the counts; see reconcile.txt"
    return found


def collect(folder: Path, scenario: str, *, speed: float = 1.0) -> tuple[dict, list[dict]]:
    samples = report.read_samples(folder / "samples")
    rows = report.locust_json_rows(folder / "locust.json") or report.locust_rows(
        folder / "locust_stats.csv"
    )
    # Failed requests outside the transfer rows: refused POSTs, failed polls, logins, payees.
    no_sample = sum(
        v["failures"] for k, v in rows.items() if not k.startswith("TRANSFER") and k != "Aggregated"
    )
    summary = report.summarise(samples, scenario=scenario, extra_failed=no_sample)
    summary["locust"] = {k: v for k, v in rows.items() if k != "Aggregated"}
    summary["failed_requests"] = sum(v["failures"] for k, v in rows.items() if k != "Aggregated")
    summary["clock_speed"] = speed
    return summary, samples


def finish(run: Run, summary: dict, samples: list[dict], folder: Path) -> dict:
    report.write_samples(folder / "samples.csv", samples)
    report.chart(
        samples,
        folder / "accept_to_settled.png",
        title=f"{summary['scenario']}: accept -> settled over the run ({run.host})",
    )
    return summary


# --------------------------------------------------------------------------- scenarios


def _members_file(folder: Path, members: list[dict]) -> Path:
    path = folder / "members.json"
    path.write_text(json.dumps(members))
    return path


def steady(run: Run, *, label: str, workers: int = 0) -> dict:
    """instant / distributed: one steady run."""
    opts = run.opts
    users = opts.users or max(1, math.ceil(opts.rate))
    members = create_members(
        run, members_needed(users, opts.rate, opts.duration), opts.scenario.payees
    )
    mfile = _members_file(run.out, members)
    pg_before = pg_counters(run.database_url)
    lr = run_locust(
        run,
        folder=run.out,
        members_file=mfile,
        users=users,
        rate=opts.rate,
        seconds=opts.duration,
        label=label,
        workers=workers,
    )
    summary, samples = collect(run.out, opts.scenario.name, speed=run.speed)
    summary.update(
        {
            "offered_rate": opts.rate,
            "users": users,
            "duration_s_requested": opts.duration,
            "locust_exit_code": lr.returncode,
            "locust_workers": workers,
            "cpu": lr.cpu,
            "postgres": pg_per_transfer(
                pg_before, pg_counters(run.database_url), summary["accepted"]
            ),
        }
    )
    return finish(run, summary, samples, run.out)


def web(run: Run) -> dict:
    """The instant scenario's API load, and beside it members using the pages: page
    p50/p95/p99 (per page and over all) and their own accept -> settled."""
    from loadtests.scenarios import PAGES_PER_WEB_TRANSFER

    opts = run.opts
    api_users = opts.users or max(1, math.ceil(opts.rate))
    pages_per_s = opts.web_rate if opts.web_rate is not None else opts.scenario.extra["web_rate"]
    flows_per_s = pages_per_s / PAGES_PER_WEB_TRANSFER
    web_users = max(1, math.ceil(flows_per_s))
    members = create_members(
        run, members_needed(api_users, opts.rate, opts.duration), opts.scenario.payees
    )
    web_members = create_members(
        run, members_needed(web_users, flows_per_s, opts.duration), opts.scenario.payees
    )
    mfile = _members_file(run.out, members)
    wfile = run.out / "web-members.json"
    wfile.write_text(json.dumps(web_members))
    pg_before = pg_counters(run.database_url)
    total = api_users + web_users
    lr = run_locust(
        run, folder=run.out, members_file=mfile, users=total,
        # Locust spreads the offered rate over every user; the API users must offer
        # `opts.rate` on their own, so the per-user rate is taken over the API users.
        rate=opts.rate * total / api_users, seconds=opts.duration, label="web",
        extra_env={
            "LOADTEST_WEB_MEMBERS": str(wfile),
            "LOADTEST_WEB_USERS": str(web_users),
            "LOADTEST_WEB_USER_RATE": f"{flows_per_s / web_users:.6f}",
        },
    )
    summary, samples = collect(run.out, "web", speed=run.speed)
    web_samples = report.read_samples(run.out / "samples", pattern="web-samples-*.csv")
    web_summary = report.summarise(web_samples, scenario="web")
    pages = {k: v for k, v in summary["locust"].items() if " WEB " in f" {k} "}
    locust_json = run.out / "locust.json"
    # The 瞬フリ pages proper: not the one-off login and payee set-up, and not the
    # status panel's long-poll, which is held open until the transfer moves by design.
    flow = [k for k in pages if not any(x in k for x in ("/login", "/payees", "panel"))]
    flow_requests = sum(pages[k]["requests"] for k in flow) + sum(
        pages[k]["requests"] for k in pages if "panel" in k)
    page_times = report.locust_json_all(locust_json, prefix="WEB ", exclude=("/login", "/payees",
                                                                             "panel"))
    login_times = report.locust_json_all(locust_json, prefix="WEB POST /login")
    summary.update(
        {
            "offered_rate": opts.rate,
            "users": api_users,
            "duration_s_requested": opts.duration,
            "locust_exit_code": lr.returncode,
            "cpu": lr.cpu,
            "postgres": pg_per_transfer(
                pg_before, pg_counters(run.database_url), summary["accepted"]
            ),
            "web": {
                **web_summary,
                "users": web_users,
                "offered_pages_per_s": pages_per_s,
                "pages_ms": report.distribution(page_times),
                "login_ms": report.distribution(login_times),
                "pages_per_s": round(flow_requests / web_summary["duration_s"], 2)
                if web_summary["duration_s"] else 0.0,
                "by_page": pages,
            },
        }
    )
    return finish(run, summary, samples, run.out)


def ramp(run: Run) -> dict:
    """Step the offered rate up; the knee is the highest step that holds the targets."""
    opts = run.opts
    steps = [s for s in opts.scenario.steps if s >= opts.rate] or [opts.rate]
    most = max(steps)
    members = create_members(
        run,
        members_needed(int(most), sum(steps) / len(steps), opts.duration * len(steps)),
        opts.scenario.payees,
    )
    mfile = _members_file(run.out, members)
    results = []
    knee = None
    all_samples: list[dict] = []
    for rate in steps:
        users = max(1, math.ceil(rate))
        folder = run.out / f"step-{int(rate):04d}"
        lr = run_locust(
            run,
            folder=folder,
            members_file=mfile,
            users=users,
            rate=rate,
            seconds=opts.duration,
            label=f"ramp {rate:g}/s",
        )
        summary, samples = collect(folder, "ramp", speed=run.speed)
        finish(run, summary, samples, folder)
        all_samples.extend(samples)
        holds, why = step_holds(summary, samples, rate)
        step = {
            "rate": rate,
            "holds": holds,
            "why": why,
            "settled_per_s": summary["settled_per_s"],
            "accepted_per_s": summary["accepted_per_s"],
            "failed": summary["failed"],
            "client": summary["accept_to_settled_ms"]["client"],
            "server": summary["accept_to_settled_ms"]["server"],
            "locust_exit_code": lr.returncode,
            "cpu": lr.cpu,
        }
        results.append(step)
        console.print(
            f"  step {rate:g}/s: settled {summary['settled_per_s']}/s, "
            f"p99 client {summary['accept_to_settled_ms']['client']['p99']} ms, "
            f"failed {summary['failed']} -> {'holds' if holds else 'KNEE PASSED: ' + why}"
        )
        if not holds:
            break
        knee = step
    # Top-level figures: the knee step's (the highest rate that held), else the first step.
    chosen = knee or results[0]
    folder = run.out / f"step-{int(chosen['rate']):04d}"
    summary, samples = collect(folder, "ramp", speed=run.speed)
    summary["failed"] = (
        sum(r["failed"] for r in results if r["holds"]) if knee else summary["failed"]
    )
    summary["steps"] = results
    summary["knee"] = {
        "rate": knee["rate"] if knee else None,
        "settled_per_s": knee["settled_per_s"] if knee else None,
    }
    report.chart(
        all_samples,
        run.out / "accept_to_settled.png",
        title="ramp: accept -> settled across all steps",
    )
    report.write_samples(run.out / "samples.csv", all_samples)
    return summary


def step_holds(summary: dict, samples: list[dict], rate: float) -> tuple[bool, str]:
    client = summary["accept_to_settled_ms"]["client"]
    if summary["failed"]:
        return False, f"{summary['failed']} failed"
    if client["p99"] is None or client["p99"] > RAMP_P99_LIMIT_MS:
        return False, f"p99 {client['p99']} ms > {RAMP_P99_LIMIT_MS:.0f} ms"
    if summary["settled_per_s"] < RAMP_MIN_DELIVERED * rate:
        return False, f"settled {summary['settled_per_s']}/s < {RAMP_MIN_DELIVERED:.0%} of offered"
    if growing_backlog(samples):
        return False, "latency grows through the step (backlog)"
    return True, ""


def growing_backlog(samples: list[dict]) -> bool:
    """Latency in the last third of a step well above the first third: the queue grows."""
    done = [s for s in samples if s["client_ms"] is not None]
    if len(done) < 30:
        return False
    third = len(done) // 3
    first = report.percentile([s["client_ms"] for s in done[:third]], 50) or 0
    last = report.percentile([s["client_ms"] for s in done[-third:]], 50) or 0
    return last > max(3 * first, first + 200)


def batch(run: Run) -> dict:
    """N transfers scheduled for 09:30, then the settle time measured beside instant load."""
    from sqlalchemy import create_engine, text

    from shunfuri.db.session import normalise_url
    from shunfuri.domain.instants import parse_instant

    opts = run.opts
    if not run.database_url:
        raise RuntimeError("the batch scenario reads the database: set LOADTEST_DATABASE_URL")
    if run.simulated_now() is None:
        raise RuntimeError("the batch scenario needs the simulated clock (SHUNFURI_CLOCK[_ANCHOR])")
    count = opts.count or opts.scenario.count
    due = parse_instant(BATCH_DUE)
    opens = parse_instant(BATCH_INSTANT_WINDOW_OPENS)
    per_member = 2_000
    batch_members = create_members(run, max(1, math.ceil(count / per_member)), STANDARD_PAYEES)
    users = opts.users or max(1, math.ceil(opts.rate))
    seconds_to_due = (due - run.simulated_now()).total_seconds() / run.speed
    horizon = seconds_to_due + 150
    instant_members = create_members(
        run, members_needed(users, opts.rate, horizon), opts.scenario.payees
    )
    mfile = _members_file(run.out, instant_members)

    console.print(f"seeding {count:,} scheduled transfers through accept_many ...")
    seed_started = time.time()
    payee_ids = register_payees(run, batch_members)
    seeded = seed_batch(run, batch_members, payee_ids, count)
    seed_seconds = time.time() - seed_started
    now_sim = run.simulated_now()
    if now_sim >= opens:
        raise RuntimeError(
            f"seeding ended at simulated {now_sim.isoformat()}, after 09:00: the transfers were "
            "not all scheduled; lower --speed or --count"
        )
    engine = create_engine(normalise_url(run.database_url), pool_size=1)
    member_ids = [m["member_id"] for m in batch_members]
    counts_sql = text(
        "SELECT status, count(*) FROM transfers WHERE member_id = ANY(:ids) GROUP BY status"
    )

    state: dict = {"counts": {}, "due_wall": None, "done_wall": None, "last": 0.0}

    # The workers first take the seeded rows up (credit hold -> `scheduled`). That burst is
    # timed on its own; the instant load starts once it is over, so what the instant rows
    # measure is the 09:30 batch beside them (see docs/performance.md).
    hold_started = time.time()
    hold_seconds = None
    while time.time() - hold_started < 120 and run.simulated_now() < due:
        with engine.connect() as conn:
            counts = dict(conn.execute(counts_sql, {"ids": member_ids}).all())
        if counts.get("scheduled", 0) + counts.get("settled", 0) >= seeded:
            hold_seconds = time.time() - hold_started
            break
        time.sleep(0.25)
    console.print(f"seeded rows scheduled (credit held) after {hold_seconds} s")

    def poll() -> dict[str, int]:
        if time.time() - state["last"] < 0.5:
            return state["counts"]
        with engine.connect() as conn:
            state["counts"] = dict(conn.execute(counts_sql, {"ids": member_ids}).all())
        state["last"] = time.time()
        sim = run.simulated_now()
        if state["due_wall"] is None and sim >= due:
            state["due_wall"] = time.time() - (sim - due).total_seconds() / run.speed
        if (
            state["due_wall"] is not None
            and state["done_wall"] is None
            and state["counts"].get("settled", 0) >= seeded
        ):
            state["done_wall"] = time.time()
        return state["counts"]

    def stop_when() -> bool:
        poll()
        if state["done_wall"] is not None:
            return time.time() - state["done_wall"] > 5  # a few seconds of instant load after
        return state["due_wall"] is not None and time.time() - state["due_wall"] > 240

    def status() -> str:
        c = state["counts"]
        sim = run.simulated_now()
        return (
            f"simulated {sim.astimezone(due.tzinfo).strftime('%H:%M:%S')} UTC "
            f"(09:30 JST = 00:30 UTC); batch: "
            + ", ".join(f"{k} {v}" for k, v in sorted(c.items()))
        )

    lr = run_locust(
        run,
        folder=run.out,
        members_file=mfile,
        users=users,
        rate=opts.rate,
        seconds=horizon + 120,
        label=f"batch {count:,} + instant {opts.rate:g}/s",
        stop_when=stop_when,
        status=status,
    )
    poll()
    summary, samples = collect(run.out, "batch", speed=run.speed)
    settle = (
        (state["done_wall"] - state["due_wall"])
        if state["done_wall"] and state["due_wall"]
        else None
    )
    summary.update(
        {
            "offered_rate": opts.rate,
            "users": users,
            "locust_exit_code": lr.returncode,
            "batch": {
                "count": count,
                "seeded": seeded,
                "seed_seconds": round(seed_seconds, 2),
                "hold_seconds": None if hold_seconds is None else round(hold_seconds, 2),
                "members": len(batch_members),
                "final_counts": state["counts"],
                "settle_seconds": round(settle, 3) if settle is not None else None,
                "settled_per_s": round(seeded / settle, 1) if settle else None,
            },
        }
    )
    engine.dispose()
    return finish(run, summary, samples, run.out)


def register_payees(run: Run, members: list[dict]) -> dict[int, int]:
    def one(m: dict) -> tuple[int, int]:
        with httpx.Client(base_url=run.host, timeout=30) as client:
            login = client.post(
                "/v1/login", json={"card_number": m["card_number"], "pin": m["pin"]}
            )
            login.raise_for_status()
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            resp = client.post(
                "/v1/payees",
                headers=headers,
                json={
                    "bank_code": m["bank_code"],
                    "branch_code": m["branch_code"],
                    "account_type": "ordinary",
                    "account_number": f"{m['member_id'] % 9_000_000 + 1_000_000:07d}",
                    "holder_name": "ﾔﾏﾀﾞ ﾊﾅｺ",
                },
            )
            resp.raise_for_status()
            return m["member_id"], resp.json()["id"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        return dict(pool.map(one, members))


def seed_batch(run: Run, members: list[dict], payee_ids: dict[int, int], count: int) -> int:
    """Bulk acceptance through the product's own path (`services.transfers.accept_many`)."""
    from shunfuri.services import transfers

    if not hasattr(transfers, "accept_many"):
        raise RuntimeError("shunfuri.services.transfers.accept_many is not there yet")
    os.environ["DATABASE_URL"] = run.database_url or ""
    from shunfuri.db.session import session_factory
    from shunfuri.settings import get_settings

    get_settings.cache_clear()
    factory = session_factory()
    seeded = 0
    per_member = math.ceil(count / len(members))
    left = count
    for m in members:
        n = min(per_member, left)
        if n <= 0:
            break
        with factory() as session:
            seeded += transfers.accept_many(
                session,
                member_id=m["member_id"],
                payee_id=payee_ids[m["member_id"]],
                amounts=[TRANSFER_AMOUNT] * n,
                now=run.simulated_now(),
                wall=datetime.now(UTC),
            )
        left -= n
    return seeded


# --------------------------------------------------------------------------- entry point


def execute(opts: Options) -> tuple[dict, list[dict], Path]:
    """Run one scenario; returns (summary, verdict rows, results folder)."""
    stamp = (
        datetime.now().strftime("%Y%m%d-%H%M%S") + f"-{opts.scenario.name}-{uuid.uuid4().hex[:4]}"
    )
    out = opts.out or RESULTS / stamp
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    with system(opts, out) as run:
        pg: dict = {"tps": None}
        if run.database_url:
            console.print("measuring the machine: transfer-shaped pgbench ...")
            pg = pgbench_tps(run.database_url, out, opts.pgbench_seconds)
        else:
            pg = scratch_pgbench(out, opts.pgbench_seconds)
        name = opts.scenario.name
        if name == "ramp":
            summary = ramp(run)
        elif name == "batch":
            summary = batch(run)
        elif name == "web":
            summary = web(run)
        else:
            summary = steady(run, label=name, workers=opts.workers if name == "distributed" else 0)
        console.print("reconciling ...")
        summary["reconcile"] = reconcile(run)
        summary["pgbench_tps"] = pg.get("tps")
        summary["pgbench"] = pg
        summary["machine"] = machine()
        summary["host"] = run.host
        summary["system_started_here"] = opts.host is None
        summary["database"] = _database_label(run)
        summary["clock"] = {"start": opts.scenario.clock, "speed": run.speed}
        summary["started_at"] = datetime.fromtimestamp(started, UTC).isoformat()
        summary["wall_seconds"] = round(time.time() - started, 1)
    rows = report.verdict(summary, opts.scenario.targets)
    summary["verdict"] = rows
    summary["ok"] = all(r["ok"] for r in rows)
    report.write_summary(out / "summary.json", summary)
    return summary, rows, out


def _database_label(run: Run) -> str:
    """Which PostgreSQL the figures are on, for the results (no password)."""
    from sqlalchemy.engine import make_url

    if not run.database_url:
        return "unknown"
    if run.embedded:
        return "embedded (the private PostgreSQL of `shunfuri up`, Unix socket)"
    return make_url(run.database_url).render_as_string(hide_password=True)


def scratch_pgbench(out: Path, seconds: float) -> dict:
    server = os.environ.get("LOADTEST_DATABASE_URL", DEFAULT_SERVER)
    try:
        url = create_database(server, f"shunfuri_pgbench_{uuid.uuid4().hex[:8]}")
    except Exception as exc:  # noqa: BLE001
        return {"tps": None, "error": str(exc)}
    try:
        return pgbench_tps(url, out, seconds)
    finally:
        drop_database(url)
