"""The load-test runner behind `shunfuri loadtest SCENARIO`.

Unless `--host` names a running system, it starts one (`loadtests/target.py`) on a fresh
PostgreSQL database and a flushed Redis db (`LOADTEST_DATABASE_URL` /
`LOADTEST_BROKER_URL`, by default the machine's), or with `--embedded` (and by default
when no PostgreSQL answers on 127.0.0.1:5432) on the embedded defaults. It measures the
machine with a transfer-shaped pgbench (`loadtests/machine.py`), drives the scenario
(`loadtests/runs/<name>.py`: members, then Locust headless), reconciles, and writes
`loadtests/results/<stamp>/`.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from loadtests import machine, report, seeding
from loadtests.context import Options, Run
from loadtests.figures import reconcile
from loadtests.locust_run import console
from loadtests.runs import apply, batch, ramp, steady, web
from loadtests.target import DEFAULT_SERVER, system_under_load

RESULTS = Path(__file__).resolve().parent / "results"
DRIVERS: dict[str, Callable[[Run], dict]] = {
    "instant": steady.drive,
    "distributed": steady.drive,
    "ramp": ramp.drive,
    "batch": batch.drive,
    "web": web.drive,
    "apply": apply.drive,
}

__all__ = ["Options", "console", "execute"]


def execute(
    opts: Options, environ: Mapping[str, str] = os.environ
) -> tuple[dict, list[dict], Path]:
    """Run one scenario; returns (summary, verdict rows, results folder). `environ`: where
    `LOADTEST_*` and, with `--host`, the system's settings are read."""
    stamp = (
        datetime.now().strftime("%Y%m%d-%H%M%S") + f"-{opts.scenario.name}-{uuid.uuid4().hex[:4]}"
    )
    out = opts.out or RESULTS / stamp
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    with system_under_load(opts, out, environ) as target:
        console.print("measuring the machine: transfer-shaped pgbench ...")
        if target.database_url:
            pg = machine.pgbench_tps(target.database_url, out, opts.pgbench_seconds)
        else:
            server = environ.get("LOADTEST_DATABASE_URL", DEFAULT_SERVER)
            pg = machine.scratch_pgbench(server, out, opts.pgbench_seconds)
        history = 0
        if opts.host is None and opts.history and opts.scenario.history:
            console.print(f"putting {opts.history:,} past transfers in place ...")
            history = seeding.seed_history(target, opts.history, opts.scenario.payees)
        run = Run(opts=opts, target=target, out=out)
        summary = DRIVERS[opts.scenario.name](run)
        console.print("reconciling ...")
        summary["reconcile"] = reconcile(run)
        summary.update(
            {
                "pgbench_tps": pg.get("tps"),
                "pgbench": pg,
                "machine": machine.describe(),
                "host": target.host,
                "system_started_here": opts.host is None,
                "database": target.database_label(),
                "clock": {"start": opts.scenario.clock, "speed": target.speed},
                "prefer_wait_s": opts.prefer_wait,
                "history_transfers": history,
                "started_at": datetime.fromtimestamp(started, UTC).isoformat(),
                "wall_seconds": round(time.time() - started, 1),
            }
        )
    rows = report.verdict(summary, opts.scenario.targets)
    summary["verdict"] = rows
    summary["ok"] = all(r["ok"] for r in rows)
    report.write_summary(out / "summary.json", summary)
    return summary, rows, out
