"""A month's statement (ご利用明細): the ledger's lines booked in that JST month.

Opening balances are those after the last line before the month; each line carries the
balances right after it; the closing balances are the ledger's at the month's last day (or
at `as_of`, for the current month), with the open period's interest shown as `accruing`
through that day: accrued, payable, not yet closed into a period.

An interest period is listed in the month it was closed (booked), with its own dates: a
period from 20 Nov to 10 Dec closed by a repayment on 10 Dec appears in December. The
month-end display accrual never closes a period, so it never changes the interest.
"""

from __future__ import annotations

import calendar as _cal
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from shunfuri.domain.due_dates import DEFAULT_DUE_DAY
from shunfuri.domain.ledger import DueOutcome, Event, Line, as_of_day, replay
from shunfuri.domain.rate_cap import DEFAULT_RATE_BP


@dataclass(frozen=True)
class Statement:
    year: int
    month: int
    through: date  # the last day covered: the month's last day, or as_of within the month
    opening_principal: int
    opening_interest_due: int
    lines: tuple[Line, ...]
    closing_principal: int
    closing_interest_due: int  # closed periods only
    accruing: int  # the open period's interest through `through`
    due_outcomes: tuple[DueOutcome, ...]  # this month's due dates that are over at as_of

    @property
    def closing_payoff(self) -> int:
        return self.closing_principal + self.closing_interest_due + self.accruing


def month_days(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, _cal.monthrange(year, month)[1])


def statement(
    events: Sequence[Event], year: int, month: int, as_of: date | datetime, *,
    rate_bp: int = DEFAULT_RATE_BP, due_day: int = DEFAULT_DUE_DAY,
) -> Statement:
    """The statement of `year`-`month` as known at `as_of` (a month not begun yet is empty,
    with the balances of `as_of`)."""
    first, last = month_days(year, month)
    today = as_of_day(as_of)
    through = min(last, today)
    # Replaying to the end of `through` (or to the `as_of` instant within it) sees every
    # line of the month that exists yet, and the balances the month closes on.
    cut: date | datetime = as_of if isinstance(as_of, datetime) and today <= last else through
    view = replay(events, cut, rate_bp=rate_bp, due_day=due_day)
    # A due date on the month's last day is over only the next day: take outcomes from all
    # that is known at `as_of`.
    known = replay(events, as_of, rate_bp=rate_bp, due_day=due_day)
    before = [line for line in view.lines if line.day < first]
    inside = tuple(line for line in view.lines if first <= line.day <= last)
    opening = before[-1] if before else None
    return Statement(
        year=year, month=month, through=through,
        opening_principal=opening.principal_after if opening else 0,
        opening_interest_due=opening.interest_due_after if opening else 0,
        lines=inside,
        closing_principal=view.balances.principal,
        closing_interest_due=view.balances.interest_due,
        accruing=view.balances.accruing,
        due_outcomes=tuple(o for o in known.due.outcomes if first <= o.due_date <= last),
    )
