"""What a worker pass did, and its timing: leases and retry backoff (real time)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

# A claimed row is left alone this long. A pass that asks the bank about an order in
# doubt and then sends it again can take two bank timeouts; if the lease runs out first
# the sweep repeats the question, which the bank answers the same way.
LEASE = timedelta(seconds=10)
BATCH_LEASE = timedelta(seconds=120)  # rows handed to the 09:30 batch queue
MAX_BACKOFF = 30.0


@dataclass
class Outcome:
    """What a pass did, for metrics, events and the caller's loop."""

    # (transfer id, its public view after the change): published so a long-poll can
    # answer from the event instead of reading the row again.
    changes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    claimed: int = 0
    settled: int = 0
    failed: int = 0
    rejected: int = 0
    scheduled: int = 0
    retrying: int = 0
    waiting: int = 0  # in doubt, held until a bank's maintenance ends
    attention: int = 0  # retry budget spent: handed to staff

    _COUNTS = ("claimed", "settled", "failed", "rejected", "scheduled", "retrying", "waiting",
               "attention")

    def merge(self, other: Outcome) -> None:
        self.changes += other.changes
        for name in self._COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def touched(self) -> int:
        return sum(getattr(self, name) for name in self._COUNTS[1:])


def backoff(attempts: int) -> timedelta:
    """Exponential with equal jitter (uniform between half the ceiling and the ceiling),
    capped: retries spread out instead of stampeding, yet never come back at once."""
    ceiling = min(MAX_BACKOFF, 0.25 * 2 ** max(0, attempts - 1))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))
