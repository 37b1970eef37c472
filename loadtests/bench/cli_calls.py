r"""What a test's `shunfuri ...` call costs: forked from the tests' fork server
(tests/cli_runs.py, what `System.cli` does) or started as the console script.

Makes a migrated database of its own on the machine's PostgreSQL, then runs each command
`--calls` times both ways and prints CPU seconds (the fork server's reaped children, and
this process's, from the kernel's accounts) and wall seconds per call. `reconcile` finds
no bank here and says so: the figure is the cost of getting that far.

    .venv/bin/python -m loadtests.bench.cli_calls --calls 10
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import tempfile
import time

import psutil

from loadtests.databases import create_database, drop_database
from shunfuri.db.migrate import upgrade
from tests import cli_runs
from tests.system import ROOT, SHUNFURI

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _reaped(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.children_user + times.children_system


def _own_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=10)
    args = parser.parse_args()
    url = create_database(SERVER, "shunfuri_bench_cli_calls")
    try:
        upgrade(url)
        env = {**os.environ, "DATABASE_URL": url}
        folder = tempfile.mkdtemp(prefix="shunfuri-bench-cli-")
        commands = (["doubts", "--json"], ["reconcile", "--json"],
                    ["clock", "2026-12-01T10:00:00+09:00", "--data-dir", folder])
        cli_runs.run(["doubts", "--json"], env=env, cwd=ROOT)  # the fork server starts
        [server] = [child for child in psutil.Process().children()
                    if "forkserver" in " ".join(child.cmdline())]
        for command in commands:
            cpu, wall = _reaped(server), time.monotonic()
            for _ in range(args.calls):
                cli_runs.run(command, env=env, cwd=ROOT)
            forked = ((_reaped(server) - cpu) / args.calls, (time.monotonic() - wall) / args.calls)
            cpu, wall = _own_children(), time.monotonic()
            for _ in range(args.calls):
                subprocess.run([SHUNFURI, *command], env=env, cwd=ROOT, capture_output=True,
                               check=False)
            script = ((_own_children() - cpu) / args.calls, (time.monotonic() - wall) / args.calls)
            print(f"{command[0]}: forked {forked[0]:.2f} CPU-s, {forked[1]:.2f} s; "
                  f"console script {script[0]:.2f} CPU-s, {script[1]:.2f} s")
    finally:
        drop_database(url)


if __name__ == "__main__":
    main()
