"""Regression test for what seed 11 found (docs/reliability.md, "The cluster and the
nemesis"): a worker host cut off from PostgreSQL in the middle of a transaction keeps
its member rows locked, and every other worker's claim and the API's accepts for those
members wait behind it, until the partition heals (plus TCP's retransmission backoff) or,
for a host that never comes back, until TCP keepalive gives up (hours, by default).

The test waits until one of worker1's sessions holds a lock on `members`, cuts worker1
from PostgreSQL (both ways) for 40 s, and asks PostgreSQL 15 s later whether a session of
worker1 still holds such a lock or anyone waits on one. It failed so before the fix: now
every connection of ours sets `idle_in_transaction_session_timeout`
(`SHUNFURI_DB_IDLE_IN_TRANSACTION_TIMEOUT`, 10 s; `shunfuri.db.session.server_options`),
so PostgreSQL has ended the silent session by then and nobody waits.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import psycopg
import pytest

from cluster import netns, run
from cluster.hosts import DEFAULT
from cluster.layout import Layout
from cluster.nemesis import Nemesis
from cluster.schedule import Fault, Plan
from tests.system import ROOT, SHUNFURI

pytestmark = pytest.mark.e2e

HELD = ("SELECT a.pid, a.state FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid "
        "WHERE a.application_name = %s AND l.relation = 'members'::regclass AND l.granted")
WAITING = ("SELECT a.application_name, a.pid, pg_blocking_pids(a.pid) FROM pg_stat_activity a "
           "WHERE a.wait_event_type = 'Lock' AND a.datname = 'shunfuri'")


@pytest.mark.timeout(600)
def test_a_worker_cut_off_mid_transaction_does_not_hold_up_the_others(tmp_path: Path) -> None:
    folder = tmp_path / "cluster"
    layout = Layout.at(folder)
    up = subprocess.run([SHUNFURI, "cluster", "up", "--dir", str(folder), "--ttl-minutes", "10"],
                        capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert up.returncode == 0, up.stdout + up.stderr
    out = tmp_path / "run"
    out.mkdir()
    plan = Plan(seed=0, minutes=2, start_clock="2026-12-01T10:00:00+09:00", faults=[],
                clients={"members": 8, "rate": 5.0, "seed": 11})
    (out / "schedule.json").write_text(plan.to_json())
    nemesis = Nemesis(layout, DEFAULT, out / "nemesis.jsonl")
    cut = Fault("c1", "partition", 0, 0, {"mode": "both", "a": "worker1", "b": "postgres"})
    url = layout.read_state()["database_url"]
    clients = None
    try:
        clients, _ = run._start_clients(layout, DEFAULT, plan, out)
        # 0.5 s each way on worker1's link: its transactions last seconds.
        slow = Fault("s1", "link", 0, 0, {"client": "worker1", "server": "postgres",
                                         "what": "slow", "faults": {"delay_ms": 500}})
        assert nemesis.act(slow, "start")
        with psycopg.connect(url, autocommit=True) as conn:
            deadline = time.monotonic() + 120
            while not conn.execute(HELD, ("worker1",)).fetchall():
                assert time.monotonic() < deadline, "worker1 never locked a member"
                time.sleep(0.05)
            assert nemesis.act(cut, "start")
            time.sleep(15)
            held = conn.execute(HELD, ("worker1",)).fetchall()
            waiting = conn.execute(WAITING).fetchall()
        assert not held and not waiting, (
            f"15 s after the cut, worker1's sessions still hold member locks {held} and "
            f"these wait: {waiting}")
    finally:
        nemesis.act(cut, "heal")
        if clients is not None:
            run._stop_clients(clients)
        nemesis.close()
        subprocess.run([SHUNFURI, "cluster", "down", "--dir", str(folder)], timeout=120,
                       cwd=ROOT, capture_output=True)
        assert not netns.leftovers(DEFAULT)
