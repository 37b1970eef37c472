"""CPU by process over a window of steady load, and per settled transfer.

Which processes count: the process trees the runner started (`shunfuri up`: API,
workers, beat, bank simulator, a private Redis; and Locust), the PostgreSQL cluster that
serves the run's database (its postmaster and background processes, and the backends of
that database only: on a shared server other databases' sessions are left out), and,
when the system runs on the machine's Redis, that redis-server (shared: other users'
commands count too). The machine's own busy time is reported beside them, so a window
disturbed by other work on the machine shows.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass

from shunfuri.cli.children import title

# The process groups; `supervisor` (`shunfuri up`) and the mail sink are "other".
GROUPS = ("api", "workers", "postgresql", "redis", "bank simulator", "locust")
GROUP_OF_ROLE = {
    "api": "api",
    "worker (instant)": "workers",
    "worker (batch)": "workers",
    "worker (screening)": "workers",
    "celery beat": "workers",
    "celery": "workers",
    "postgresql": "postgresql",
    "redis": "redis",
    "bank simulator": "bank simulator",
    "locust": "locust",
}
# A Locust process is single-threaded (gevent): near one core it cannot offer more, and
# a figure measured there is the load generator's ceiling, not the system's.
LOCUST_LIMITED_CORES = 0.85
# A client backend's title: `postgres: [CLUSTER: ]USER DB HOST(PORT)|[local] state`
# (Debian's clusters set cluster_name, e.g. `15/main`).
_BACKEND = re.compile(r"^postgres: (?:\S+: )?(\S+) (\S+) (\S+\(\d+\)|\[local\])")


# The names `shunfuri up` gives the processes it forks (shunfuri/cli/children.py): their
# command line is `up`'s own. A Celery worker's pool processes inherit their parent's.
FORKED = {title(child): part for child, part in (
    ("api", "api"), ("worker", "worker (instant)"), ("batch", "worker (batch)"),
    ("screening", "worker (screening)"), ("beat", "celery beat"), ("bank", "bank simulator"),
    ("bureau", "bureau simulator"), ("mail", "mail sink"))}


def role(proc) -> str | None:  # type: ignore[no-untyped-def]
    """Which part of the system a process is, from its name or its command line."""
    try:
        name = proc.name()
        cmd = " ".join(proc.cmdline())
    except Exception:  # noqa: BLE001 - it may have exited
        return None
    if name in FORKED:
        return FORKED[name]
    if "multiprocessing" in cmd:  # uvicorn --workers N children: their parent's role
        try:
            return role(proc.parent())
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
    if "bureau-simulator" in cmd:
        return "bureau simulator"
    if "celery" in cmd:
        for part, named in (("beat", "celery beat"), ("-Q batch", "worker (batch)"),
                            ("-Q instant", "worker (instant)"),
                            ("-Q applications", "worker (screening)")):
            if part in cmd:
                return named
        return "celery"
    if "honcho" in cmd or " up " in cmd:
        return "supervisor"
    return None


@dataclass(frozen=True)
class Snapshot:
    at: float  # wall time
    by_pid: dict[int, tuple[str, float]]  # pid -> (role, CPU seconds so far)
    machine_busy_s: float  # every process on the machine, from /proc/stat


def snapshot(roots: Iterable[int | None], *, database: str | None,
             machine_redis: bool) -> Snapshot:
    """CPU seconds used so far by the trees under `roots`, by the PostgreSQL cluster of
    `database` (see the module's docstring) and, with `machine_redis`, by every
    redis-server on the machine."""
    import psutil

    procs = []
    for pid in roots:
        if pid is None:
            continue
        with suppress(Exception):
            root = psutil.Process(pid)
            procs += [root, *root.children(recursive=True)]
    procs += _postgres_of(database, psutil.process_iter())
    if machine_redis:
        procs += [p for p in psutil.process_iter() if role(p) == "redis"]
    by_pid = {}
    for proc in procs:
        found = role(proc)
        if found is None or proc.pid in by_pid:
            continue
        try:
            t = proc.cpu_times()
        except Exception:  # noqa: BLE001 - it exited
            continue
        by_pid[proc.pid] = (found, t.user + t.system)
    total = psutil.cpu_times()
    busy = sum(total) - total.idle - getattr(total, "iowait", 0.0)
    return Snapshot(at=time.time(), by_pid=by_pid, machine_busy_s=busy)


def _postgres_of(database: str | None, processes: Iterable) -> list:  # type: ignore[type-arg]
    """The cluster serving `database`: its postmaster, background processes and the
    backends of `database` (not other databases' sessions). Every PostgreSQL process
    when the database is unknown."""
    postgres = [p for p in processes if role(p) == "postgresql"]
    if database is None:
        return postgres
    cmdlines = {}
    for p in postgres:
        with suppress(Exception):
            cmdlines[p.pid] = " ".join(p.cmdline())
    ours = [p for p in postgres if _backend_db(cmdlines.get(p.pid, "")) == database]
    postmasters = set()
    for p in ours:
        with suppress(Exception):
            postmasters.add(p.ppid())
    chosen = []
    for p in postgres:
        try:
            parent = p.ppid()
        except Exception:  # noqa: BLE001
            continue
        if p.pid in postmasters:
            chosen.append(p)
        elif parent in postmasters:
            db = _backend_db(cmdlines.get(p.pid, ""))
            if db is None or db == database:  # background process, or our session
                chosen.append(p)
    return chosen


def _backend_db(cmdline: str) -> str | None:
    """The database of a client backend (`postgres: USER DB HOST(PORT) state`), else None."""
    match = _BACKEND.match(cmdline)
    return match.group(2) if match else None


@dataclass(frozen=True)
class Window:
    """CPU used between two snapshots."""

    start: float
    end: float
    by_role: dict[str, float]  # CPU seconds
    locust_processes: tuple[float, ...]  # cores busy, each Locust process
    machine_busy_s: float

    @property
    def seconds(self) -> float:
        return max(self.end - self.start, 1e-9)

    @property
    def locust_limited(self) -> bool:
        return max(self.locust_processes, default=0.0) >= LOCUST_LIMITED_CORES

    def by_group(self) -> dict[str, float]:
        """CPU seconds by the issue's groups (every group present, 0 when idle)."""
        out = dict.fromkeys(GROUPS, 0.0)
        for name, used in self.by_role.items():
            group = GROUP_OF_ROLE.get(name, "other")
            out[group] = out.get(group, 0.0) + used
        return out

    def to_dict(self) -> dict:
        ordered = sorted(self.by_role.items(), key=lambda kv: -kv[1])
        return {
            "window_s": round(self.seconds, 1),
            "window": [round(self.start, 3), round(self.end, 3)],
            "cores_busy": {k: round(v / self.seconds, 3) for k, v in ordered},
            "total_cores_busy": round(sum(self.by_role.values()) / self.seconds, 3),
            "machine_cores_busy": round(self.machine_busy_s / self.seconds, 3),
            "locust_process_cores": [round(c, 3) for c in self.locust_processes],
            "locust_limited": self.locust_limited,
        }

    def per_settled(self, settled: int) -> dict:
        """CPU milliseconds per transfer settled in the window: in all and by group."""
        groups = self.by_group()

        def ms(seconds: float) -> float | None:
            return round(seconds * 1000.0 / settled, 3) if settled else None

        return {
            "settled_in_window": settled,
            "total": ms(sum(groups.values())),
            "by_process": {k: ms(v) for k, v in groups.items()},
        }


def between(before: Snapshot, after: Snapshot) -> Window:
    used: dict[str, float] = {}
    locust: list[float] = []
    seconds = max(after.at - before.at, 1e-9)
    for pid, (name, total) in after.by_pid.items():
        start = before.by_pid.get(pid, (name, 0.0))[1]
        spent = max(0.0, total - start)
        used[name] = used.get(name, 0.0) + spent
        if name == "locust":
            locust.append(spent / seconds)
    return Window(start=before.at, end=after.at, by_role=used,
                  locust_processes=tuple(sorted(locust, reverse=True)),
                  machine_busy_s=max(0.0, after.machine_busy_s - before.machine_busy_s))


def settled_between(samples: Sequence[dict], start: float, end: float) -> int:
    """Transfers whose `settled` the client saw between `start` and `end` (wall times)."""
    count = 0
    for s in samples:
        if s["status"] != "settled" or s["client_ms"] is None:
            continue
        seen = s["started_at"] + s["client_ms"] / 1000.0
        if start <= seen <= end:
            count += 1
    return count
