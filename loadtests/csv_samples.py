"""Raw samples of one kind of Locust user in this process, written as
`<name>-samples-<pid>.csv` in `LOADTEST_SAMPLES_DIR` when the test stops (the report reads
them back); used by the applicants' and the web members' user classes."""

from __future__ import annotations

import csv
import os
import threading
from collections.abc import Sequence
from pathlib import Path

from locust import events


class CsvSamples:
    def __init__(self, name: str, fields: Sequence[str]) -> None:
        self._name, self._fields = name, tuple(fields)
        self._lock = threading.Lock()
        self._rows: list[dict] = []
        events.test_stop.add_listener(lambda **_: self.flush())
        events.quitting.add_listener(lambda **_: self.flush())

    def add(self, row: dict) -> None:
        with self._lock:
            self._rows.append(row)

    def flush(self) -> None:
        with self._lock:
            if not self._rows:
                return
            folder = Path(os.environ.get("LOADTEST_SAMPLES_DIR", "."))
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{self._name}-samples-{os.getpid()}.csv"
            new = not path.exists()
            with path.open("a", newline="") as fh:
                writer = csv.DictWriter(fh, fieldnames=self._fields)
                if new:
                    writer.writeheader()
                writer.writerows(self._rows)
            self._rows.clear()
