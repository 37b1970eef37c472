"""A member's ledger, replayed from its events: balances, statement lines, due and overdue.

`replay(events, as_of)` is the reference statement of the rules; an incremental ledger
(balances kept in the database event by event) must agree with it at every instant. It
drives a `LedgerState` through the events in time order; `LedgerState` holds plain fields
only, so the incremental code can load one from a row, `apply` one event, and store it.

Order of work for an event on JST day `D`:

1. every due date before `D` is over: close it (`pass_due_dates`), which may add arrears;
2. close the open interest period at `D` (an advance, a repayment or a rate change);
3. apply the event; its new principal or rate counts from `D + 1`.

Interest is closed only by an event; what is shown for a day in between (`accruing`) is the
open period's interest through that day, computed without closing it, so looking at a
balance never changes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from shunfuri.domain import due_dates as dd
from shunfuri.domain.instants import to_jst
from shunfuri.domain.interest import (
    InterestSegment,
    accrued_interest,
    interest_free_days,
    interest_segments,
)
from shunfuri.domain.overdue import add_shortfall, amount_to_lift, reduce_arrears
from shunfuri.domain.rate_cap import DEFAULT_RATE_BP
from shunfuri.domain.repayment import allocate

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class AdvanceSettled:
    """A transfer to the member settled (the money left): principal grows by `amount`."""

    at: datetime
    amount: int
    ref: str = ""


@dataclass(frozen=True)
class RepaymentSettled:
    """A repayment was collected: interest due first, then principal."""

    at: datetime
    amount: int
    ref: str = ""


@dataclass(frozen=True)
class RateChanged:
    """Staff set a new annual rate (already checked against the legal cap)."""

    at: datetime
    rate_bp: int


@dataclass(frozen=True)
class DueDayChanged:
    """The member chose another due day (5, 15, 25 or 31 = month end)."""

    at: datetime
    due_day: int


Event = AdvanceSettled | RepaymentSettled | RateChanged | DueDayChanged
LineKind = Literal["advance", "repayment", "interest", "rate_change", "due_day_change"]


@dataclass(frozen=True)
class Line:
    """One statement line, with the balances right after it.

    `day` is the JST day the line was booked: an interest segment is booked on the day its
    period was closed (its own dates are in `segment`). For a repayment, `to_interest` and
    `to_principal` are its split; for an advance, `to_principal` is its amount.
    """

    kind: LineKind
    day: date
    amount: int
    principal_after: int
    interest_due_after: int
    at: datetime | None = None
    ref: str = ""
    to_interest: int = 0
    to_principal: int = 0
    segment: InterestSegment | None = None
    rate_bp: int | None = None
    due_day: int | None = None


@dataclass(frozen=True)
class DueOutcome:
    """A due date that is over: what it required, what its window paid, what was short."""

    due_date: date
    nominal: date
    window_first_day: date | None  # None: the first due date counts everything before it
    table_minimum: int
    required: int
    paid: int
    shortfall: int

    @property
    def met(self) -> bool:
        return self.shortfall == 0


@dataclass
class LedgerState:
    """Everything the rules need to know about a member between two events."""

    rate_bp: int = DEFAULT_RATE_BP
    due_day: int = dd.DEFAULT_DUE_DAY
    principal: int = 0
    interest_due: int = 0
    accrued_through: date | None = None  # last day whose interest is in `interest_due`
    first_advance_day: date | None = None
    principal_after_latest_advance: int = 0
    pending_due_day: int | None = None  # chosen, applies after the pending due date
    due_nominal: date | None = None  # the pending due date, before / after the shift
    due_date: date | None = None
    previous_due_date: date | None = None
    paid_in_window: int = 0
    arrears: int = 0
    missed_due_date: date | None = None  # the first unmet due date of the current arrears
    last_day: date | None = None
    lines: list[Line] = field(default_factory=list)
    outcomes: list[DueOutcome] = field(default_factory=list)

    # -- reading ------------------------------------------------------------------------

    @property
    def free_days(self) -> tuple[date, date] | None:
        return None if self.first_advance_day is None else interest_free_days(
            self.first_advance_day)

    def accruing(self, day: date) -> int:
        """Interest of the open period through `day` (shown, payable, not yet closed)."""
        if self.accrued_through is None or day <= self.accrued_through:
            return 0
        return accrued_interest(self.principal, self.rate_bp, self.accrued_through, day,
                                self.free_days)

    def payoff(self, day: date) -> int:
        """The full payoff amount (完済金額) on `day`."""
        return self.principal + self.interest_due + self.accruing(day)

    # -- time passing -------------------------------------------------------------------

    def pass_due_dates(self, day: date) -> None:
        """Close every due date before `day` (its end has passed by the start of `day`)."""
        while self.due_date is not None and self.due_date < day:
            self._close_due_date()

    def _close_due_date(self) -> None:
        assert self.due_date is not None and self.due_nominal is not None
        due = self.due_date
        table = dd.minimum_by_table(self.principal_after_latest_advance)
        required = dd.minimum_required(table, self.paid_in_window, self.payoff(due))
        shortfall = max(0, required - self.paid_in_window)
        self.outcomes.append(DueOutcome(
            due_date=due, nominal=self.due_nominal,
            window_first_day=None if self.previous_due_date is None
            else self.previous_due_date + _ONE_DAY,
            table_minimum=table, required=required, paid=self.paid_in_window,
            shortfall=shortfall,
        ))
        if shortfall:
            if self.arrears == 0:
                self.missed_due_date = due
            self.arrears = add_shortfall(self.arrears, required, self.paid_in_window)
        self.previous_due_date, self.paid_in_window = due, 0
        if self.pending_due_day is not None:
            self.due_day, self.pending_due_day = self.pending_due_day, None
            nominal = dd.nominal_after_change(due, self.due_day)
        else:
            nominal = dd.following_nominal(self.due_nominal, self.due_day)
        self.due_nominal, self.due_date = nominal, dd.shift_to_business_day(nominal)

    def _close_interest(self, day: date) -> None:
        if self.accrued_through is None or day <= self.accrued_through:
            return
        if self.principal:
            for segment in interest_segments(self.principal, self.rate_bp,
                                             self.accrued_through, day, self.free_days):
                self.interest_due += segment.amount
                self._line("interest", day, segment.amount, segment=segment,
                           rate_bp=segment.rate_bp)
        self.accrued_through = day

    # -- events -------------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        day = to_jst(event.at).date()
        if self.last_day is not None and day < self.last_day:
            raise ValueError(f"events must come in time order: {day} after {self.last_day}")
        self.last_day = day
        self.pass_due_dates(day)
        if isinstance(event, DueDayChanged):
            self._change_due_day(event, day)
            return
        self._close_interest(day)
        if isinstance(event, AdvanceSettled):
            self._advance(event, day)
        elif isinstance(event, RepaymentSettled):
            self._repay(event, day)
        elif isinstance(event, RateChanged):
            self.rate_bp = event.rate_bp
            self._line("rate_change", day, 0, at=event.at, rate_bp=event.rate_bp)
        else:
            raise TypeError(f"not a ledger event: {event!r}")

    def _advance(self, event: AdvanceSettled, day: date) -> None:
        if event.amount <= 0:
            raise ValueError("an advance is a positive amount")
        if self.first_advance_day is None:
            self.first_advance_day, self.accrued_through = day, day
            self.due_nominal = dd.first_due_nominal(day, self.due_day)
            self.due_date = dd.shift_to_business_day(self.due_nominal)
        self.principal += event.amount
        self.principal_after_latest_advance = self.principal
        self._line("advance", day, event.amount, at=event.at, ref=event.ref,
                   to_principal=event.amount)

    def _repay(self, event: RepaymentSettled, day: date) -> None:
        split = allocate(event.amount, self.interest_due, self.principal)
        self.interest_due -= split.interest
        self.principal -= split.principal
        self.paid_in_window += event.amount
        if self.arrears:
            self.arrears = reduce_arrears(self.arrears, split.principal, self.principal)
            if self.arrears == 0:
                self.missed_due_date = None
        self._line("repayment", day, event.amount, at=event.at, ref=event.ref,
                   to_interest=split.interest, to_principal=split.principal)

    def _change_due_day(self, event: DueDayChanged, day: date) -> None:
        new = dd.check_due_day(event.due_day)
        if self.due_date is None:  # nothing scheduled yet: the first due date uses it
            self.due_day = new
        else:
            self.pending_due_day = None if new == self.due_day else new
        self._line("due_day_change", day, 0, at=event.at, due_day=new)

    def _line(self, kind: LineKind, day: date, amount: int, **extra: Any) -> None:
        self.lines.append(Line(kind=kind, day=day, amount=amount,
                               principal_after=self.principal,
                               interest_due_after=self.interest_due, **extra))

    # -- the answer for a day -----------------------------------------------------------

    def view(self, day: date) -> LedgerView:
        """Balances and due state on `day`, after the events applied so far. Call
        `pass_due_dates(day)` first (`replay` does)."""
        accruing = self.accruing(day)
        balances = Balances(self.principal, self.interest_due, self.accrued_through,
                            accruing, day)
        table = dd.minimum_by_table(self.principal_after_latest_advance)
        payoff = balances.payoff
        due = DueState(
            due_day=self.due_day, pending_due_day=self.pending_due_day,
            next_due_date=self.due_date, previous_due_date=self.previous_due_date,
            table_minimum=table if self.due_date else 0,
            minimum_due=dd.minimum_remaining(table, self.paid_in_window, payoff)
            if self.due_date else 0,
            paid_toward_next=self.paid_in_window,
            overdue=self.arrears > 0,
            missed_due_date=self.missed_due_date,
            overdue_since=None if self.missed_due_date is None
            else self.missed_due_date + _ONE_DAY,
            arrears=self.arrears,
            amount_to_lift=amount_to_lift(self.arrears, self.principal,
                                          balances.interest_due_today),
            outcomes=tuple(self.outcomes),
        )
        return LedgerView(day, balances, due, tuple(self.lines))


@dataclass(frozen=True)
class Balances:
    principal: int
    interest_due: int  # closed periods, unpaid
    accrued_through: date | None
    accruing: int  # the open period's interest through `day`, not closed
    day: date

    @property
    def interest_due_today(self) -> int:
        """`interest_due` as the member sees it on `day` (closed + accruing)."""
        return self.interest_due + self.accruing

    @property
    def payoff(self) -> int:
        """The full payoff amount (完済金額) on `day`."""
        return self.principal + self.interest_due_today


@dataclass(frozen=True)
class DueState:
    due_day: int
    pending_due_day: int | None
    next_due_date: date | None  # None before the first advance
    previous_due_date: date | None
    table_minimum: int
    minimum_due: int  # still to pay by next_due_date; 0 = nothing to pay
    paid_toward_next: int
    overdue: bool
    missed_due_date: date | None
    overdue_since: date | None
    arrears: int
    amount_to_lift: int  # one repayment of this today lifts the overdue
    outcomes: tuple[DueOutcome, ...]


@dataclass(frozen=True)
class LedgerView:
    day: date
    balances: Balances
    due: DueState
    lines: tuple[Line, ...]


def as_of_day(as_of: date | datetime) -> date:
    return to_jst(as_of).date() if isinstance(as_of, datetime) else as_of


def replay(
    events: Iterable[Event], as_of: date | datetime, *,
    rate_bp: int = DEFAULT_RATE_BP, due_day: int = dd.DEFAULT_DUE_DAY,
) -> LedgerView:
    """The member's ledger at `as_of`: an aware instant, or a date meaning the end of that
    JST day. Events after it are ignored; events at the same instant keep their order.
    `rate_bp` and `due_day` are the member's values before any change event."""
    state = LedgerState(rate_bp=rate_bp, due_day=dd.check_due_day(due_day))
    day = as_of_day(as_of)
    events = list(events)
    if any(event.at.tzinfo is None for event in events):
        raise ValueError("event instants must be timezone-aware")
    for event in sorted(events, key=lambda e: e.at):
        if isinstance(as_of, datetime) and event.at > as_of:
            continue
        if not isinstance(as_of, datetime) and to_jst(event.at).date() > day:
            continue
        state.apply(event)
    state.pass_due_dates(day)
    return state.view(day)
