"""The credit bureau simulator as a real process (`shunfuri bureau-simulator`), keeping its
records in a database of its own on the test session's PostgreSQL, for tests that screen
applications over HTTP without a whole `shunfuri up`."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from tests.services import create_database, drop_database
from tests.system import ROOT, SHUNFURI, free_port, poll

CALM = {"latency_ms": 0, "transient_rate": 0, "lose_response_rate": 0, "outage": False}


@dataclass
class BureauProcess:
    url: str
    process: subprocess.Popen
    record_url: str

    def control(self, **faults: Any) -> dict:
        return httpx.post(f"{self.url}/v1/bureau/control", json=faults, timeout=5).json()

    def calm(self) -> dict:
        return self.control(**CALM)

    def stats(self) -> dict:
        return httpx.get(f"{self.url}/v1/bureau/stats", timeout=5).json()

    def record(self, *, kana_name: str, birth_date: date | str, phone: str,
               other_balance: int = 0, other_count: int = 0, delinquent: bool = False) -> dict:
        response = httpx.put(f"{self.url}/v1/bureau/records", timeout=5, json={
            "kana_name": kana_name, "birth_date": str(birth_date), "phone": phone,
            "other_balance": other_balance, "other_count": other_count,
            "delinquent": delinquent})
        assert response.status_code == 200, response.text
        return response.json()


@contextmanager
def running_bureau(folder: Path) -> Iterator[BureauProcess]:
    port = free_port()
    record = create_database()
    env = {**os.environ, "DATABASE_URL": record, "SHUNFURI_BANK_DATABASE_URL": record,
           "SHUNFURI_DATA_DIR": str(folder)}
    log_path = folder / "bureau.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [SHUNFURI, "bureau-simulator", "--port", str(port)], env=env, cwd=ROOT,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        bureau = BureauProcess(f"http://127.0.0.1:{port}", process, record)
        try:
            def up() -> bool:
                if process.poll() is not None:
                    raise AssertionError(log_path.read_text())
                try:
                    return httpx.get(f"{bureau.url}/healthz", timeout=1).status_code == 200
                except httpx.HTTPError:
                    return False

            poll(up, timeout=30, interval=0.1, what="the bureau simulator")
            yield bureau
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
            drop_database(record)
