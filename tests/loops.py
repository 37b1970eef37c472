"""Running a coroutine to its end from a test, whatever the thread already runs.

Sync Playwright leaves an event loop running in the main thread once a browser test has
run in the same session, and `asyncio.run` refuses to start inside it; a thread of its
own has no loop, so the coroutine gets a fresh one there."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T], timeout: float = 30) -> T:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=timeout)
