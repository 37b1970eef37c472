"""The instant queue's long-lived drain: claim the lock, serve, then hand over or release.

A steady stream of transfers is served by one long-lived drain task per queue instead
of a Celery message per transfer (that message costs more CPU than settling the
transfer). The lock, its lease and the "drain running" flag live in Redis
(`shunfuri.broker`); this module decides what a drain task does with them:

- **helped**: another drain holds the lock (a duplicate or redelivered message): make
  one pass and leave, so the worker slot is free for the maintenance queue.
- **serving**: pass after pass for at most `lifetime_s`, sleeping on the wake list when
  nothing is left, until the lifetime ends or the lease is lost (it is renewed from a
  thread meanwhile, also during a slow bank call).
- **handed over**: it worked, the lease is still ours and renewing it succeeds: start
  the successor with our token while we still hold the lock and the flag, so no API
  process has to start a drain and no transfer waits for one to start.
- **released**: otherwise release the lock and the flag (only if still ours).

Both ends make one last pass: after a release, whatever was committed before an API
process saw the flag is picked up here, and anything later sends a new message. The
lifetime is bounded so that acks-late redelivery and worker restarts stay cheap.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import redis

from shunfuri import broker
from shunfuri.services.orders import pipeline
from shunfuri.services.orders.pipeline import Context


class Ending(StrEnum):
    HELPED = "helped"
    HANDED_OVER = "handed_over"
    RELEASED = "released"


@dataclass(frozen=True)
class Life:
    """How long one drain serves, how long an idle drain sleeps on the wake list before
    looking again, and how long it lets more arrivals gather after a wake-up."""

    lifetime_s: float = 60.0
    idle_wait_s: float = 0.5
    gather_s: float = 0.003


class Lost(Protocol):
    def is_set(self) -> bool: ...


class Lease(Protocol):
    @property
    def lost(self) -> Lost: ...


class DrainLock(Protocol):
    """The drainer lock of one queue (`RedisDrainLock` in production)."""

    def claim(self, handover: str | None) -> str | None: ...
    def lease(self, token: str) -> AbstractContextManager[Lease]: ...
    def renew(self, token: str) -> bool: ...
    def release(self, token: str) -> bool: ...
    def wait_for_wake(self, timeout: float) -> bool: ...


# One pass over the queue: (how many rows it claimed, is more left?).
Pass = Callable[[], tuple[int, bool]]


def serve(
    lock: DrainLock,
    handover: str | None,
    *,
    drain_pass: Pass,
    start_successor: Callable[[str], None],
    life: Life = Life(),
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Ending:
    """Run one drain task's life; `handover` is the token its predecessor passed on."""
    token = lock.claim(handover)
    if token is None:
        drain_pass()
        return Ending.HELPED
    handed_over = False
    try:
        with lock.lease(token) as lease:
            worked = False
            deadline = monotonic() + life.lifetime_s
            while monotonic() < deadline and not lease.lost.is_set():
                claimed, more = drain_pass()
                worked = worked or claimed > 0
                if not more and lock.wait_for_wake(life.idle_wait_s):
                    sleep(life.gather_s)
        if worked and not lease.lost.is_set() and lock.renew(token):
            start_successor(token)
            handed_over = True
    finally:
        if not handed_over:
            lock.release(token)
    drain_pass()
    return Ending.HANDED_OVER if handed_over else Ending.RELEASED


@dataclass(frozen=True)
class RedisDrainLock:
    """`DrainLock` over the Redis scripts in `shunfuri.broker`."""

    client: redis.Redis
    queue: str

    def claim(self, handover: str | None) -> str | None:
        return broker.claim_drainer(self.client, self.queue, handover)

    def lease(self, token: str) -> AbstractContextManager[Lease]:
        return broker.DrainLease(self.client, self.queue, token)

    def renew(self, token: str) -> bool:
        return broker.renew_drain(self.client, self.queue, token)

    def release(self, token: str) -> bool:
        return broker.release_drain(self.client, self.queue, token)

    def wait_for_wake(self, timeout: float) -> bool:
        return broker.wait_for_wake(self.client, self.queue, timeout=timeout)


def serve_instant(ctx: Context, handover: str | None) -> Ending:
    """The `transfers.drain_instant` task: serve the instant queue with this worker's
    pipeline context; the successor is the same task, carrying our token."""

    def drain_pass() -> tuple[int, bool]:
        moved, more = pipeline.drain(ctx)
        return moved.claimed, more

    def start_successor(token: str) -> None:
        broker.send_task("transfers.drain_instant", args=[token], queue="instant")

    lock = RedisDrainLock(broker.get_redis(), "instant")
    return serve(lock, handover, drain_pass=drain_pass, start_successor=start_successor)
