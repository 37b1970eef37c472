r"""CPU per transfer, by process, for one way of serving `POST /v1/transfers`.

Starts a whole system (`shunfuri up`, as the end-to-end tests do: its own database on
the machine's PostgreSQL, its own Redis db, the bank simulator at 2 ms), then one more
API process of its own - the one measured and, with `--profile`, sampled by py-spy -
and offers `--rate` transfers a second for `--seconds` to it, from many members, evenly
spaced. A transfer is done when the client has seen it settled: in one request with
`Prefer: wait` (`--mode prefer`), or as a POST and then `GET ?wait=` (`--mode poll`, how
clients did it before). CPU is read from /proc (user + system) over the steady part of
the run, for: the measured API process, the instant worker's processes, the bank
simulator and this database's PostgreSQL backends; the machine's speed as the load
tests record it (transfer-shaped pgbench) beside it.

    .venv/bin/python -m loadtests.bench.api_cpu --rate 300 --seconds 20 --mode prefer
    .venv/bin/python -m loadtests.bench.api_cpu --server granian \
        --profile loadtests/bench/results/granian.txt

CPU time is far less sensitive to a busy machine than latency, which is why these
figures, not the latency columns, decide what stays (docs/performance.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

from loadtests.context import DEFAULT_HISTORY
from loadtests.cpu import role
from tests.system import ROOT, free_port, poll, running_system

CLOCK = "2026-12-01T10:00:00+09:00"  # a Tuesday morning: SMBC (0009) settles at once
MEMBERS = 40


def _server_command(server: str, port: int, workers: int) -> list[str]:
    py = sys.executable
    if server == "granian":
        return [py, "-m", "granian", "--interface", "asgi", "--factory", "--host", "127.0.0.1",
                "--port", str(port), "--workers", str(workers), "--loop", "uvloop",
                "--no-ws", "--log-level", "warning", "api.app:create_app"]
    return [py, "-m", "uvicorn", "api.app:create_app", "--factory", "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(workers), "--no-access-log",
            "--log-level", "warning"]


def _seed(system, count: int) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    """(payee id, token) of `count` members with room for the whole run."""
    os.environ["DATABASE_URL"] = system.database_url
    from shunfuri.settings import get_settings

    get_settings.cache_clear()
    from tests import factories

    out = []
    for _ in range(count):
        member = factories.member(credit_limit=10**12)
        out.append((factories.payee(member, bank_code="0009"), factories.token(member)))
    return out


def _tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def _cpu(processes: list[psutil.Process]) -> float:
    total = 0.0
    for proc in processes:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def _roles(system, api_pid: int) -> dict[str, list[psutil.Process]]:  # type: ignore[no-untyped-def]
    roles: dict[str, list[psutil.Process]] = {"api": _tree(api_pid), "worker": [], "bank": []}
    for proc in psutil.Process(system.process.pid).children(recursive=True):
        part = role(proc)
        if part == "worker (instant)":
            roles["worker"].append(proc)
        elif part == "bank simulator":
            roles["bank"].append(proc)
    import psycopg

    from loadtests.databases import libpq_url

    with psycopg.connect(libpq_url(system.database_url), autocommit=True) as conn:
        db = conn.execute("SELECT current_database()").fetchone()[0]
        pids = [r[0] for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (db,))]
    roles["postgresql"] = [psutil.Process(p) for p in pids if psutil.pid_exists(p)]
    return roles


class _Connection:
    """HTTP/1.1 keep-alive over asyncio streams: a client light enough that the machine's
    CPU goes to what is measured (httpx's pool cost more than the API it drove)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, headers: dict[str, str],
                      body: bytes = b"") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}",
                 f"Content-Length: {len(body)}", "Content-Type: application/json"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        assert self.reader is not None
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class _Idle:
    """Keep-alive connections between requests, the latest returned first. uvicorn closes
    a connection idle for 5 s (its keep-alive timeout); a request written to one it has
    closed reads nothing back (IncompleteReadError: 6 of 6,000 in one 300/s run, and
    `loadtests.bench.http_floor` stopped on it). So one idle for 4 s is closed here, not reused."""

    MAX_IDLE_S = 4.0

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._stack: list[tuple[float, _Connection]] = []

    def take(self) -> _Connection:
        while self._stack:
            since, conn = self._stack.pop()
            if time.monotonic() - since < self.MAX_IDLE_S:
                return conn
            conn.close()
        return _Connection(self.host, self.port)

    def give(self, conn: _Connection) -> None:
        self._stack.append((time.monotonic(), conn))

    def close(self) -> None:
        for _, conn in self._stack:
            conn.close()
        self._stack.clear()


