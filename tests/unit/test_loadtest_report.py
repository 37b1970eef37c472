"""The load-test report: exact percentiles, summary keys, verdict and chart from fabricated samples."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from loadtests import chart, report, scenarios


def sample(t: float, client: float | None, server: float | None, status: str = "settled") -> dict:
    return {
        "started_at": t, "transfer_id": f"t{t}", "bank_code": "0009", "decision": "instant",
        "status": status, "failure_code": "", "accept_ms": 3.0, "client_ms": client,
        "server_ms": server, "accepted_at": "", "settled_at": "", "polls": 1,
    }


def test_percentile_is_nearest_rank_and_exact():
    values = [float(v) for v in range(1, 101)]
    assert report.percentile(values, 50) == 50
    assert report.percentile(values, 99) == 99
    assert report.percentile(values, 100) == 100
    assert report.percentile([10_400.0], 99) == 10_400.0  # no bucketing at 10 s
    assert report.percentile([], 99) is None


def test_summary_has_the_contract_keys_and_counts_late_transfers_as_failed():
    samples = [sample(1000 + i / 100, 20 + i % 7, 5 + i % 3) for i in range(200)]
    samples.append(sample(1003.0, 10_001.0, 9_990.0))  # settled, but after the 10 s line
    samples.append(sample(1003.5, 400.0, None, status="failed"))
    summary = report.summarise(samples, scenario="instant")
    for key in ("scenario", "settled_per_s", "accepted", "settled", "failed", "within_10s_ratio"):
        assert key in summary
    for side in ("server", "client"):
        assert set(summary["accept_to_settled_ms"][side]) >= {"p50", "p95", "p99", "max"}
    assert summary["accepted"] == 202
    assert summary["settled"] == 201
    assert summary["failed"] == 2
    assert summary["within_10s_ratio"] == pytest.approx(200 / 202, abs=1e-6)
    assert summary["accept_to_settled_ms"]["client"]["max"] == 10_001.0
    assert summary["settled_per_s"] > 0


def test_summary_counts_transfers_settled_in_the_posts_own_answer():
    samples = [sample(1000 + i, 30.0, 8.0) for i in range(4)]
    samples[0]["polls"] = samples[1]["polls"] = 0  # the POST (Prefer: wait) answered settled
    samples.append({**sample(1010.0, 30.0, None, status="failed"), "polls": 0})
    summary = report.summarise(samples, scenario="instant")
    assert summary["settled_in_one_round_trip"] == 2
    assert summary["one_round_trip_ratio"] == 0.5  # of the 4 settled, not of all 5


def test_verdict_reads_dotted_metrics_and_misses_on_null():
    summary = report.summarise([sample(1.0, 50.0, 10.0)], scenario="instant")
    summary["reconcile"] = {"missing": 0, "doubled": 0, "mismatched": None}
    rows = {r["metric"]: r for r in report.verdict(summary, scenarios.INSTANT_TARGETS)}
    assert rows["accept_to_settled_ms.server.p99"]["ok"]
    assert rows["reconcile.missing"]["ok"]
    assert not rows["reconcile.mismatched"]["ok"]  # unknown is not clean


def test_samples_round_trip_chart_and_summary_file(tmp_path):
    folder = tmp_path / "samples"
    folder.mkdir()
    fields = ["started_at", "transfer_id", "bank_code", "decision", "status", "failure_code",
              "accept_ms", "client_ms", "server_ms", "accepted_at", "settled_at", "polls"]
    with (folder / "samples-1.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        for i in range(50):
            writer.writerow({**sample(100 + i / 10, 30.0 + i, 8.0), "server_ms": "8.0"})
        writer.writerow({**sample(106.0, 12_000.0, ""), "status": "processing", "server_ms": ""})
    rows = report.read_samples(folder)
    assert len(rows) == 51 and rows[-1]["server_ms"] is None
    chart.latency(rows, tmp_path / "chart.png", title="test")
    assert (tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"
    summary = report.summarise(rows, scenario="instant")
    report.write_summary(tmp_path / "summary.json", summary)
    assert json.loads((tmp_path / "summary.json").read_text())["failed"] == 1


def test_locustfile_keeps_response_times_exact():
    # In a fresh interpreter: locust monkey-patches the standard library with gevent,
    # which must happen before ssl is imported (pytest has imported it already).
    code = """
import locust.stats
from loadtests import locustfile
entry = locust.stats.StatsEntry(locust.stats.RequestStats(), "x", "TRANSFER")
for ms in (9_999.0, 10_001.0, 10_499.0):
    entry.log(ms, 0)
assert sorted(entry.response_times) == [9_999, 10_001, 10_499], entry.response_times
assert entry.get_response_time_percentile(0.5) == 10_001
print("exact")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2], timeout=60)
    assert done.returncode == 0, done.stderr
    assert "exact" in done.stdout
