"""What a member owes at an instant: interest due, full payoff, next due date, minimum,
overdue. The one reading of a member's ledger every edge uses (`GET /v1/me`, the
repayment pages, the daily overdue job, reminder mail).

Nothing about interest is kept as a counter that could drift: the ledger is replayed
from the member's events (`shunfuri.domain.ledger.replay`), which are

- advances: `ledger_entries` (one per settled transfer, at its business settlement time);
- repayments: `repayments` rows that are `settled` (at `settled_at`);
- changes of terms: `member_events` (`rate` set by staff, `due_day` chosen by the member).

The replay starts from the default terms (1780 bp, due day 25); the `members` columns
`rate_bp` and `due_day` repeat the latest change for display and for staff checks.
`members.outstanding` is the principal, and must equal the replayed principal (the
settlement of a repayment writes both in one transaction).

Stable signature (other code builds on it): `dues(session, member_id, now) -> Dues`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shunfuri.db.models import LedgerEntry, MemberEvent, Repayment
from shunfuri.domain.instants import to_jst
from shunfuri.domain.ledger import (
    AdvanceSettled,
    DueDayChanged,
    Event,
    LedgerView,
    RateChanged,
    RepaymentSettled,
    replay,
)
from shunfuri.domain.orders import FINAL, SETTLED
from shunfuri.domain.rate_cap import DEFAULT_RATE_BP

RATE, DUE_DAY = "rate", "due_day"


@dataclass(frozen=True)
class Dues:
    """A member's balances and due state at `now` (JST day `day`)."""

    member_id: int
    day: date
    principal: int
    interest_due: int  # closed periods unpaid + the open period through `day`
    payoff_today: int  # 完済金額: principal + interest_due
    next_due_date: date | None  # None before the first advance
    minimum_due: int  # still to pay by next_due_date (0: nothing to pay)
    overdue: bool
    overdue_since: date | None
    missed_due_date: date | None
    amount_to_lift: int  # one repayment of this today lifts the overdue (0 if not overdue)
    in_flight: int  # repayments asked for and not final yet (the bank may still collect)
    rate_bp: int
    due_day: int
    pending_due_day: int | None  # chosen, applies after next_due_date
    view: LedgerView

    @property
    def repayable(self) -> int:
        """The most a new repayment may be now: the payoff less what is already on its
        way, so two repayments in flight can never together exceed what is owed."""
        return max(0, self.payoff_today - self.in_flight)

    def offer(self, amount: int) -> int:
        """`amount` (the minimum due, the amount to lift) as a new repayment may be now:
        the figures count settled repayments only, so with one still on its way the
        repayment that completes them may be smaller; 0 when nothing more may be repaid.
        Always an amount `check_repayment_amount(..., repayable)` accepts."""
        return min(amount, self.repayable) if amount > 0 else 0


def events_of(session: Session, member_id: int) -> list[Event]:
    """The member's ledger events, in time order (ties keep advances, repayments, then
    changes of terms, in their table order)."""
    events: list[Event] = [
        AdvanceSettled(at=row.created_at, amount=row.amount, ref=row.transfer_id)
        for row in session.execute(
            select(LedgerEntry.created_at, LedgerEntry.amount, LedgerEntry.transfer_id)
            .where(LedgerEntry.member_id == member_id).order_by(LedgerEntry.id)
        )
    ]
    events += [
        RepaymentSettled(at=row.settled_at, amount=row.amount, ref=row.id)
        for row in session.execute(
            select(Repayment.settled_at, Repayment.amount, Repayment.id)
            .where(Repayment.member_id == member_id, Repayment.status == SETTLED)
            .order_by(Repayment.settled_at, Repayment.id)
        )
    ]
    for row in session.execute(
        select(MemberEvent.at, MemberEvent.kind, MemberEvent.value)
        .where(MemberEvent.member_id == member_id).order_by(MemberEvent.id)
    ):
        if row.kind == RATE:
            events.append(RateChanged(at=row.at, rate_bp=row.value))
        elif row.kind == DUE_DAY:
            events.append(DueDayChanged(at=row.at, due_day=row.value))
    events.sort(key=lambda e: e.at)  # stable: ties keep the order above
    return events


def in_flight(session: Session, member_id: int) -> int:
    """Yen of the member's repayments not final yet (accepted, processing, in doubt)."""
    amounts = session.scalars(
        select(Repayment.amount).where(Repayment.member_id == member_id,
                                       Repayment.status.not_in(sorted(FINAL)))
    )
    return sum(amounts)


def ledger_view(session: Session, member_id: int, now: datetime) -> LedgerView:
    return replay(events_of(session, member_id), now)


def dues(session: Session, member_id: int, now: datetime) -> Dues:
    """The member's dues at `now` (business time). Reads only; closes nothing."""
    view = ledger_view(session, member_id, now)
    b, d = view.balances, view.due
    return Dues(
        member_id=member_id, day=to_jst(now).date(), principal=b.principal,
        interest_due=b.interest_due_today, payoff_today=b.payoff,
        next_due_date=d.next_due_date, minimum_due=d.minimum_due, overdue=d.overdue,
        overdue_since=d.overdue_since, missed_due_date=d.missed_due_date,
        amount_to_lift=d.amount_to_lift, in_flight=in_flight(session, member_id),
        rate_bp=_latest(view, "rate_change", "rate_bp"),
        due_day=d.due_day, pending_due_day=d.pending_due_day, view=view,
    )


def _latest(view: LedgerView, kind: str, attr: str) -> int:
    values = [getattr(line, attr) for line in view.lines if line.kind == kind]
    return values[-1] if values else DEFAULT_RATE_BP
