"""Daily interest on principal: periods, one end counted, floors, leap years, free days.

The rule (spec/repayment.md): for a period of `d` days at a constant principal `P` and
rate `rate_bp`, the interest is `floor(P × rate_bp × d / (10000 × Y))` yen, where `Y` is
365, or 366 for a day in a leap year.

How a period is cut, and why each cut exists:

- **One end counted (片端入れ).** A period is written `(after, through]`: it holds the days
  strictly after `after` up to and including `through`. An event on day `D` (an advance,
  a repayment, a rate change) closes the open period at `through = D`, and the new state
  applies from `D + 1`. So an advance settled on 1 December accrues from 2 December, and a
  repayment on `D` pays interest up to and including `D`.
- **Year ends.** `Y` is a property of the day, so a period crossing 31 Dec is split into
  one segment per calendar year, each floored on its own.
- **The interest-free days.** The first advance's free days (`interest_free_days`) charge
  nothing; a period that straddles their end is split there (the free part is a 0-yen
  segment, the rest is charged as usual).

Interest is never charged on interest (no compounding): the formula only ever sees
principal. Integers throughout; `//` is floor division and all operands are >= 0.
"""

from __future__ import annotations

from calendar import isleap
from dataclasses import dataclass
from datetime import date, timedelta

FREE_DAYS = 30
_ONE_DAY = timedelta(days=1)


def year_days(day: date) -> int:
    """`Y` for a day: 366 in a leap year (2028), else 365."""
    return 366 if isleap(day.year) else 365


def period_interest(principal: int, rate_bp: int, days: int, year_length: int) -> int:
    """`floor(P × rate_bp × d / (10000 × Y))`, the interest of one homogeneous segment."""
    if principal < 0 or rate_bp < 0 or days < 0 or year_length not in (365, 366):
        raise ValueError("interest needs principal, rate and days >= 0 and Y of 365 or 366")
    return principal * rate_bp * days // (10000 * year_length)


def interest_free_days(first_advance_day: date) -> tuple[date, date]:
    """The first and last interest-free day for a member whose first advance settled on
    `first_advance_day` (JST).

    The spec: "for a member's very first advance, no interest accrues for the 30 days after
    the day it settled". The settlement day itself never accrues (one end counted), so the
    30 free days are `first_advance_day + 1` .. `first_advance_day + 30`, and the first
    charged day is `first_advance_day + 31`. First advance on 1 Dec: free 2 Dec .. 31 Dec,
    interest from 1 Jan. A repayment on the 30th day pays no interest; one on the 31st pays
    one day's.

    The free days are days, not a property of the first advance's yen: no interest accrues
    on any principal during them, so a second advance inside the window is also free until
    the window ends (what a member reads "30 days interest-free" to mean).
    """
    return first_advance_day + _ONE_DAY, first_advance_day + timedelta(days=FREE_DAYS)


@dataclass(frozen=True)
class InterestSegment:
    """Days `start`..`end` (both included) at one principal, rate and `Y`, floored once."""

    start: date
    end: date
    principal: int
    rate_bp: int
    year_days: int
    interest_free: bool
    amount: int

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def interest_segments(
    principal: int, rate_bp: int, after: date, through: date,
    free_days: tuple[date, date] | None = None,
) -> list[InterestSegment]:
    """Close the period `(after, through]` at a constant `principal` and `rate_bp`.

    Returns one segment per calendar year and per free / charged stretch, in order; their
    `amount`s summed are the interest the period adds to `interest_due`. An empty list when
    `through <= after` (a second event on the same day closes nothing).
    """
    segments: list[InterestSegment] = []
    start = after + _ONE_DAY
    while start <= through:
        end = min(through, date(start.year, 12, 31))
        free = False
        if free_days is not None:
            first_free, last_free = free_days
            if first_free <= start <= last_free:
                free, end = True, min(end, last_free)
            elif start < first_free:
                end = min(end, first_free - _ONE_DAY)
        days = (end - start).days + 1
        y = year_days(start)
        amount = 0 if free else period_interest(principal, rate_bp, days, y)
        segments.append(InterestSegment(start, end, principal, rate_bp, y, free, amount))
        start = end + _ONE_DAY
    return segments


def accrued_interest(
    principal: int, rate_bp: int, after: date, through: date,
    free_days: tuple[date, date] | None = None,
) -> int:
    """The interest `(after, through]` would add if it were closed now: what the member
    sees as accrued today, and what the full payoff amount includes. Showing it closes
    nothing: only a principal change, a repayment or a rate change closes a period."""
    return sum(s.amount for s in interest_segments(principal, rate_bp, after, through, free_days))
