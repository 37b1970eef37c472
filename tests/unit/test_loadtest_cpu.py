"""CPU per settled transfer, the Locust-limited flag, and how the ramp and the verdict
table report them, from fabricated snapshots and steps."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from rich.console import Console

from loadtests import cpu, report
from loadtests.runs.ramp import LOCUST_CEILING, Step, knee_summary


def snap(at: float, busy: float, **by_pid: tuple[str, float]) -> cpu.Snapshot:
    return cpu.Snapshot(at=at, by_pid={int(k[1:]): v for k, v in by_pid.items()},
                        machine_busy_s=busy)


def window(locust_cores: float = 0.2) -> cpu.Window:
    before = snap(100.0, 0.0, p1=("api", 10.0), p2=("worker (instant)", 5.0),
                  p3=("celery beat", 1.0), p4=("postgresql", 2.0), p5=("locust", 0.0))
    after = snap(110.0, 18.0, p1=("api", 16.0), p2=("worker (instant)", 7.0),
                 p3=("celery beat", 1.5), p4=("postgresql", 4.0),
                 p5=("locust", locust_cores * 10), p6=("redis", 0.5),
                 p7=("bank simulator", 1.0), p8=("supervisor", 0.1))
    return cpu.between(before, after)


def test_cpu_ms_per_settled_transfer_in_all_and_by_process():
    w = window()
    per = w.per_settled(1000)
    # 6 + 2 + 0.5 + 2 + 2 + 0.5 + 1 + 0.1 = 14.1 CPU seconds over 1000 transfers
    assert per["total"] == pytest.approx(14.1)
    assert per["by_process"] == {
        "api": 6.0, "workers": 2.5, "postgresql": 2.0, "redis": 0.5, "bank simulator": 1.0,
        "locust": 2.0, "other": 0.1,
    }
    assert per["settled_in_window"] == 1000
    assert w.per_settled(0)["total"] is None  # nothing settled: no figure, not a division by 0
    shown = w.to_dict()
    assert shown["window_s"] == 10.0
    assert shown["cores_busy"]["api"] == 0.6
    assert shown["total_cores_busy"] == pytest.approx(1.41)
    assert shown["machine_cores_busy"] == 1.8


def test_a_process_that_started_in_the_window_counts_from_zero_and_one_that_left_not_at_all():
    before = snap(0.0, 0.0, p1=("api", 50.0), p9=("api", 3.0))  # p9 exits during the window
    after = snap(2.0, 4.0, p1=("api", 51.0), p2=("locust", 1.0))
    w = cpu.between(before, after)
    assert w.by_role == {"api": 1.0, "locust": 1.0}
    assert w.locust_processes == (0.5,)


def test_locust_near_a_core_is_flagged():
    assert not window(locust_cores=0.5).locust_limited
    assert window(locust_cores=0.9).locust_limited
    assert window(locust_cores=0.9).to_dict()["locust_limited"] is True


def test_settled_between_counts_what_the_client_saw_settle_in_the_window():
    samples = [
        {"started_at": 99.0, "client_ms": 500.0, "status": "settled"},  # seen at 99.5: before
        {"started_at": 100.0, "client_ms": 50.0, "status": "settled"},
        {"started_at": 105.0, "client_ms": 4000.0, "status": "settled"},  # seen at 109
        {"started_at": 108.0, "client_ms": 3000.0, "status": "settled"},  # seen at 111: after
        {"started_at": 101.0, "client_ms": 20.0, "status": "failed"},
    ]
    assert cpu.settled_between(samples, 100.0, 110.0) == 2


def test_backend_lines_name_their_database_and_background_processes_none():
    assert cpu._backend_db("postgres: postgres shunfuri_load_x 127.0.0.1(50312) idle") == (
        "shunfuri_load_x")
    assert cpu._backend_db("postgres: postgres test [local] SELECT") == "test"
    assert cpu._backend_db("postgres: 15/main: postgres db_1 127.0.0.1(42356) idle") == "db_1"
    assert cpu._backend_db("postgres: 15/main: checkpointer") is None
    assert cpu._backend_db("postgres: walwriter") is None
    assert cpu._backend_db("postgres: autovacuum launcher") is None


SPIN = """
import time
while time.process_time() < 0.5:
    pass
