"""Following a transfer from a page: wait for its next change without polling the database."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol


class Watch(Protocol):
    event: asyncio.Event


class TransferWaiter(Protocol):
    def watch(self, transfer_id: str) -> AbstractAsyncContextManager[Any]: ...


Waiter = Callable[[], TransferWaiter]

_waiter: Waiter | None = None


def use(waiter: Waiter) -> None:
    global _waiter
    _waiter = waiter


async def wait_for_change(
    transfer_id: str, read: Callable[[], Any], *, seconds: float, settled: Callable[[Any], bool]
) -> Any:
    """`read()` now, and again after the transfer's next event or `seconds`, whichever
    comes first; returns at once when `settled(view)` (nothing more to wait for)."""
    from starlette.concurrency import run_in_threadpool

    if _waiter is None or seconds <= 0:
        return await run_in_threadpool(read)
    async with _waiter().watch(transfer_id) as changed:
        current = await run_in_threadpool(read)
        if settled(current):
            return current
        try:
            async with asyncio.timeout(seconds):
                await changed.event.wait()
        except TimeoutError:
            return current
    return await run_in_threadpool(read)
