"""Long-poll support: one Redis subscription per API process wakes `?wait=` and `Prefer: wait`.

Workers publish `id|<the transfer's public view>` lines on a channel when transfers
change (one message per pass, `shunfuri.broker.publish_transfer_events`); this listener
hands the view to whoever waits on that id, so a waiting request costs nothing until
its transfer moves (no polling of the database) and answers from the event without
reading the row again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator

import redis.asyncio as aioredis

from shunfuri.broker import events_channel, redis_url

log = logging.getLogger("shunfuri.api.waiter")


class Watch:
    """One waiting request: its wake-up, and the view that came with it (JSON bytes)."""

    __slots__ = ("event", "view")

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.view: bytes | None = None


class TransferWaiter:
    def __init__(self, broker_url: str) -> None:
        self.broker_url = broker_url
        self._events: dict[str, set[Watch]] = defaultdict(set)
        self._task: asyncio.Task | None = None
        self._subscribed = asyncio.Event()

    async def _listen(self) -> None:
        delay = 0.1
        while True:
            client = aioredis.Redis.from_url(redis_url(self.broker_url))
            try:
                async with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(events_channel(client))
                    self._subscribed.set()
                    delay = 0.1
                    async for message in pubsub.listen():
                        data = message.get("data")
                        if not isinstance(data, bytes):
                            continue
                        self._hand_out(data)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - reconnect; waiters fall back to timeout
                self._subscribed.clear()
                log.warning("transfer event listener lost Redis (%s); reconnecting", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                with contextlib.suppress(Exception):
                    await client.aclose()

    def _hand_out(self, data: bytes) -> None:
        events = self._events
        if not events:
            return
        for line in data.split(b"\n"):
            transfer_id, _, view = line.partition(b"|")
            watches = events.get(transfer_id.decode())
            if watches:
                for watch in watches:
                    watch.view = view
                    watch.event.set()

    async def _ensure_started(self) -> None:
        if self._subscribed.is_set() and self._task is not None and not self._task.done():
            return
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._listen())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), timeout=1.0)

    @contextlib.asynccontextmanager
    async def watch(self, transfer_id: str) -> AsyncIterator[Watch]:
        """Register before reading the row, so a change in between is not missed."""
        await self._ensure_started()
        watch = Watch()
        self._events[transfer_id].add(watch)
        try:
            yield watch
        finally:
            waiters = self._events.get(transfer_id)
            if waiters is not None:
                waiters.discard(watch)
                if not waiters:
                    del self._events[transfer_id]

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