time.sleep(60)
"""


def test_snapshot_measures_a_real_process_tree_by_role():
    # A child named like the bank simulator burns 0.5 s of CPU, then idles.
    child = subprocess.Popen([sys.executable, "-c", SPIN, "bank-simulator"])
    try:
        first = cpu.snapshot([child.pid], database=None, machine_redis=False)
        role, at_first = first.by_pid[child.pid]
        assert role == "bank simulator"
        deadline = time.monotonic() + 60
        while True:
            w = cpu.between(first, cpu.snapshot([child.pid], database=None, machine_redis=False))
            used = at_first + w.by_role.get("bank simulator", 0)
            if used >= 0.45 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert used >= 0.45 and w.by_role["bank simulator"] > 0
        assert w.by_group()["bank simulator"] == w.by_role["bank simulator"]
        assert w.machine_busy_s > 0
        # this test's own process is no part of the system: no role, not counted
        assert os.getpid() not in cpu.snapshot([os.getpid()], database=None,
                                               machine_redis=False).by_pid
    finally:
        child.kill()
        child.wait(timeout=10)


def step(rate: float, holds: bool, limited: bool, total: float | None = 5.0) -> Step:
    return Step(
        rate=rate, holds=holds, why="" if holds else "p99 1500 ms > 1000 ms",
        settled_per_s=rate, accepted_per_s=rate, failed=0,
        client={"p99": 100.0}, server={"p99": 20.0}, locust_exit_code=0,
        cpu={"locust_limited": limited},
        cpu_ms_per_settled={"total": total, "by_process": {"api": 2.0, "locust": 1.5}},
        locust_limited=limited,
    )


def test_ramp_says_plainly_when_the_knee_is_locusts_ceiling():
    knee = knee_summary([step(100, True, False), step(200, True, False), step(300, False, True)])
    assert knee["rate"] == 200
    assert knee["limited_by_locust"] is True
    assert knee["locust_limited_steps"] == [300]
    assert "load generator's ceiling" in knee["note"] and "300/s" in knee["note"]
    assert LOCUST_CEILING in knee["note"]


def test_ramp_knee_of_the_system_is_not_flagged():
    knee = knee_summary([step(100, True, False), step(200, False, False)])
    assert knee == {"rate": 100, "settled_per_s": 100, "limited_by_locust": False,
                    "locust_limited_steps": [], "note": ""}


def test_the_verdict_table_shows_cpu_per_transfer_per_step_and_the_locust_flag():
    summary = {
        "scenario": "ramp", "accepted": 10, "settled": 10, "settled_per_s": 100,
        "steps": [
            {"rate": 100.0, "cpu_ms_per_settled": {"total": 6.25, "by_process": {"api": 3.0}},
             "locust_limited": False},
            {"rate": 200.0, "cpu_ms_per_settled": {"total": 7.5, "by_process": {"locust": 2.0}},
             "locust_limited": True},
        ],
        "knee": {"note": "at 200/s Locust itself is near a core"},
    }
    console = Console(record=True, width=200)
    report.print_verdict(summary, [], _scenario(), console=console)
    text = console.export_text()
    assert "CPU ms per settled transfer" in text
    lines = {line.split("│")[1].strip(): line for line in text.splitlines() if "/s " in line
             and "│" in line}
    assert "6.25" in lines["100/s"] and "3.00" in lines["100/s"] and "no" in lines["100/s"]
    assert "7.50" in lines["200/s"] and "yes" in lines["200/s"]
    assert "Locust itself is near a core" in text


def test_the_verdict_table_shows_one_row_for_a_steady_run():
    summary = {"scenario": "instant", "cpu": {"locust_limited": False},
               "cpu_ms_per_settled": {"total": 4.5, "by_process": {"api": 2.25, "redis": 0.1}}}
    console = Console(record=True, width=200)
    report.print_verdict(summary, [], _scenario(), console=console)
    text = console.export_text()
    row = next(line for line in text.splitlines() if "instant" in line and "4.50" in line)
    assert "2.25" in row and "0.10" in row


def _scenario():  # type: ignore[no-untyped-def]
    from loadtests.scenarios import SCENARIOS

    return SCENARIOS["ramp"]
