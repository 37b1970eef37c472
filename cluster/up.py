"""`shunfuri cluster up|down|status`: make the network, start the hosts in order, wait
until each answers; and take it all away again.

Order: the network; PostgreSQL, Redis and the bank's own PostgreSQL with their proxies;
the databases and the migrations (`shunfuri migrate`, from the root namespace through the
proxy); then the bank, the API hosts, the worker hosts, Prometheus. Every wait has a
deadline; a failed start shows the log's tail and takes the cluster down again.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg

from cluster import netns, prometheus
from cluster.hosts import API_PORT, EXPORTER_PORT, Topology
from cluster.layout import ROOT, Layout
from cluster.processes import (
    APP_DATABASE,
    BANK_DATABASE,
    SHUNFURI,
    Config,
    Proc,
    base_env,
    database_url,
    pg_bin,
    processes,
)
from cluster.supervisor import request

START_CLOCK = "2026-12-01T10:00:00+09:00"  # a Tuesday morning: every bank open
WAIT_S = 120.0
PROMETHEUS = Path("/usr/bin/prometheus")


class StartFailed(RuntimeError):
    pass


def wait_for(what: str, check: Callable[[], bool], timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except (OSError, httpx.HTTPError, psycopg.Error):
            pass
        if time.monotonic() > deadline:
            raise StartFailed(f"{what} did not come up within {timeout:.0f} s")
        time.sleep(0.25)


def is_up(layout: Layout) -> bool:
    try:
        request(layout, {"op": "status"}, timeout=3)
    except (OSError, RuntimeError, ValueError):
        return False
    return True


def up(layout: Layout, topology: Topology, *, clock: str = START_CLOCK,
       ttl_s: float = 7200.0, seed: int = 0, quiet: bool = False) -> dict:
    """Start the cluster and return its state (what `cluster.json` holds)."""
    netns.require_root_linux()
    if not PROMETHEUS.exists():
        raise SystemExit("Prometheus is not installed: `make cluster` installs Debian's "
                         "package (apt-get install prometheus)")
    if layout.state.exists() or netns.exists(topology):
        raise SystemExit(f"a cluster is up (or was not taken down) in {layout.root}: "
                         "`shunfuri cluster down` first")
    shutil.rmtree(layout.root, ignore_errors=True)
    layout.make()
    try:
        state = _prepare(layout, topology, clock=clock, ttl_s=ttl_s, seed=seed)
        netns.create(topology)
        _start_supervisor(layout, state)
        _start_in_order(layout, topology, state)
    except (StartFailed, RuntimeError, subprocess.SubprocessError) as exc:
        print(f"cluster up failed: {exc}", file=sys.stderr)
        _show_logs(layout)
        down(layout, topology, quiet=True)
        raise SystemExit(1) from None
    if not quiet:
        print(summary(topology, state))
    return state


def _prepare(layout: Layout, topology: Topology, *, clock: str, ttl_s: float,
             seed: int) -> dict:
    password = layout.new_secret("pg-password")
    layout.new_secret("metrics-token")
    for host in topology.hosts:
        (layout.host(host.name) / "metrics").mkdir(parents=True, exist_ok=True)
    pg = layout.host(topology.first("postgres").name)
    bank = layout.host(topology.first("bank").name)
    for folder, auth in ((pg / "data", ["--auth-host=scram-sha-256",
                                        f"--pwfile={layout.secret('pg-password')}"]),
                         (bank / "pg", [])):
        _initdb(folder, auth)
    (pg / "socket").mkdir(mode=0o700)
    (bank / "pg-socket").mkdir(mode=0o700)
    prom = layout.host(topology.first("prometheus").name)
    (prom / "prometheus.yml").write_text(
        prometheus.config(topology, token_file=layout.secret("metrics-token")))
    now = time.time()
    config = Config(clock=clock, clock_anchor=now, deadline=now + ttl_s, pg_password=password,
                    metrics_token_file=layout.secret("metrics-token"), seed=seed)
    state = {
        "topology": {"prefix": topology.prefix, "subnet": topology.subnet},
        "created": now, "deadline": config.deadline, "clock": clock, "clock_anchor": now,
        "database_url": database_url(topology, config), "runs": [],
        "procs": [p.as_dict() for p in processes(layout, topology, config)],
    }
    layout.write_state(state)
    return state


def _initdb(folder: Path, auth: list[str]) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["unshare", "--user", str(pg_bin() / "initdb"), "-D", str(folder), "-U", "postgres",
         "--auth-local=trust", *auth, "-E", "UTF8", "--locale=C", "--no-instructions",
         "--no-sync"], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise StartFailed(f"initdb {folder}: {done.stdout}{done.stderr}")


def _start_supervisor(layout: Layout, state: dict) -> None:
    with open(layout.supervisor_log, "ab") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "cluster.supervisor", "--dir", str(layout.root)],
            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, env=base_env(layout))
    child.returncode = 0  # it outlives this command; the machine's init adopts it
    state["supervisor_pid"] = child.pid
    layout.write_state(state)
    wait_for("the supervisor", lambda: is_up(layout), timeout=30)


def names(state: dict, *, hosts: list[str] | None = None, network: bool | None = None,
          suffix: str | None = None) -> list[str]:
    """Process names of the state, by host, network or not, and name suffix."""
    out = []
    for p in state["procs"]:
        if hosts is not None and p["host"] not in hosts:
            continue
        if network is not None and p["network"] != network:
            continue
        if suffix is not None and not p["name"].endswith(suffix):
            continue
        out.append(p["name"])
    return out


def _start_in_order(layout: Layout, topology: Topology, state: dict) -> None:
    pg_host, redis_host = topology.first("postgres").name, topology.first("redis").name
    bank_host = topology.first("bank").name
    request(layout, {"op": "start", "names": names(state, hosts=[pg_host, redis_host]) +
                     names(state, hosts=[bank_host], suffix=".bank-postgres")})
    pg_socket = f"postgresql://postgres@/postgres?host={layout.host(pg_host) / 'socket'}"
    bank_socket = f"postgresql://postgres@/postgres?host={layout.host(bank_host) / 'pg-socket'}"
    wait_for("PostgreSQL", lambda: _create_database(pg_socket, APP_DATABASE))
    wait_for("the bank's PostgreSQL", lambda: _create_database(bank_socket, BANK_DATABASE))
    env = {**base_env(layout), "DATABASE_URL": state["database_url"]}
    done = subprocess.run([SHUNFURI, "migrate"], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=180)
    if done.returncode != 0:
        raise StartFailed(f"shunfuri migrate: {done.stdout}{done.stderr}")
    request(layout, {"op": "start", "names": names(state, hosts=[bank_host])})
    wait_for("the bank simulator", lambda: httpx.get(
        f"{topology.url('bank')}/healthz", timeout=2).status_code == 200)
    rest = [h.name for h in topology.hosts if h.name not in (pg_host, redis_host, bank_host)]
    request(layout, {"op": "start", "names": names(state, hosts=rest)})
    for host in topology.with_role("api"):
        url = f"http://{topology.address(host.name)}:{API_PORT}/readyz"
        wait_for(f"{host.name}'s API", lambda url=url: httpx.get(url, timeout=3).status_code == 200)
    for host in topology.hosts:
        if host.is_worker:
            url = f"http://{topology.address(host.name)}:{EXPORTER_PORT}/metrics"
            wait_for(f"{host.name}'s exporter",
                     lambda url=url: httpx.get(url, timeout=3).status_code == 200)
    api = f"http://{topology.address(topology.first('api').name)}:{API_PORT}"
    # The deep check is for operators: it takes the same bearer token as /metrics.
    operators = {"Authorization": f"Bearer {layout.secret('metrics-token').read_text().strip()}"}
    wait_for("a worker round trip (/readyz?deep=1)", lambda: httpx.get(
        f"{api}/readyz?deep=1", headers=operators, timeout=10).status_code == 200)
    prom = f"{topology.url('prometheus')}/-/ready"
    wait_for("Prometheus", lambda: httpx.get(prom, timeout=3).status_code == 200)


def _create_database(url: str, name: str) -> bool:
    with psycopg.connect(url, autocommit=True, connect_timeout=3) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return True
        conn.execute(f'CREATE DATABASE "{name}"')
    return True


def _show_logs(layout: Layout, lines: int = 15) -> None:
    for log in sorted(layout.root.glob("hosts/*/*.log")) + [layout.supervisor_log]:
        if log.exists() and log.stat().st_size:
            tail = log.read_text(errors="replace").splitlines()[-lines:]
            print(f"--- {log.relative_to(layout.root)}\n" + "\n".join(tail), file=sys.stderr)


def summary(topology: Topology, state: dict) -> str:
    rows = [f"  {h.name:<11} {topology.address(h.name):<12} {', '.join(h.roles)}"
            for h in topology.hosts]
    ends = time.strftime("%H:%M:%S", time.localtime(state["deadline"]))
    api = ", ".join(f"http://{topology.address(h.name)}:{API_PORT}"
                    for h in topology.with_role("api"))
    return ("Shunfuri cluster is up (every process ends by itself at " + ends + ")\n"
            + "\n".join(rows) + f"\n  API: {api}\n  Prometheus: {topology.url('prometheus')}"
            f"\n  business clock from {state['clock']}\n"
            "  `shunfuri nemesis --seed N --minutes M` to test it; `shunfuri cluster down` "
            "to take it all away")


def down(layout: Layout, topology: Topology, *, quiet: bool = False) -> list[str]:
    """Stop everything, remove the network and the folder; returns what is left (nothing)."""
    netns.require_root_linux()
    supervisor_pid = None
    if layout.state.exists():
        try:
            supervisor_pid = layout.read_state().get("supervisor_pid")
        except ValueError:
            pass
    if is_up(layout):
        request(layout, {"op": "shutdown"})
    if supervisor_pid:
        end = time.monotonic() + 40
        while _alive(supervisor_pid) and time.monotonic() < end:
            time.sleep(0.2)
        if _alive(supervisor_pid):
            os.kill(supervisor_pid, 9)
    netns.destroy(topology)
    shutil.rmtree(layout.root, ignore_errors=True)
    end = time.monotonic() + 15  # the kernel frees namespaces and links asynchronously
    left = netns.leftovers(topology)
    while left and time.monotonic() < end:
        time.sleep(0.2)
        netns.destroy(topology)
        left = netns.leftovers(topology)
    if layout.root.exists():
        left.append(f"folder {layout.root}")
    if not quiet:
        print("cluster down: nothing left" if not left else f"cluster down left: {left}")
    return left


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def status(layout: Layout, topology: Topology) -> int:
    if not is_up(layout):
        print(f"no cluster is up in {layout.root}")
        return 1
    answer = request(layout, {"op": "status"})
    ends = time.strftime("%H:%M:%S", time.localtime(answer["deadline"]))
    print(f"cluster in {layout.root}; every process ends by {ends}")
    for name, view in answer["procs"].items():
        shown = f"pid {view['pid']}" if view["running"] else "stopped"
        print(f"  {view['host']:<11} {name:<26} {shown:<12} starts {view['starts']}"
              + ("" if view["wanted"] or not view["starts"] else "  (held down)"))
    return 0


__all__ = ["Proc", "down", "names", "status", "up"]
