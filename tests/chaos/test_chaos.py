"""Chaos: one fault at a time under a steady load of transfers; after each, nothing lost,
nothing doubled, no one over their limit, every transfer final within the bound.

Run with `make chaos` (full profile) or `make chaos PROFILE=short` (CI). Each test is
one scenario; the table and chaos/results/<stamp>/summary.json are written at the end
of the session (tests/chaos/conftest.py).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from shunfuri.cli.children import title
from tests.chaos.harness import RECOVERY_BOUND_S, Load, Result
from tests.e2e.conftest import ADMIN
from tests.system import ROOT, poll

pytestmark = pytest.mark.e2e


def assert_clean(result: Result) -> None:
    assert result.transfers > 0, "the load accepted nothing"
    assert (result.lost, result.doubled, result.over_limit) == (0, 0, 0), result
    assert result.http_5xx_unclear == 0, f"5xx other than a clear 503: {result.refused}"
    assert result.max_recovery_s <= RECOVERY_BOUND_S, result
    assert not result.problems, result.problems


def set_clock(system, spec: str) -> None:
    done = system.cli("clock", spec, "--data-dir", str(system.data_dir))
    assert done.returncode == 0, done.stderr


# --- process tree, from /proc (no psutil needed) ---------------------------------------


def _ppid(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    return int(stat.rsplit(")", 1)[1].split()[1])


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            children.setdefault(_ppid(int(entry)), []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        for child in children.get(pid, []):
            out.append(child)
            todo.append(child)
    return out


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def worker_pool_pids(system, name: str = title("worker")) -> list[int]:
    """The prefork children of the instant worker: they run the tasks, so killing one is
    a crash in the middle of a settlement. `up` forks the worker and names it
    (shunfuri/cli/children.py); its pool processes inherit the name."""
    return [
        pid for pid in descendants(system.process.pid)
        if _name(pid) == name and _name(_ppid(pid)) == name
    ]


# --- scenarios ---------------------------------------------------------------------------


def test_worker_kill_9_mid_settlement(system, harness, profile):
    # A bank answer that takes a moment makes "mid-settlement" likely: the kill lands
    # between claim (row `processing`, hold placed) and finish.
    system.bank(latency_ms=150)
    rng = random.Random(6)
    try:
        with harness.scenario("worker_kill_9") as (run, _load):
            time.sleep(profile.load_s)
            for _ in range(profile.kills):
                pids = poll(lambda: worker_pool_pids(system), timeout=30,
                            what="a worker pool process")
                os.kill(rng.choice(pids), signal.SIGKILL)
                run.fault()
                time.sleep(profile.kill_every_s)
            time.sleep(profile.load_s)
    finally:
        system.bank(latency_ms=2)
    assert_clean(run.result)


def test_redis_stopped_and_restarted(system, harness, profile, private_redis):
    with harness.scenario("redis_restart") as (run, _load):
        time.sleep(profile.load_s)
        with run.window():
            private_redis.stop()
            time.sleep(profile.redis_down_s / 2)
            ready = system.http.get("/readyz")
            assert ready.status_code == 503, ready.text
            time.sleep(profile.redis_down_s / 2)
            private_redis.start()  # empty: every message in flight is gone
        time.sleep(profile.load_s)
    assert_clean(run.result)


def test_bank_slow_then_erratic_then_down_then_back(system, harness, profile):
    try:
        with harness.scenario("bank_slow_transient_down") as (run, _load):
            time.sleep(profile.load_s)
            # Three faults in a row, one degraded period: recovery counts from "back".
            with run.window(count=3):
                system.bank(latency_ms=3000)
                time.sleep(profile.bank_slow_s)
                system.bank(latency_ms=2, transient_rate=0.5)
                time.sleep(profile.bank_transient_s)
                system.bank(transient_rate=0.0, outage=True)
                time.sleep(profile.bank_down_s)
                system.bank(outage=False)
            time.sleep(profile.load_s)
    finally:
        system.bank(latency_ms=2, transient_rate=0.0, outage=False)
    assert_clean(run.result)


def bank_stats(system) -> dict:  # type: ignore[no-untyped-def]
    """What the bank simulator counted: answers it lost, inquiries it answered."""
    url = system.env_of_children()["SHUNFURI_BANK_URL"]
    return httpx.get(f"{url}/v1/stats", timeout=5).json()


def test_bank_pays_but_the_answer_is_lost(system, harness, profile):
    before = bank_stats(system)
    try:
        with harness.scenario("bank_answer_lost") as (run, _load):
            # Each lost answer is a transfer in doubt, resolved by asking the bank (an
            # inquiry), not by paying again: the faults are the answers the bank lost.
            run.faults_from = "lost_answers"
            time.sleep(profile.load_s)
            with run.window(count=0):
                system.bank(lose_response_rate=0.3)
                time.sleep(profile.lost_answers_s)
                system.bank(lose_response_rate=0.0)
            time.sleep(profile.load_s)
            after = bank_stats(system)
            run.stats["lost_answers"] = after["lost_answers"] - before["lost_answers"]
            run.stats["inquiries"] = after["inquiries"] - before["inquiries"]
    finally:
        system.bank(lose_response_rate=0.0)
    assert run.result.faults > 0, "no answer was lost: the scenario tested nothing"
    assert run.stats["inquiries"] > 0, "nobody asked the bank about a lost answer"
    assert_clean(run.result)


def test_postgres_restarted(system, harness, profile, private_pg, members):
    with harness.scenario("postgres_restart") as (run, _load):
        time.sleep(profile.load_s)
        with run.window():
            private_pg.stop("fast")
            # Meanwhile: not ready, and a request gets a clear, retryable code.
            ready = poll(lambda: (r := system.http.get("/readyz")).status_code == 503 and r,
                         timeout=10, what="/readyz to answer 503")
            assert ready.json()["checks"]["database"]["ok"] is False
            member = members[0]
            refused = system.http.post(
                "/v1/transfers", json={"payee_id": member["payees"]["0009"], "amount": 1000},
                headers=member["headers"],
            )
            assert refused.status_code == 503, refused.text
            assert refused.json()["code"] == "database_unavailable"
            assert refused.headers.get("retry-after")
            time.sleep(profile.pg_down_s)
            private_pg.start()
        started = time.monotonic()
        poll(lambda: system.http.get("/readyz").status_code == 200, timeout=RECOVERY_BOUND_S,
             what="/readyz to recover")
        run.recovered_in(time.monotonic() - started)
        time.sleep(profile.load_s)
    # The staff desk's pool (not the transfers') held connections the restart ended too;
    # each is replaced at checkout, so no desk request fails once the database is back.
    desk = Counter(system.http.get(f"/v1/admin/members/{m['member_id']}", headers=ADMIN)
                   .status_code for m in members * 10)
    assert desk == {200: len(members) * 10}, desk
    assert_clean(run.result)


def test_second_beat_runs_no_batch_twice(system, harness, profile, engine, members):
    # Wednesday 08:00: standard-bank transfers are scheduled for 09:30 the same day.
    set_clock(system, "2026-12-02T08:00:00+09:00")
    log_path = system.data_dir / "beat-2.log"
    beat = None
    load = Load(system, members, rate=profile.rate, banks=("0005", "0005", "0009"))
    try:
        with harness.scenario("second_beat", load=load) as (run, _load):
            with open(log_path, "w") as log, run.window():
                beat = subprocess.Popen(
                    [sys.executable, "-m", "celery", "-A", "workers.app", "beat",
                     "-s", str(system.data_dir / "celerybeat-schedule-2"), "--loglevel", "INFO"],
                    env=system.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
                time.sleep(profile.beat_load_s)
                load.stop()
                poll(lambda: not _accepted_left(engine), timeout=30, what="claims to finish")
                scheduled = _scheduled_ids(engine)
                assert scheduled, "nothing was scheduled for 09:30"
                set_clock(system, "2026-12-02T09:29:58+09:00")
                moved = time.monotonic()
                poll(lambda: not _unfinished(engine, scheduled), timeout=RECOVERY_BOUND_S,
                     interval=0.2, what="the 09:30 batch to settle")
                run.recovered_in(max(0.0, time.monotonic() - moved - 2.0))
                assert beat.poll() is None, "the second beat exited"
            run.stats["scheduled"] = len(scheduled)
    finally:
        if beat is not None and beat.poll() is None:
            os.killpg(beat.pid, signal.SIGTERM)
            beat.wait(timeout=20)
        set_clock(system, "2026-12-02T10:00:00+09:00")
    sends = log_path.read_text().count("Sending due task")
    assert sends > 0, "the second beat sent nothing: the scenario tested nothing"
    with engine.connect() as conn:
        repeated = conn.execute(
            text("SELECT COUNT(*) FROM bank_sim_payments WHERE transfer_id = ANY(:ids) "
                 "AND requests > 1"), {"ids": list(scheduled)},
        ).scalar()
    # A batch that ran twice would have asked the bank twice for the same transfers.
    run.result.doubled += repeated
    assert_clean(run.result)


def _scheduled_ids(engine) -> set[str]:
    with engine.connect() as conn:
        return {r[0] for r in conn.execute(text("SELECT id FROM transfers WHERE status = 'scheduled'"))}


def _accepted_left(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT COUNT(*) FROM transfers WHERE status = 'accepted'")).scalar()


def _unfinished(engine, ids: set[str]) -> list:
    with engine.connect() as conn:
        return list(conn.execute(
            text("SELECT id FROM transfers WHERE id = ANY(:ids) AND status NOT IN "
                 "('settled', 'rejected', 'failed', 'cancelled')"), {"ids": list(ids)},
        ))

