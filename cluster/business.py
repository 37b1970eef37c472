"""Business time for the nemesis and the checker, written from the spec (rules.md), not
imported from the code under test: bank business days, the boundaries a clock jump
crosses, the real-time banks' maintenance windows, and the business clock's line
(business instant as a function of wall time, from the jumps the nemesis made).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import jpholiday

JST = timezone(timedelta(hours=9))
LEAD = timedelta(seconds=10)  # a jump lands this long before the boundary it crosses
BOUNDARIES = ("sunday-2100", "1450", "0930", "year-end")


def is_business_day(day: date) -> bool:
    if day.weekday() >= 5 or jpholiday.is_holiday(day):
        return False
    return (day.month, day.day) not in ((12, 31), (1, 1), (1, 2), (1, 3))


def next_business_day(day: date) -> date:
    day += timedelta(days=1)
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def _at(day: date, hh: int, mm: int) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=JST)


def crossing(boundary: str, now: datetime) -> tuple[datetime, datetime]:
    """(jump to, heal to) for a clock fault at business instant `now`: the jump lands
    LEAD before the boundary; the heal jumps to LEAD before the end of what it opened
    (the window's end, the next 09:30), so both edges are crossed while clients run."""
    local = now.astimezone(JST) + timedelta(minutes=5)
    today = local.date()
    if boundary == "sunday-2100":  # SMBC's weekly maintenance, to Monday 07:00
        day = today + timedelta(days=(6 - today.weekday()) % 7)
        if _at(day, 21, 0) - LEAD <= local:
            day += timedelta(days=7)
        return _at(day, 21, 0) - LEAD, _at(day + timedelta(days=1), 7, 0) - LEAD
    if boundary == "1450":  # standard banks close; the next 09:30 batch opens
        day = today if is_business_day(today) and _at(today, 14, 50) - LEAD > local \
            else next_business_day(today)
        return _at(day, 14, 50) - LEAD, _at(next_business_day(day), 9, 30) - LEAD
    if boundary == "0930":  # early morning: scheduled for 09:30 the same day
        day = today if is_business_day(today) and _at(today, 8, 50) > local \
            else next_business_day(today)
        return _at(day, 8, 50), _at(day, 9, 30) - LEAD
    if boundary == "year-end":  # 31 Dec to 1 Jan: the service closes; reopens with 2027
        midnight = datetime(local.year + 1, 1, 1, tzinfo=JST)
        if midnight - LEAD <= local:
            midnight = datetime(local.year + 2, 1, 1, tzinfo=JST)
        reopen = next_business_day(midnight.date())
        return midnight - LEAD, _at(reopen, 9, 30) - LEAD
    raise ValueError(f"unknown boundary {boundary!r}")


def in_maintenance(bank_code: str, instant: datetime) -> bool:
    """A real-time bank's maintenance (rules.md): SMBC Sunday 21:00 -> Monday 07:00,
    PayPay Monday 00:00 -> 07:00, both all of 1 January. Other banks: never."""
    local = instant.astimezone(JST)
    if bank_code not in ("0009", "0033"):
        return False
    if (local.month, local.day) == (1, 1):
        return True
    monday_morning = local.weekday() == 0 and local.time() < time(7, 0)
    if bank_code == "0033":
        return monday_morning
    return monday_morning or (local.weekday() == 6 and local.time() >= time(21, 0))


@dataclass(frozen=True)
class ClockLine:
    """Business time as a function of wall time: a start, then the jumps (each `(wall
    epoch, business instant)`), running at speed 1 in between."""

    points: tuple[tuple[float, datetime], ...]

    def at(self, wall: float) -> datetime:
        walls = [p[0] for p in self.points]
        index = max(0, bisect_right(walls, wall) - 1)
        since, business = self.points[index]
        return business + timedelta(seconds=wall - since)

    def then(self, wall: float, business: datetime) -> ClockLine:
        return ClockLine((*self.points, (wall, business)))

    def wall_of(self, business: datetime, before: float) -> float | None:
        """The wall time at which the clock read `business`, at or before `before` (the
        latest such moment: after a jump back in wall terms, the later segment)."""
        walls = [p[0] for p in self.points] + [before]
        for index in range(len(self.points) - 1, -1, -1):
            since, start = self.points[index]
            wall = since + (business - start).total_seconds()
            if since <= wall <= walls[index + 1]:
                return wall
        return None