async def _drive(url: str, members: list[tuple[int, str]], *, rate: float, seconds: float,
                 mode: str) -> dict:
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    host, port = url.removeprefix("http://").split(":")
    idle = _Idle(host, int(port))

    async def one(i: int) -> None:
        payee, token = members[i % len(members)]
        headers = {"Authorization": f"Bearer {token}"}
        if mode == "prefer":
            headers["Prefer"] = "wait=10"
        conn = idle.take()
        started = time.perf_counter()
        try:
            code, raw = await conn.request(
                "POST", "/v1/transfers", headers,
                json.dumps({"payee_id": payee, "amount": 1000}).encode())
            body = json.loads(raw)
            status = body.get("status") if code < 300 else f"http {code}"
            while mode == "poll" and status in ("accepted", "processing"):
                code, raw = await conn.request(
                    "GET", f"/v1/transfers/{body['id']}?wait=10", headers)
                body = json.loads(raw)
                status = body.get("status") if code < 300 else f"http {code}"
            idle.give(conn)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            status = type(exc).__name__
        outcomes[status] = outcomes.get(status, 0) + 1
        if status == "settled":
            latencies.append(time.perf_counter() - started)

    tasks = []
    start = time.perf_counter()
    total = int(rate * seconds)
    for i in range(total):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    idle.close()
    latencies.sort()

    def pct(q: float) -> float | None:
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 1) \
            if latencies else None

    return {"offered": total, "outcomes": outcomes, "client_ms": {
        "p50": pct(0.5), "p95": pct(0.95), "p99": pct(0.99),
        "mean": round(statistics.fmean(latencies) * 1000, 1) if latencies else None}}


def run(args: argparse.Namespace) -> dict:
    with running_system(clock=CLOCK) as system:
        system.bank(latency_ms=2)
        members = _seed(system, MEMBERS)
        if args.history:
            from loadtests.history import seed_history

            seed_history(system.database_url, args.history)
        port = free_port()
        env = {**system.env, "DATABASE_URL": system.database_url, "BROKER_URL": system.broker_url,
               "SHUNFURI_BANK_URL": system.env_of_children()["SHUNFURI_BANK_URL"]}
        log = open(system.data_dir / "bench-api.log", "w")
        api = subprocess.Popen(_server_command(args.server, port, args.workers), env=env,
                               cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
        try:
            url = f"http://127.0.0.1:{port}"
            poll(lambda: _ready(url), timeout=60, interval=0.2, what="the measured API")
            roles = _roles(system, api.pid)
            # Warm-up: connections, caches, the drain; then the measured window.
            asyncio.run(_drive(url, members, rate=args.rate, seconds=2, mode=args.mode))
            roles = _roles(system, api.pid)
            before = {role: _cpu(procs) for role, procs in roles.items()}
            spies = []
            if args.profile:
                spies.append(_profile(api.pid, args.profile, args.seconds))
            if args.profile_worker:
                spies += [_profile(p.pid, f"{args.profile_worker}.{p.pid}", args.seconds)
                          for p in roles["worker"]]
            wall = time.perf_counter()
            result = asyncio.run(_drive(url, members, rate=args.rate, seconds=args.seconds,
                                        mode=args.mode))
            wall = time.perf_counter() - wall
            after = {role: _cpu(procs) for role, procs in roles.items()}
            for spy in spies:
                spy.wait(timeout=60)
        finally:
            os.killpg(api.pid, signal.SIGTERM)
            api.wait(timeout=20)
            log.close()
        from loadtests.machine import pgbench_tps

        folder = Path(tempfile.mkdtemp(prefix="bench-pgbench-"))
        pgbench = pgbench_tps(system.database_url, folder, 5)
        shutil.rmtree(folder, ignore_errors=True)
    settled = result["outcomes"].get("settled", 0)
    cpu_ms = {role: round((after[role] - before[role]) * 1000 / max(settled, 1), 3)
              for role in after}
    cpu_ms["total"] = round(sum(cpu_ms.values()), 3)
    return {
        "server": args.server, "workers": args.workers, "mode": args.mode,
        "rate": args.rate, "seconds": args.seconds, "wall_s": round(wall, 1),
        "settled": settled, **result,
        "cpu_ms_per_settled_transfer": cpu_ms,
        "cores_busy": {role: round((after[role] - before[role]) / wall, 3) for role in after},
        "pgbench_tps": pgbench.get("tps"),
        "load_average": os.getloadavg(),
    }


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _profile(pid: int, path: str, seconds: float) -> subprocess.Popen:
    spy = str(Path(sys.executable).with_name("py-spy"))
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [spy, "record", "-p", str(pid), "--subprocesses", "-r", "200", "-d",
         str(int(seconds)), "-f", "raw", "-o", str(out), "--nonblocking"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=300)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--mode", choices=("prefer", "poll"), default="prefer")
    parser.add_argument("--server", choices=("uvicorn", "granian"), default="uvicorn")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--profile", help="py-spy raw (collapsed) stacks of the API to here")
    parser.add_argument("--profile-worker",
                        help="py-spy raw stacks of each instant worker process to here.<pid>")
    parser.add_argument("--history", type=int, default=DEFAULT_HISTORY,
                        help="transfers already in the database before the run (a lender's "
                             "tables are never empty; see loadtests/history.py)")
    parser.add_argument("--out", help="append the result as a JSON line here")
    args = parser.parse_args()
    # A stopped run (timeout, Ctrl-C) still stops its system and drops its database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    result = run(args)
    print(json.dumps(result, indent=1))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, "a") as fh:
            fh.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
