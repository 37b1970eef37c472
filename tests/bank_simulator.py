"""The bank simulator as a real process (`shunfuri bank-simulator`), keeping its record in
a database of its own on the test session's PostgreSQL, for tests that talk to a bank
over HTTP without a whole `shunfuri up`."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.services import create_database, drop_database
from tests.system import ROOT, SHUNFURI, free_port, poll


@dataclass
class BankProcess:
    url: str
    process: subprocess.Popen
    record_url: str = ""  # the database the simulator keeps its record in

    def control(self, **faults: Any) -> dict:
        return httpx.post(f"{self.url}/v1/control", json=faults, timeout=5).json()

    def stats(self) -> dict:
        return httpx.get(f"{self.url}/v1/stats", timeout=5).json()


@contextmanager
def running_bank(folder: Path, record: str | None = None) -> Iterator[BankProcess]:
    """`record`: a database of the caller's to keep the record in (left as it is at the
    end); by default one of the bank's own, dropped at the end."""
    port = free_port()
    own = record is None
    record = record or create_database()
    env = {**os.environ, "DATABASE_URL": record, "SHUNFURI_BANK_DATABASE_URL": record,
           "SHUNFURI_DATA_DIR": str(folder)}
    with open(folder / "bank.log", "w") as log:
        process = subprocess.Popen(
            [SHUNFURI, "bank-simulator", "--port", str(port)], env=env, cwd=ROOT,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        bank = BankProcess(f"http://127.0.0.1:{port}", process, record)
        try:
            def up() -> bool:
                if process.poll() is not None:
                    raise AssertionError((folder / "bank.log").read_text())
                try:
                    return httpx.get(f"{bank.url}/healthz", timeout=1).status_code == 200
                except httpx.HTTPError:
                    return False

            poll(up, timeout=30, interval=0.1, what="the bank simulator")
            yield bank
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
            if own:
                drop_database(record)
