r"""What one `shunfuri up` costs to start: CPU seconds over its process tree and seconds
until ready, its processes forked from `up` (the default on Linux) or exec'd as commands.

Each round starts a system as the end-to-end tests do (tests/system.py: its own database
on the machine's PostgreSQL, its own Redis db), waits until it is ready, lets it settle
for `--settle` seconds, and sums user + system CPU of `up` and every process under it
(psutil; children that already exited are counted by their parent). The modes alternate,
so a busy moment of the machine falls on both.

    .venv/bin/python -m loadtests.bench.system_start --rounds 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import psutil

from tests.system import running_system


def one(start: str, settle: float) -> tuple[float, float]:
    """(CPU seconds, seconds until ready) of one system started with `start`."""
    began = time.monotonic()
    with running_system(clock="2026-12-01T10:00:00+09:00", SHUNFURI_UP_START=start) as system:
        ready = time.monotonic() - began
        time.sleep(settle)
        root = psutil.Process(system.process.pid)
        cpu = 0.0
        for proc in [root, *root.children(recursive=True)]:
            try:
                times = proc.cpu_times()
            except psutil.Error:
                continue
            cpu += times.user + times.system + times.children_user + times.children_system
    return cpu, ready


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--settle", type=float, default=3.0)
    args = parser.parse_args()
    os.environ.pop("SHUNFURI_UP_START", None)
    seen: dict[str, list[tuple[float, float]]] = {"fork": [], "exec": []}
    for _ in range(args.rounds):
        for start in seen:
            seen[start].append(one(start, args.settle))
    for start, runs in seen.items():
        cpu = statistics.median(c for c, _ in runs)
        ready = statistics.median(r for _, r in runs)
        print(f"{start}: {cpu:.1f} CPU-s to start and settle, ready in {ready:.1f} s "
              f"(median of {len(runs)}: {', '.join(f'{c:.1f}' for c, _ in runs)})")


if __name__ == "__main__":
    main()
