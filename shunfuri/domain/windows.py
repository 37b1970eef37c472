"""When money can move: service closures, bank maintenance windows and the quote.

Every window is half-open, `[start, end)`, and is decided in Japan time. Instants come
in tz-aware (any offset) and go out tz-aware in UTC, the way they are stored. `at` is
always an argument: nothing here reads a clock.

A window answers one question, `end_if_inside(local)`: if the JST instant lies inside
one of its occurrences, the end of that occurrence, else None. Windows of one owner may
chain (SMBC's Sunday-night window runs into its all-of-1-January window), so "when is
it open again" repeats the question until no window claims the instant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol

from shunfuri.domain.calendar import is_business_day, next_business_day
from shunfuri.domain.instants import JST, to_jst

if TYPE_CHECKING:
    from collections.abc import Iterable

    from shunfuri.domain.banks import Bank

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEK = timedelta(days=7)
# Far more than any real chain of windows; a loop guard against a data file whose
# windows tile the whole week (that bank would never be open).
_MAX_CHAIN = 64


class Window(Protocol):
    def end_if_inside(self, local: datetime) -> datetime | None: ...


def _hhmm(text: str) -> timedelta:
    match = re.fullmatch(r"(\d{2}):(\d{2})", text)
    if not match or int(match.group(1)) > 24 or int(match.group(2)) > 59:
        raise ValueError(f"expected a time as HH:MM, got {text!r}")
    value = timedelta(hours=int(match.group(1)), minutes=int(match.group(2)))
    if value > timedelta(hours=24):
        raise ValueError(f"time after 24:00: {text!r}")
    return value


@dataclass(frozen=True)
class WeeklyWindow:
    """Every week from `start` to `end`, both offsets from Monday 00:00 JST.

    `end <= start` wraps over the week boundary (Sunday 21:00 -> Monday 07:00).
    """

    start: timedelta
    end: timedelta

    @classmethod
    def parse(cls, start: str, end: str) -> WeeklyWindow:
        """`WeeklyWindow.parse("Sun 21:00", "Mon 07:00")`."""
        return cls(cls._offset(start), cls._offset(end))

    @staticmethod
    def _offset(text: str) -> timedelta:
        day, _, clock = text.strip().partition(" ")
        if day.lower() not in WEEKDAYS:
            raise ValueError(f"expected e.g. 'Sun 21:00', got {text!r}")
        return WEEKDAYS.index(day.lower()) * timedelta(days=1) + _hhmm(clock.strip())

    def __post_init__(self) -> None:
        if not (timedelta(0) <= self.start < _WEEK and timedelta(0) <= self.end <= _WEEK):
            raise ValueError("weekly window offsets must lie within one week")
        if self.start == self.end % _WEEK:
            raise ValueError("a weekly window must not be empty or the whole week")

    def end_if_inside(self, local: datetime) -> datetime | None:
        week_start = datetime.combine(local.date(), time(0), local.tzinfo) - timedelta(
            days=local.weekday()
        )
        pos = local - week_start
        if self.start < self.end:
            return week_start + self.end if self.start <= pos < self.end else None
        # Wraps: [start, end of week) U [start of week, end).
        if pos >= self.start:
            return week_start + _WEEK + self.end
        if pos < self.end:
            return week_start + self.end
        return None


@dataclass(frozen=True)
class YearlyWindow:
    """Every year from (month, day, time) to (month, day, time); may wrap over New Year."""

    start: tuple[int, int, timedelta]
    end: tuple[int, int, timedelta]

    @classmethod
    def parse(cls, start: str, end: str) -> YearlyWindow:
        """`YearlyWindow.parse("01-01 00:00", "01-02 00:00")` is all of 1 January."""
        return cls(cls._point(start), cls._point(end))

    @staticmethod
    def _point(text: str) -> tuple[int, int, timedelta]:
        match = re.fullmatch(r"(\d{2})-(\d{2}) (\d{2}:\d{2})", text.strip())
        if not match:
            raise ValueError(f"expected e.g. '01-01 00:00', got {text!r}")
        month, day = int(match.group(1)), int(match.group(2))
        date(2001, month, day)  # a non-leap year: refuses 29 Feb and impossible dates
        return month, day, _hhmm(match.group(3))

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise ValueError("a yearly window must not be empty")

    def _at(self, year: int, point: tuple[int, int, timedelta]) -> datetime:
        month, day, offset = point
        return datetime(year, month, day, tzinfo=JST) + offset

    def end_if_inside(self, local: datetime) -> datetime | None:
        for year in (local.year - 1, local.year):
            start = self._at(year, self.start)
            end = self._at(year, self.end)
            if end <= start:
                end = self._at(year + 1, self.end)
            if start <= local < end:
                return end
        return None


@dataclass(frozen=True)
class OnceWindow:
    """A one-off window between two instants (e.g. a bank's announced system upgrade)."""

    start: datetime
    end: datetime

    @classmethod
    def parse(cls, start: str, end: str) -> OnceWindow:
        """Naive instants are JST, like everywhere else in Shunfuri."""

        def read(text: str) -> datetime:
            value = datetime.fromisoformat(text)
            return value.replace(tzinfo=JST) if value.tzinfo is None else value

        return cls(read(start), read(end))

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a one-off window needs tz-aware instants")
        if not self.start < self.end:
            raise ValueError("a one-off window must end after it starts")

    def end_if_inside(self, local: datetime) -> datetime | None:
        return self.end if self.start <= local < self.end else None


_KINDS: dict[str, type[WeeklyWindow | YearlyWindow | OnceWindow]] = {
    "weekly": WeeklyWindow, "yearly": YearlyWindow, "once": OnceWindow}


def window_from_spec(spec: dict[str, Any]) -> Window:
    """`{"kind": "weekly", "from": "Sun 21:00", "until": "Mon 07:00"}` -> a window."""
    kind = _KINDS.get(spec.get("kind", ""))
    if kind is None:
        raise ValueError(f"window kind must be one of {sorted(_KINDS)}, got {spec!r}")
    return kind.parse(spec["from"], spec["until"])


def open_again_at(windows: Iterable[Window], at: datetime) -> datetime | None:
    """None if no window covers `at`; else the first instant >= at that none covers (UTC)."""
    windows = tuple(windows)
    local = to_jst(at)
    moved = False
    for _ in range(_MAX_CHAIN):
        for window in windows:
            end = window.end_if_inside(local)
            if end is not None:
                local, moved = end, True
                break
        else:
            return local.astimezone(UTC) if moved else None
    raise ValueError("windows never open (they chain for more than a year of steps)")


# The whole Shunfuri service refuses requests every Monday [00:00, 07:00) and all of
# 1 January, whatever the bank.
SERVICE_CLOSURES: tuple[Window, ...] = (
    WeeklyWindow.parse("Mon 00:00", "Mon 07:00"),
    YearlyWindow.parse("01-01 00:00", "01-02 00:00"),
)

# Standard banks: instant inside [09:00, 14:50) of a business day, else the 09:30 batch.
CUTOFF_OPEN = time(9, 0)
CUTOFF_CLOSE = time(14, 50)
BATCH_AT = time(9, 30)


@dataclass(frozen=True)
class Quote:
    decision: Literal["instant", "scheduled", "closed"]
    settle_at: datetime | None
    retry_at: datetime | None


def service_reopens_at(at: datetime) -> datetime | None:
    """None when the service takes requests at `at`; else when it first does again."""
    return open_again_at(SERVICE_CLOSURES, at)


def maintenance_ends_at(bank: Bank, at: datetime) -> datetime | None:
    """For a real-time bank inside maintenance, the first instant >= at outside every one
    of its windows; None when it is not in maintenance, and always for standard banks."""
    if not bank.realtime:
        return None
    return open_again_at(bank.maintenance, at)


def _batch(day: date) -> datetime:
    return datetime.combine(day, BATCH_AT, JST).astimezone(UTC)


def next_batch(at: datetime) -> datetime:
    """The first 09:30 JST batch on a bank business day strictly after `at` (tz-aware)."""
    day = to_jst(at).date()
    if is_business_day(day) and _batch(day) > at:
        return _batch(day)
    return _batch(next_business_day(day))


def quote(bank: Bank, at: datetime) -> Quote:
    """The decision a request accepted at `at` gets; fixed at acceptance and stored.

    `at` should be tz-aware; a naive value is taken as UTC (how instants are stored),
    the same convention as `instants.to_jst`. Parse user input with `parse_instant`,
    which reads a naive instant as JST.
    """
    retry_at = service_reopens_at(at)
    if retry_at is not None:
        return Quote("closed", None, retry_at)
    now = at.astimezone(UTC) if at.tzinfo is not None else at.replace(tzinfo=UTC)
    if bank.realtime:
        end = maintenance_ends_at(bank, now)
        return Quote("instant", now, None) if end is None else Quote("scheduled", end, None)
    local = to_jst(now)
    day = local.date()
    if not is_business_day(day):
        return Quote("scheduled", _batch(next_business_day(day)), None)
    clock = local.timetz().replace(tzinfo=None)
    if clock < CUTOFF_OPEN:
        return Quote("scheduled", _batch(day), None)
    if clock < CUTOFF_CLOSE:
        return Quote("instant", now, None)
    return Quote("scheduled", _batch(next_business_day(day)), None)


def quote_reason(bank: Bank, at: datetime) -> str:
    """Why `quote(bank, at)` decides what it does, as a stable code a page can explain:
    `service_closed`, `realtime` (instant, any hour), `realtime_maintenance`,
    `business_hours` (a standard bank, 09:00-14:50 of a business day), `before_opening`
    (same day 09:30), `after_cutoff` (from 14:50: next business day 09:30) or
    `non_business_day`. It follows the same branches as `quote`."""
    if service_reopens_at(at) is not None:
        return "service_closed"
    now = at.astimezone(UTC) if at.tzinfo is not None else at.replace(tzinfo=UTC)
    if bank.realtime:
        return "realtime" if maintenance_ends_at(bank, now) is None else "realtime_maintenance"
    local = to_jst(now)
    if not is_business_day(local.date()):
        return "non_business_day"
    clock = local.timetz().replace(tzinfo=None)
    if clock < CUTOFF_OPEN:
        return "before_opening"
    return "business_hours" if clock < CUTOFF_CLOSE else "after_cutoff"
