"""Start-up time of the private PostgreSQL (`shunfuri.embedded`): a new cluster (initdb +
start, as on a first `make run` or a test session) and an existing one (every later
`make run`), five of each, durable (as `up` runs it) and with fsync off (tests, chaos).

    .venv/bin/python -m loadtests.bench_private_postgres
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

from shunfuri.embedded import PrivatePostgres


def measure(durable: bool, runs: int = 5) -> str:
    new, existing = [], []
    for _ in range(runs):
        root = Path(tempfile.mkdtemp(prefix="shunfuri-bench-pg-"))
        server = PrivatePostgres(root / "postgres", durable=durable)
        try:
            started = time.perf_counter()
            server.start()
            new.append(time.perf_counter() - started)
            server.stop()
            started = time.perf_counter()
            server.start()
            existing.append(time.perf_counter() - started)
        finally:
            server.destroy()
            shutil.rmtree(root, ignore_errors=True)
    return (f"{'durable' if durable else 'fsync off'}: new cluster median "
            f"{statistics.median(new):.2f} s (min {min(new):.2f}, max {max(new):.2f}); "
            f"existing median {statistics.median(existing):.2f} s "
            f"(min {min(existing):.2f}, max {max(existing):.2f})")


if __name__ == "__main__":
    for durable in (True, False):
        print(measure(durable))
