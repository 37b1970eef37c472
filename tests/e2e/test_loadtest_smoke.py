"""The load-test runner end to end, short: a few seconds of `instant` at a low rate.

Starts a real system (API, workers, beat, bank simulator) through `shunfuri loadtest`, on
the embedded defaults (`--embedded`: the private PostgreSQL and Redis of `shunfuri up`) or
on a database of its own on this run's PostgreSQL and a Redis db of this run's, and checks
what the runner wrote.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import check_database, check_redis, redis_db, servers

ROOT = Path(__file__).resolve().parents[2]


GROUPS = {"api", "workers", "postgresql", "redis", "bank simulator", "locust"}


def assert_cpu_per_settled_transfer(summary: dict) -> None:
    """CPU ms per settled transfer, in all and by process, over the steady window."""
    per = summary["cpu_ms_per_settled"]
    assert per["settled_in_window"] > 0
    assert per["total"] > 0
    assert set(per["by_process"]) >= GROUPS
    # every part of the system worked during the window (Redis: the broker)
    for group in ("api", "workers", "postgresql", "bank simulator", "locust"):
        assert per["by_process"][group] > 0, (group, per)
    assert per["total"] >= sum(v for v in per["by_process"].values()) - 0.01
    cpu = summary["cpu"]
    assert cpu["window_s"] > 0 and cpu["total_cores_busy"] > 0
    assert cpu["locust_limited"] in (True, False) and cpu["locust_process_cores"]


def loadtest(out: Path, scenario: str, *extra: str) -> dict:
    """`shunfuri loadtest SCENARIO` at 10/s for 4 s, quoted with a 1-s pgbench, on a
    small past (500 transfers) unless `extra` says otherwise; its summary.json."""
    for problem in (check_database(), check_redis()):
        if problem:
            pytest.fail(problem, False)
    with redis_db() as broker:
        env = {**os.environ, "LOADTEST_DATABASE_URL": servers().database,
               "LOADTEST_BROKER_URL": broker}
        done = subprocess.run(
            [sys.executable, "-m", "shunfuri.cli", "loadtest", scenario,
             "--rate", "10", "--duration", "4", "--pgbench-seconds", "1",
             "--history", "500", *extra, "--out", str(out)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=220,
            # As under nohup or a CI runner: SIGINT ignored, which Locust would inherit.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        )
    summary_path = out / "summary.json"
    assert summary_path.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(summary_path.read_text())


@pytest.mark.e2e
@pytest.mark.timeout(240)
def test_instant_smoke_on_the_embedded_defaults_writes_summary_with_no_failures(tmp_path):
    out = tmp_path / "results"
    summary = loadtest(out, "instant", "--embedded", "--history", "2000")
    assert summary["database"].startswith("embedded")
    assert summary["history_transfers"] == 2000  # a past, and reconcile below is still clean
    # Stopped by the runner at the requested 4 s of steady load, not by Locust's own
    # --run-time backstop (a minute and more), though SIGINT was ignored where it started.
    assert summary["duration_s"] < 30, summary["duration_s"]
    assert summary["pgbench_tps"] is not None  # pgbench ran against the private server
    for key in ("scenario", "settled_per_s", "accepted", "settled", "failed",
                "within_10s_ratio", "pgbench_tps"):
        assert key in summary, key
    for side in ("server", "client"):
        assert set(summary["accept_to_settled_ms"][side]) >= {"p50", "p95", "p99", "max"}
    assert set(summary["reconcile"]) >= {"missing", "doubled", "mismatched"}
    assert summary["scenario"] == "instant"
    assert summary["accepted"] > 0
    assert summary["failed"] == 0, summary.get("locust")
    assert summary["settled"] == summary["accepted"]
    assert summary["within_10s_ratio"] == 1.0
    assert (out / "accept_to_settled.png").exists()
    assert (out / "locust.html").exists()
    assert (out / "locust_stats.csv").exists()
    # The latency targets are for the full scenario, not this smoke: the verdict may miss
    # them on a busy CI machine; a clean reconcile is always required.
    assert summary["reconcile"]["missing"] == 0
    assert summary["reconcile"]["doubled"] == 0
    assert summary["reconcile"]["mismatched"] == 0
    # The offered rate was held for the whole duration (10/s x 4 s), not only at the start.
    assert summary["accepted"] >= 30
    assert_cpu_per_settled_transfer(summary)
    # POST with `Prefer: wait=10`: the figure is there whether or not the server honours it
    assert summary["prefer_wait_s"] == 10
    assert 0.0 <= summary["one_round_trip_ratio"] <= 1.0


@pytest.mark.e2e
@pytest.mark.timeout(240)
def test_distributed_smoke_runs_every_locust_worker_for_the_whole_duration(tmp_path):
    """Master + 2 Locust workers: each worker's users start once *its own* users have
    logged in (a worker once waited for the whole test's count, and sent almost nothing)."""
    out = tmp_path / "results"
    summary = loadtest(out, "distributed", "--workers", "2")
    assert summary["scenario"] == "distributed"
    assert not summary["database"].startswith("embedded")  # this run's PostgreSQL
    assert summary["failed"] == 0, summary.get("locust")
    assert summary["settled"] == summary["accepted"] >= 30
    assert_cpu_per_settled_transfer(summary)
    assert len(summary["cpu"]["locust_process_cores"]) == 3  # the master and 2 workers
    per_worker = list((out / "samples").glob("samples-*.csv"))
    assert len(per_worker) == 2
    assert all(len(f.read_text().splitlines()) > 10 for f in per_worker)


@pytest.mark.e2e
@pytest.mark.timeout(240)
def test_web_smoke_measures_pages_beside_the_api_load(tmp_path):
    """Members logging in through the form and doing 瞬フリ through the pages, beside
    the API users: page percentiles and the pages' own accept -> settled are reported."""
    out = tmp_path / "results"
    summary = loadtest(out, "web", "--web-rate", "10")
    assert summary["scenario"] == "web"
    assert summary["failed"] == 0, summary.get("locust")
    # The API users' transfers (the rate held over the run is the instant smoke's check).
    assert summary["settled"] == summary["accepted"] > 0
    web = summary["web"]
    assert web["users"] == 2
    assert web["accepted"] > 0 and web["settled"] == web["accepted"], web
    assert web["within_10s_ratio"] == 1.0
    assert set(web["pages_ms"]) >= {"p50", "p95", "p99"} and web["pages_ms"]["count"] > 0
    assert web["login_ms"]["count"] == 2 and web["pages_per_s"] > 0
    assert {"GET WEB GET /login", "POST WEB POST /transfer/confirm"} <= set(web["by_page"])
    assert list((out / "samples").glob("web-samples-*.csv"))


@pytest.mark.e2e
@pytest.mark.timeout(300)
def test_ramp_smoke_reports_cpu_per_settled_transfer_for_every_step(tmp_path):
    """The ramp's code path on two small steps (5/s and 10/s, 4 s each): every step that
    ran has its CPU per settled transfer and the Locust flag, and the knee agrees with
    the steps. (Whether a step holds is latency, which a loaded CI machine decides; the
    knee's rules are tested in tests/unit/test_loadtest_cpu.py.)"""
    from dataclasses import replace

    from loadtests.runner import Options, execute
    from loadtests.scenarios import SCENARIOS

    for problem in (check_database(), check_redis()):
        if problem:
            pytest.fail(problem, False)
    opts = Options(scenario=replace(SCENARIOS["ramp"], steps=(5.0, 10.0)), rate=5,
                   duration=4, out=tmp_path / "results", pgbench_seconds=1, history=500)
    with redis_db() as broker:
        summary, _, out = execute(opts, environ={
            **os.environ, "LOADTEST_DATABASE_URL": servers().database,
            "LOADTEST_BROKER_URL": broker})
    steps = summary["steps"]
    assert [s["rate"] for s in steps] == ([5.0, 10.0] if steps[0]["holds"] else [5.0]), steps
    for step in steps:
        assert step["cpu_ms_per_settled"]["total"] > 0, step
        assert set(step["cpu_ms_per_settled"]["by_process"]) >= GROUPS
        assert step["cpu_ms_per_settled"]["by_process"]["api"] > 0
        assert step["locust_limited"] is False  # 10/s is far from a core
        assert (out / f"step-{int(step['rate']):04d}" / "locust.html").exists()
    held = [s["rate"] for s in steps if s["holds"]]
    assert summary["knee"]["rate"] == (held[-1] if held else None)
    assert summary["knee"]["limited_by_locust"] is False and summary["knee"]["note"] == ""
    chosen = [s for s in steps if s["holds"]][-1:] or steps[:1]
    assert summary["cpu_ms_per_settled"] == chosen[0]["cpu_ms_per_settled"]
    assert json.loads((out / "summary.json").read_text())["steps"] == steps


@pytest.mark.e2e
@pytest.mark.timeout(300)
def test_apply_smoke_reports_decisions_and_first_transfers_beside_the_api_load(tmp_path):
    """Applicants (about one a second: apply, the worker decides, contract, login, payee,
    a first 瞬フリ) beside the API users, after a first run of the API users alone: the
    report has the decision and application -> first settled figures, and both runs'
    transfer p99s side by side."""
    out = tmp_path / "results"
    summary = loadtest(out, "apply", "--apply-rate", "1", "--history", "1000")
    assert summary["scenario"] == "apply"
    assert summary["failed"] == 0, summary.get("locust")
    assert summary["settled"] == summary["accepted"] > 0
    apply = summary["apply"]
    assert apply["users"] == 12 and apply["offered_per_s"] == 1
    # Nobody at the lender: every application decided by the worker, approved (the
    # bureau knows none of these people), contracted, and its first 瞬フリ settled.
    assert apply["applications"] > 0 and apply["undecided"] == 0, apply
    assert apply["by_status"] == {"approved": apply["applications"]}
    assert apply["contracted"] == apply["first_settled"] == apply["applications"]
    for key in ("decision_ms", "to_first_settled_ms"):
        assert set(apply[key]) >= {"p50", "p95", "p99", "max"}
        assert apply[key]["count"] == apply["applications"]
    assert apply["decision_ms"]["p99"] <= apply["to_first_settled_ms"]["p99"]
    assert apply["decision_ms_server"]["count"] == apply["applications"]
    assert 0 < apply["decision_ms_server"]["p50"] <= apply["decision_ms"]["p50"]
    baseline = summary["baseline"]
    assert baseline["settled"] == baseline["accepted"] > 0 and baseline["failed"] == 0
    beside = summary["beside"]
    assert beside["p99_client_ms"]["alone"] == baseline["accept_to_settled_ms"]["client"]["p99"]
    assert beside["p99_client_ms"]["with_applicants"] == (
        summary["accept_to_settled_ms"]["client"]["p99"])
    assert beside["p99_client_ratio"] > 0
    labels = {row["target"] for row in summary["verdict"]}
    assert "applications: p99 automatic decision <= 10 s" in labels
    assert [summary["reconcile"][k] for k in ("missing", "doubled", "mismatched")] == [0, 0, 0]
    assert (out / "apply-samples.csv").exists() and (out / "baseline" / "locust.html").exists()
