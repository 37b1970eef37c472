"""Private servers a chaos test may stop and start without disturbing anything else: the
project's own private PostgreSQL and redis-server (`shunfuri.embedded`), each in a temp
folder of its own, owned by the test and removed at the end."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from shunfuri import embedded
from tests.system import free_port


class PrivateRedis(embedded.PrivateRedis):
    """No persistence: a restart loses every message in flight, as the scenario wants."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="shunfuri-chaos-redis-"))
        super().__init__(self.root / "redis", port=free_port())

    def destroy(self) -> None:
        super().destroy()
        shutil.rmtree(self.root, ignore_errors=True)


class PrivatePostgres(embedded.PrivatePostgres):
    """fsync off: a chaos run keeps nothing; `stop("fast")` / `start()` restart it."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="shunfuri-chaos-pg-"))
        super().__init__(self.root / "postgres", durable=False)

    def destroy(self) -> None:
        super().destroy()
        shutil.rmtree(self.root, ignore_errors=True)
