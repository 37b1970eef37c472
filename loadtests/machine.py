"""How fast this machine is today: a transfer-shaped pgbench and what the machine is.

The machine's speed drifts from day to day (it is shared), so every run reports the
pgbench of the same run beside its figures.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from contextlib import suppress
from pathlib import Path

from loadtests.databases import create_database, drop_database, libpq_url

PGBENCH_CLIENTS = 8
PGBENCH_SCRIPT = """\
\\set aid random(1, 1000)
BEGIN;
SELECT balance FROM lt_accounts WHERE id = :aid FOR UPDATE;
UPDATE lt_accounts SET balance = balance + 1000 WHERE id = :aid;
INSERT INTO lt_ledger (account_id, amount) VALUES (:aid, 1000);
COMMIT;
"""


def pgbench_tps(url: str, folder: Path, seconds: float) -> dict:
    """Transfer-shaped pgbench (lock a row, update it, insert a ledger row) on scratch tables."""
    import psycopg

    from shunfuri.embedded.postgres_server import bin_dir

    pgbench = shutil.which("pgbench") or str(bin_dir() / "pgbench")
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS lt_accounts, lt_ledger")
        conn.execute("CREATE TABLE lt_accounts (id int PRIMARY KEY, balance bigint NOT NULL)")
        conn.execute(
            "CREATE TABLE lt_ledger (id bigserial PRIMARY KEY, account_id int, "
            "amount bigint, at timestamptz DEFAULT now())"
        )
        conn.execute("INSERT INTO lt_accounts SELECT g, 0 FROM generate_series(1, 1000) g")
    script = folder / "pgbench-transfer.sql"
    script.write_text(PGBENCH_SCRIPT)
    cmd = [pgbench, "-n", "-c", str(PGBENCH_CLIENTS), "-j", "2", "-T", str(max(1, int(seconds))),
           "-f", str(script), libpq_url(url)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    (folder / "pgbench.txt").write_text(proc.stdout + proc.stderr)
    with suppress(Exception), psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS lt_accounts, lt_ledger")
    match = re.search(r"tps = ([\d.]+)", proc.stdout)
    return {
        "tps": float(match.group(1)) if match else None,
        "clients": PGBENCH_CLIENTS,
        "seconds": int(seconds),
        "command": " ".join(cmd[:-1] + ["<db>"]),
    }


def scratch_pgbench(server_url: str, folder: Path, seconds: float) -> dict:
    """pgbench on a scratch database of `server_url` (a `--host` run's database is not ours)."""
    try:
        url = create_database(server_url, f"shunfuri_pgbench_{uuid.uuid4().hex[:8]}")
    except Exception as exc:  # noqa: BLE001 - no server: the figure is reported missing
        return {"tps": None, "error": str(exc)}
    try:
        return pgbench_tps(url, folder, seconds)
    finally:
        drop_database(url)


def describe() -> dict:
    """Cores, CPU model, memory, Python and Locust versions."""
    info: dict = {"cores": os.cpu_count()}
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    with suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    info["python"] = sys.version.split()[0]
    with suppress(Exception):
        from importlib.metadata import version

        # not `import locust`: it monkey-patches this process with gevent
        info["locust"] = version("locust")
    return info
