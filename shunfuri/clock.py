"""The one place that reads the wall clock.

Everything below the edges takes `now` as an argument; the edges (API requests,
worker tasks, the CLI) ask a `Clock`. `SHUNFURI_CLOCK=<ISO instant>[@<speed>]` swaps in a
simulated clock so that a test or a demo can stand on a Sunday 21:00 without waiting.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from shunfuri.domain.instants import parse_instant


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class SimulatedClock:
    """Starts at `start` when real time is `anchor` and runs `speed` times faster."""

    start: datetime
    speed: float = 1.0
    anchor: float = field(default_factory=time.time)

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.time() - self.anchor) * self.speed)


def parse_clock_spec(spec: str) -> tuple[datetime, float]:
    """`2026-11-30T21:00+09:00@60` -> (that instant in UTC, 60.0)."""
    instant, _, speed = spec.strip().partition("@")
    start = parse_instant(instant)
    rate = float(speed) if speed else 1.0
    if not rate > 0:
        raise ValueError(f"SHUNFURI_CLOCK speed must be positive, got {speed!r}")
    return start, rate


def clock_from_spec(spec: str | None, anchor: float | None = None) -> Clock:
    if not spec:
        return SystemClock()
    start, speed = parse_clock_spec(spec)
    return SimulatedClock(start=start, speed=speed, anchor=anchor if anchor else time.time())


_clock: Clock | None = None


def get_clock() -> Clock:
    global _clock
    if _clock is None:
        from shunfuri.settings import get_settings

        settings = get_settings()
        _clock = clock_from_spec(settings.clock, settings.clock_anchor)
    return _clock


def set_clock(clock: Clock | None) -> None:
    """For tests that drive the service layer in-process."""
    global _clock
    _clock = clock
