"""Admission control for instant transfers (pure; `now` is given).

The promise is that an instant transfer is paid within 10 s of acceptance. Past the
system's knee, accepting everything only makes every transfer late; a refusal up front
(503 `overloaded`, Retry-After) costs the member a retry and costs us nothing, while an
acceptance we cannot honour breaks the promise. So a new instant transfer is refused
while the instant queue is already behind.

"Behind" is the age of the oldest instant transfer accepted and not yet claimed by a
worker: its sojourn time in the queue (CoDel's signal, RFC 8289). It needs no estimate
of the drain rate, it is the same whatever slows the drain (too many requests, a worker
host lost, Redis gone so only the recovery sweep claims, a slow bank holding the
drains), and it is measured from the database, the queue of record, so every API
process sees the same one. Its weakness is lag: once the oldest has waited `max_wait`,
the transfers behind it were accepted in the meantime; at an offered load k times the
drain rate the last of them waits about k x `max_wait` before its claim. The default
(2 s) leaves 2x the knee well inside the promise.

Scheduled transfers never wait in this queue (they are booked for a later window), so
they are never refused here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

MAX_RETRY_AFTER_S = 30


@dataclass(frozen=True)
class Backlog:
    """The instant queue as read at one moment: how many accepted-not-claimed instant
    transfers, and the wall time the oldest of them was accepted (None: empty)."""

    depth: int
    oldest_at: datetime | None


@dataclass(frozen=True)
class Refusal:
    waited: float  # seconds the oldest has waited
    retry_after: int  # whole seconds, for the Retry-After header


def waited(backlog: Backlog, now: datetime) -> float:
    """Seconds the oldest accepted-not-claimed instant transfer has waited (0: none)."""
    if backlog.oldest_at is None or backlog.depth <= 0:
        return 0.0
    return max(0.0, (now - backlog.oldest_at).total_seconds())


def decide(backlog: Backlog, now: datetime, *, max_wait: float,
           decision: str = "instant") -> Refusal | None:
    """None: admit. A Refusal: the instant queue is `max_wait` seconds behind or more.

    `max_wait` <= 0 switches admission control off. Only `decision == "instant"` is ever
    refused. Retry-After is the time the current backlog has taken so far (about what it
    needs to drain), at least 1 s and at most `MAX_RETRY_AFTER_S`."""
    if decision != "instant" or max_wait <= 0:
        return None
    age = waited(backlog, now)
    if age < max_wait:
        return None
    return Refusal(waited=round(age, 3),
                   retry_after=min(MAX_RETRY_AFTER_S, max(1, math.ceil(age))))
