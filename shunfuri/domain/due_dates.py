"""Due dates and the monthly minimum (all days are JST calendar days).

- **Due day**: 5, 15, 25 or month end (written 31: the last day of each month, so 28 or
  29 February). Default 25.
- **Due date**: the month's due day (the *nominal* date) moved to the next bank business
  day when it is not one (`calendar.is_business_day`: weekends, holidays, 31 Dec - 3 Jan).
- **First due date**: the first nominal due day at least 14 days after the first advance's
  settlement day (*ours*), then shifted. Later due dates follow monthly.
- **A changed due day** never moves the due date already pending (the member has been told
  it): the new day applies to the due dates after it, the first of them being the first new
  due day at least 14 days after the pending due date, so two due dates are never closer
  than 14 days.
- **Minimum** (残高スライド, *ours*): by the principal right after the latest advance,
  from the table below, never more than what would pay everything off. What is still to
  pay is shown as an amount a repayment may be (from ¥1,000, or the whole payoff).
- **Window**: a due date's minimum is met by repayments settled from the day after the
  previous due date up to and including the due date itself (for the first due date, all
  repayments since the first advance).
"""

from __future__ import annotations

import calendar as _cal
from datetime import date, timedelta

from shunfuri.domain.calendar import is_business_day, next_business_day
from shunfuri.domain.repayment import asked_amount
from shunfuri.errors import ShunfuriError

MONTH_END = 31
DUE_DAYS = (5, 15, 25, MONTH_END)
DEFAULT_DUE_DAY = 25
FIRST_DUE_GAP_DAYS = 14

# (principal after the latest advance up to and including, minimum per month)
MINIMUM_TABLE = ((100_000, 4_000), (200_000, 8_000), (300_000, 11_000), (500_000, 13_000))
# Above the last row: ¥13,000 plus ¥2,000 for each further ¥100,000 or part of it.
ABOVE_STEP, ABOVE_EXTRA = 100_000, 2_000


def check_due_day(due_day: int) -> int:
    if isinstance(due_day, bool) or due_day not in DUE_DAYS:
        raise ShunfuriError("invalid_due_day")
    return due_day


def nominal_due_date(year: int, month: int, due_day: int) -> date:
    """The due day of that month, before any business-day shift (31 -> the last day)."""
    last = _cal.monthrange(year, month)[1]
    return date(year, month, min(check_due_day(due_day), last))


def shift_to_business_day(nominal: date) -> date:
    """The due date itself: `nominal` if a bank business day, else the next one."""
    return nominal if is_business_day(nominal) else next_business_day(nominal)


def due_day_on_or_after(day: date, due_day: int) -> date:
    """The first nominal `due_day` date that is `day` or later."""
    year, month = day.year, day.month
    while True:
        candidate = nominal_due_date(year, month, due_day)
        if candidate >= day:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def first_due_nominal(first_advance_day: date, due_day: int) -> date:
    """The first nominal due date: the first `due_day` at least 14 days after the first
    advance (advance 11 Dec, due day 25 -> 25 Dec is exactly 14 days later, so it counts)."""
    return due_day_on_or_after(first_advance_day + timedelta(days=FIRST_DUE_GAP_DAYS), due_day)


def following_nominal(previous_nominal: date, due_day: int) -> date:
    """The nominal due date in the month after `previous_nominal` (same due day)."""
    year, month = previous_nominal.year, previous_nominal.month
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return nominal_due_date(year, month, due_day)


def nominal_after_change(previous_due_date: date, new_due_day: int) -> date:
    """The first nominal due date under a changed due day, after the due date (shifted)
    that was pending when the member changed it."""
    return due_day_on_or_after(previous_due_date + timedelta(days=FIRST_DUE_GAP_DAYS),
                               new_due_day)


def minimum_by_table(principal_after_latest_advance: int) -> int:
    """The table minimum (before the payoff cap). Each row's bound is included:
    ¥100,000 -> ¥4,000, ¥100,001 -> ¥8,000; above ¥500,000, +¥2,000 per ¥100,000 or
    part (¥500,001 and ¥600,000 -> ¥15,000; ¥600,001 -> ¥17,000)."""
    p = principal_after_latest_advance
    if p <= 0:
        return 0
    for bound, minimum in MINIMUM_TABLE:
        if p <= bound:
            return minimum
    last_bound, last_minimum = MINIMUM_TABLE[-1]
    steps = -(-(p - last_bound) // ABOVE_STEP)  # ceiling division: "or part"
    return last_minimum + ABOVE_EXTRA * steps


def minimum_required(table_minimum: int, paid_in_window: int, payoff_now: int) -> int:
    """A due date's minimum: the table's, but never more than what would have paid off the
    whole balance (what was already paid in the window plus today's full payoff).

    It is met exactly when `paid_in_window >= minimum_required(...)`, that is when the
    window's repayments reach the table minimum or nothing is owed any more.
    """
    return min(table_minimum, paid_in_window + payoff_now)


def minimum_remaining(table_minimum: int, paid_in_window: int, payoff_now: int) -> int:
    """What is still to pay by the due date (`minimum_due` shown to the member), >= 0:
    the shortfall as an amount a repayment may be (¥1,000 at least unless it is the whole
    payoff, `repayment.asked_amount`). ¥300 short of ¥4,000 is shown as ¥1,000, since a
    ¥300 repayment would be refused; paying it meets the minimum all the same."""
    short = minimum_required(table_minimum, paid_in_window, payoff_now) - paid_in_window
    return asked_amount(short, payoff_now)
