"""What a load-test run is given and what it runs against, as typed records.

`Options` is the command line; `Target` the system under load (started by the runner or
named with `--host`); `Run` bundles them with the results folder, and is what each
scenario module (`loadtests/runs/`) receives.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from loadtests.scenarios import Scenario

DEFAULT_PREFER_WAIT_S = 10
DEFAULT_HISTORY = 100_000  # past transfers before a run (`loadtests/history.py`)
DEFAULT_PGBENCH_S = 5.0  # the machine measurement every result is quoted with


@dataclass(frozen=True, kw_only=True)
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
    apply_rate: float | None = None  # apply: applications/s
    baseline: bool = True  # apply: first the transfers alone, for comparison
    # `Prefer: wait=N` on `POST /v1/transfers` (0: POST, then `GET ?wait=` as before)
    prefer_wait: int = DEFAULT_PREFER_WAIT_S
    pgbench_seconds: float = DEFAULT_PGBENCH_S
    # Past transfers in the database before the run (`loadtests/history.py`).
    history: int = DEFAULT_HISTORY


@dataclass(frozen=True, kw_only=True)
class Target:
    """The system under load: how to reach it and what it runs on."""

    host: str
    admin_key: str
    database_url: str | None
    speed: float
    clock_anchor: float | None = None  # wall time (epoch s) at which the clock started
    clock_start: datetime | None = None  # the simulated instant at `clock_anchor`
    data_dir: Path | None = None  # `shunfuri up --data-dir`, when started here
    env: Mapping[str, str] = field(default_factory=dict)  # for commands against it
    pid: int | None = None  # root of its process tree, when started here
    embedded: bool = False  # on `up`'s private servers, found through `data_dir`

    def simulated_now(self) -> datetime | None:
        if self.clock_start is None or self.clock_anchor is None:
            return None
        return self.clock_start + timedelta(seconds=(time.time() - self.clock_anchor) * self.speed)

    def database_label(self) -> str:
        """Which PostgreSQL the figures are on, for the results (no password)."""
        from sqlalchemy.engine import make_url

        if not self.database_url:
            return "unknown"
        if self.embedded:
            return "embedded (the private PostgreSQL of `shunfuri up`, Unix socket)"
        return make_url(self.database_url).render_as_string(hide_password=True)


@dataclass(frozen=True, kw_only=True)
class Run:
    opts: Options
    target: Target
    out: Path
