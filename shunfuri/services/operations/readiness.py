"""Readiness: the database and the broker answer (and, deep, a worker round trip)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from shunfuri.broker import get_redis, send_task
from shunfuri.db.session import get_engine


def _timed(fn: Callable[[], object]) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - readiness reports, never raises
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "ms": round((time.perf_counter() - start) * 1000, 2)}


def _database() -> None:
    with get_engine().connect() as conn:
        conn.execute(text("SELECT 1"))


def _broker() -> None:
    get_redis().ping()


def _worker() -> None:
    """Send a ping task and wait for the worker to write its answer into Redis."""
    token = uuid.uuid4().hex
    send_task("ops.ping", args=[token], queue="instant")
    deadline = time.monotonic() + 5
    client = get_redis()
    while time.monotonic() < deadline:
        if client.get(f"shunfuri:ping:{token}"):
            return
        time.sleep(0.02)
    raise TimeoutError("no worker answered within 5 s")


def check(*, deep: bool = False) -> dict[str, dict[str, Any]]:
    checks = {"database": _timed(_database), "broker": _timed(_broker)}
    if deep and checks["broker"]["ok"]:
        checks["worker"] = _timed(_worker)
    return checks
