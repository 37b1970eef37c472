"""The one place that reads the wall clock.

Everything below the edges takes `now` as an argument; the edges (API requests,
worker tasks, the CLI) ask a `Clock`. `SHUNFURI_CLOCK=<ISO instant>[@<speed>]` swaps in a
simulated clock so that a test or a demo can stand on a Sunday 21:00 without waiting.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from shunfuri.domain.instants import parse_instant

# How long a wait computed from a simulated clock that can be moved (`shunfuri clock`)
# is trusted: after a jump, a row waiting for a business instant looks again this soon.
JUMP_RECHECK = timedelta(seconds=15)


class Clock(Protocol):
    def now(self) -> datetime: ...

    def real_delay(self, business: timedelta) -> timedelta:
        """How much real (wall) time a span of business time takes on this clock."""
        ...


def wall_now() -> datetime:
    """Real time, for what is about processes and people rather than banks: token
    lifetimes, rate-limit windows, leases, audit stamps. Business rules use `now`."""
    return datetime.now(UTC)


class SystemClock:
    def now(self) -> datetime:
        return wall_now()

    def real_delay(self, business: timedelta) -> timedelta:
        return business


@dataclass
class SimulatedClock:
    """Starts at `start` when real time is `anchor` and runs `speed` times faster.

    With a `control` file (`<data dir>/clock.json`, written by `shunfuri clock`), every
    process of one system picks up a jump of the simulated clock at its next reading:
    that is how a demo or a load test gets to 09:30 without waiting. Each reading asks
    the file system whether the file changed (one `stat`, about a microsecond); reading
    it at most every 50 ms, as before, let a request that came right after `shunfuri
    clock` returned still see the old time.
    """

    start: datetime
    speed: float = 1.0
    anchor: float = field(default_factory=time.time)
    control: Path | None = None
    _stamp: tuple[int, int] = (0, 0)  # the file read last: (inode, mtime in ns)

    def now(self) -> datetime:
        if self.control is not None:
            self._reload()
        return self.start + timedelta(seconds=(time.time() - self.anchor) * self.speed)

    def real_delay(self, business: timedelta) -> timedelta:
        """`business` / speed: a window ending in 1 h of business time at speed 60 ends
        in 1 min of real time. A clock that `shunfuri clock` can move may jump past the
        end long before that, so such a wait is capped at JUMP_RECHECK."""
        if self.control is not None:
            self._reload()
        delay = business / self.speed
        if self.control is not None:
            delay = min(delay, JUMP_RECHECK)
        return max(delay, timedelta(0))

    def _reload(self) -> None:
        if self.control is None:
            return
        try:
            seen = os.stat(self.control)
        except OSError:
            return
        # A jump replaces the file (`write_control`): a new inode even when two jumps fall
        # within one tick of the file system's coarse modification time.
        stamp = (seen.st_ino, seen.st_mtime_ns)
        if stamp == self._stamp:
            return
        try:
            data = json.loads(self.control.read_text())
            self.start = datetime.fromisoformat(data["start"])
            self.speed, self.anchor = float(data["speed"]), float(data["anchor"])
            self._stamp = stamp
        except (OSError, ValueError, KeyError):
            pass  # half-written: the next read sees the whole file


def write_control(path: Path, start: datetime, speed: float) -> None:
    """Set the simulated clock of every process that reads `path`, atomically."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(
        json.dumps({"start": start.astimezone(UTC).isoformat(), "speed": speed,
                    "anchor": time.time()})
    )
    os.replace(tmp, path)


def parse_clock_spec(spec: str) -> tuple[datetime, float]:
    """`2026-11-30T21:00+09:00@60` -> (that instant in UTC, 60.0)."""
    instant, _, speed = spec.strip().partition("@")
    start = parse_instant(instant)
    rate = float(speed) if speed else 1.0
    if not rate > 0:
        raise ValueError(f"SHUNFURI_CLOCK speed must be positive, got {speed!r}")
    return start, rate


def clock_from_spec(
    spec: str | None, anchor: float | None = None, control: Path | None = None
) -> Clock:
    if not spec:
        return SystemClock()
    start, speed = parse_clock_spec(spec)
    return SimulatedClock(
        start=start, speed=speed, anchor=anchor if anchor else time.time(), control=control
    )


_clock: Clock | None = None


def get_clock() -> Clock:
    global _clock
    if _clock is None:
        from shunfuri.settings import get_settings

        settings = get_settings()
        _clock = clock_from_spec(
            settings.clock, settings.clock_anchor, settings.data_dir.resolve() / "clock.json"
        )
    return _clock


def set_clock(clock: Clock | None) -> None:
    """For tests that drive the service layer in-process."""
    global _clock
    _clock = clock
