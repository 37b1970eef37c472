"""The cluster itself (root, Linux; part of `make chaos`): hosts answer only where they
should, a partition cuts exactly its link, the cluster ends itself at its deadline, and
`shunfuri cluster down` leaves nothing behind. Then one 5-minute nemesis seed, end to end,
the CI's: exit 0 only when its checker finds 0 lost, 0 doubled, 0 over limit.

These run before the one-fault scenarios (pytest collects this folder first), so no other
system shares the machine's two cores with the cluster.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from cluster import netns
from cluster.hosts import DEFAULT, POSTGRES_PORT
from cluster.layout import Layout
from tests.system import ROOT, SHUNFURI, poll

pytestmark = pytest.mark.e2e
CI_SEED = 11
CI_MINUTES = 5


def shunfuri(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([SHUNFURI, *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT)


def connects(host: str, address: str, port: int) -> bool:
    """Whether `host` (a namespace) opens a TCP connection to address:port within 2 s."""
    probe = (f"import socket; socket.create_connection(({address!r}, {port}), timeout=2)")
    done = subprocess.run(["ip", "netns", "exec", DEFAULT.netns(host), "python3", "-c", probe],
                          capture_output=True, timeout=30)
    return done.returncode == 0


@pytest.mark.timeout(600)
def test_a_partition_cuts_its_link_the_deadline_ends_it_and_down_leaves_nothing(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "cluster"
    layout = Layout.at(folder)
    up = shunfuri("cluster", "up", "--dir", str(folder), "--ttl-minutes", "2")
    assert up.returncode == 0, up.stdout + up.stderr
    try:
        status = shunfuri("cluster", "status", "--dir", str(folder))
        assert status.returncode == 0 and "stopped" not in status.stdout, status.stdout
        # PostgreSQL answers on its host's address (the proxy), from other hosts; the
        # server itself listens on its own namespace's loopback only.
        pg = DEFAULT.address("postgres")
        assert connects("worker1", pg, POSTGRES_PORT)
        assert not connects("worker1", "127.0.0.1", POSTGRES_PORT)
        # worker1 cut from PostgreSQL, one way: worker1 cannot reach it, worker2 can.
        netns.block(DEFAULT, "worker1", "postgres")
        assert netns.blocked(DEFAULT, "worker1") == [pg]
        assert not connects("worker1", pg, POSTGRES_PORT)
        assert connects("worker2", pg, POSTGRES_PORT)
        netns.unblock(DEFAULT, "worker1", "postgres")
        assert connects("worker1", pg, POSTGRES_PORT)
        # At its deadline the cluster ends by itself: processes and network gone.
        deadline = json.loads((folder / "cluster.json").read_text())["deadline"]
        time.sleep(max(0.0, deadline - time.time()))
        poll(lambda: not netns.leftovers(DEFAULT), timeout=60, interval=0.5,
             what=f"the cluster to end by itself: {netns.leftovers(DEFAULT)}")
    finally:
        down = shunfuri("cluster", "down", "--dir", str(folder))
    assert down.returncode == 0, down.stdout + down.stderr
    assert "nothing left" in down.stdout
    assert not netns.leftovers(DEFAULT) and not layout.root.exists()
    assert not _cluster_processes(folder)


def _cluster_processes(folder: Path) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if str(folder) in cmdline or "cluster.supervisor" in cmdline:
                found.append(f"{entry.name} {cmdline[:120]}")
    return found


@pytest.mark.timeout(CI_MINUTES * 60 + 1500)
def test_one_nemesis_seed_for_five_minutes_keeps_the_money() -> None:
    """The CI's seed: overlapping partitions, kills, restarts, lost answers and clock
    jumps for five minutes; its verdict table is printed and kept in chaos/results/."""
    done = subprocess.run(
        [SHUNFURI, "nemesis", "--seed", str(CI_SEED), "--minutes", str(CI_MINUTES)],
        cwd=ROOT, timeout=CI_MINUTES * 60 + 1200, capture_output=True, text=True)
    print(done.stdout[-6000:], done.stderr[-3000:], flush=True)
    assert done.returncode == 0, f"seed {CI_SEED} failed: see chaos/results/ and above"
    assert f"seed {CI_SEED}: PASS - lost 0, doubled 0, over limit 0" in done.stdout
