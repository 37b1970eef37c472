"""From a finished Locust run to the figures of summary.json: the transfers' percentiles,
Locust's rows, CPU per settled transfer, and `shunfuri reconcile` on the run's database."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path

from loadtests import chart, cpu, report
from loadtests.context import Run, Target
from loadtests.locust_run import LocustRun
from loadtests.system import ROOT, console_script


def collect(folder: Path, scenario: str, *, speed: float = 1.0) -> tuple[dict, list[dict]]:
    """summary.json's transfer figures and Locust rows for the run in `folder`; the samples."""
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


def cpu_figures(lr: LocustRun, samples: Sequence[dict], *, extra_settled: int = 0) -> dict:
    """`cpu` (cores busy by process over the steady window) and `cpu_ms_per_settled` (CPU
    milliseconds per transfer settled in that window, in all and by process group).
    `extra_settled`: transfers settled in the window that Locust did not send (batch)."""
    if lr.cpu is None:
        return {"cpu": None, "cpu_ms_per_settled": None}
    window = lr.cpu
    settled = cpu.settled_between(samples, window.start, window.end) + extra_settled
    return {"cpu": window.to_dict(), "cpu_ms_per_settled": window.per_settled(settled)}


def finish(target: Target, summary: dict, samples: list[dict], folder: Path) -> dict:
    """The merged samples and the latency chart beside summary.json."""
    report.write_samples(folder / "samples.csv", samples)
    chart.latency(
        samples,
        folder / "accept_to_settled.png",
        title=f"{summary['scenario']}: accept -> settled over the run ({target.host})",
    )
    return summary


def reconcile(run: Run) -> dict:
    """`shunfuri reconcile` against the run's database; counts or nulls when unavailable."""
    target = run.target
    empty = {"missing": None, "doubled": None, "mismatched": None}
    if not target.database_url and target.data_dir is None:
        return {**empty, "error": "no database known (pass LOADTEST_DATABASE_URL with --host)"}
    env = dict(target.env)
    if target.database_url and not target.embedded:
        env["DATABASE_URL"] = target.database_url
    cmd = [console_script("shunfuri"), "reconcile"]
    if target.data_dir is not None:
        cmd += ["--data-dir", str(target.data_dir)]
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {**empty, "error": str(exc)}
    text = proc.stdout + proc.stderr
    (run.out / "reconcile.txt").write_text(text)
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
