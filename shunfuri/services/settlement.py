"""The worker's side of the pipeline: hold credit, pay the bank, settle - exactly once.

Two clocks are passed in by the edge: `now` is business time (the simulated clock
under SHUNFURI_CLOCK; it decides windows and `settle_at`), `wall` is real time (it
drives leases and retry backoff, which are about processes, not about banks).

A batch goes through three short transactions, never holding a lock across the bank
call:
  1. claim: lock rows (FOR UPDATE SKIP LOCKED), lock their members (in id order), check
     `amount <= limit - outstanding - held`, place holds, mark `processing` with a lease
     (or `scheduled`, or `rejected`);
  2. the bank call, outside any transaction, keyed by transfer id;
  3. finish: re-lock, and only rows still `processing` move: paid -> `settled` + ledger
     entry + hold becomes outstanding; rejected -> `failed` + hold released; transient
     -> stays `processing` with a backoff.
A redelivered message, a second beat or a recovery sweep can at worst repeat step 2,
which the bank answers from its record; step 3 is conditional, so nothing moves twice.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from shunfuri import metrics
from shunfuri.db.models import LedgerEntry, Member, Payee, Transfer
from shunfuri.domain.banks import get_bank
from shunfuri.domain.instants import iso_jst
from shunfuri.domain.limits import available
from shunfuri.domain.windows import maintenance_ends_at
from shunfuri.gateway.base import BankGateway, PaymentOrder, PaymentResult, TransientBankError
from shunfuri.services.transfers import aware, view

LEASE = timedelta(seconds=10)  # a claimed row is left alone this long
BATCH_LEASE = timedelta(seconds=120)  # rows handed to the 09:30 batch queue
MAX_BACKOFF = 30.0


@dataclass
class Outcome:
    """What a pass did, for metrics, events and the caller's loop."""

    # (transfer id, its public view after the change): published so a long-poll can
    # answer from the event instead of reading the row again.
    changes: list[tuple[str, dict]] = field(default_factory=list)
    claimed: int = 0
    settled: int = 0
    failed: int = 0
    rejected: int = 0
    scheduled: int = 0
    retrying: int = 0

    def merge(self, other: Outcome) -> None:
        self.changes += other.changes
        for name in ("claimed", "settled", "failed", "rejected", "scheduled", "retrying"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def touched(self) -> int:
        return self.settled + self.failed + self.rejected + self.scheduled + self.retrying


def backoff(attempts: int) -> timedelta:
    """Exponential with full jitter, capped: retries spread out instead of stampeding."""
    ceiling = min(MAX_BACKOFF, 0.25 * 2 ** max(0, attempts - 1))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def _lock_members(session: Session, member_ids: Iterable[int]) -> dict[int, Member]:
    ids = sorted(set(member_ids))
    if not ids:
        return {}
    rows = session.scalars(
        select(Member)
        .where(Member.id.in_(ids))
        .order_by(Member.id)
        # FOR NO KEY UPDATE: we change balances, never the key, so the API's inserts
        # (whose foreign-key checks take KEY SHARE on this row) are not blocked.
        .with_for_update(key_share=True)
    ).all()
    return {m.id: m for m in rows}


def claim_accepted(
    session: Session,
    *,
    now: datetime,
    wall: datetime,
    limit: int,
    older_than: datetime | None = None,
) -> tuple[list[Transfer], Outcome]:
    """Step 1 for new transfers: holds placed, instant ones leased for the bank call.

    Instant transfers are claimed first, so a bulk import of scheduled ones (whose money
    is due hours later) never queues ahead of a member waiting for seconds.
    """
    transfers: list[Transfer] = []
    for decision in ("instant", "scheduled"):
        room = limit - len(transfers)
        if room <= 0:
            break
        query = select(Transfer).where(
            Transfer.status == "accepted", Transfer.decision == decision
        )
        if older_than is not None:
            query = query.where(Transfer.updated_at < older_than)
        transfers += session.scalars(
            query.order_by(Transfer.accepted_at)
            .limit(room)
            .with_for_update(skip_locked=True, key_share=True)
        ).all()
    outcome = Outcome(claimed=len(transfers))
    if not transfers:
        return [], outcome
    members = _lock_members(session, (t.member_id for t in transfers))
    to_send = []
    for t in transfers:
        metrics.QUEUE_LAG.observe(max(0.0, (now - aware(t.accepted_at)).total_seconds()))
        member = members[t.member_id]
        t.updated_at = wall
        if member.status == "suspended":
            _reject(t, "account_suspended", outcome)
            continue
        if t.amount > available(member.credit_limit, member.outstanding, member.held):
            _reject(t, "insufficient_credit", outcome)
            continue
        member.held += t.amount
        if t.decision == "instant":
            t.status = "processing"
            t.next_attempt_at = wall + LEASE
            to_send.append(t)
        else:
            t.status = "scheduled"
            outcome.scheduled += 1
            outcome.changes.append((t.id, view(t)))
    return to_send, outcome


def _reject(t: Transfer, code: str, outcome: Outcome) -> None:
    t.status = "rejected"
    t.failure_code = code
    outcome.rejected += 1
    outcome.changes.append((t.id, view(t)))
    metrics.FAILED.labels(code=code).inc()


def claim_retries(
    session: Session, *, wall: datetime, limit: int, ids: list[str] | None = None
) -> list[Transfer]:
    """Step 1 for `processing` rows whose lease or backoff ran out (or a given chunk)."""
    query = select(Transfer).where(Transfer.status == "processing")
    if ids is not None:
        query = query.where(Transfer.id.in_(ids))
    else:
        query = query.where(Transfer.next_attempt_at <= wall)
    transfers = session.scalars(
        query.order_by(Transfer.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True, key_share=True)
    ).all()
    for t in transfers:
        t.next_attempt_at = wall + LEASE
        t.updated_at = wall
    return list(transfers)


def dispatch_due(
    session: Session, *, now: datetime, wall: datetime, limit: int
) -> tuple[list[str], Outcome]:
    """The 09:30 batch (and any due `scheduled` row): move due rows to `processing` and
    return their ids for the batch queue. Holds are already in place since acceptance.

    A member suspended since acceptance gets no transfer ("no transfer until reinstated"):
    their due rows, never sent to the bank, are rejected `account_suspended` and the
    hold is released, instead of paying out at 09:30.
    """
    due = session.execute(
        select(Transfer.id, Transfer.member_id)
        .where(Transfer.status == "scheduled", Transfer.settle_at <= now)
        .order_by(Transfer.settle_at, Transfer.id)
        .limit(limit)
        .with_for_update(skip_locked=True, key_share=True, of=Transfer)
    ).all()
    outcome = Outcome()
    suspended: set[int] = set()
    if due:
        suspended.update(
            session.scalars(
                select(Member.id).where(
                    Member.id.in_({r.member_id for r in due}), Member.status == "suspended"
                )
            )
        )
    if suspended:
        _reject_suspended(
            session, [r.id for r in due if r.member_id in suspended], wall=wall, outcome=outcome
        )
    ids = [r.id for r in due if r.member_id not in suspended]
    if ids:
        session.execute(
            update(Transfer)
            .where(Transfer.id.in_(ids))
            .values(status="processing", next_attempt_at=wall + BATCH_LEASE, updated_at=wall),
            execution_options={"synchronize_session": False},
        )
    return ids, outcome


def _reject_suspended(
    session: Session, ids: list[str], *, wall: datetime, outcome: Outcome
) -> None:
    transfers = session.scalars(select(Transfer).where(Transfer.id.in_(ids))).all()
    members = _lock_members(session, (t.member_id for t in transfers))
    for t in transfers:
        members[t.member_id].held -= t.amount
        t.next_attempt_at = None
        t.updated_at = wall
        _reject(t, "account_suspended", outcome)


def guard_maintenance(
    transfers: list[Transfer], *, now: datetime
) -> tuple[list[Transfer], Outcome]:
    """Never send to a real-time bank inside its maintenance window: queue lag can carry
    an instant transfer into one, so reschedule it to the window's end, saying why."""
    outcome, sendable = Outcome(), []
    for t in transfers:
        ends = maintenance_ends_at(get_bank(t.bank_code), now)
        if ends is None:
            sendable.append(t)
            continue
        t.status = "scheduled"
        t.settle_at = ends
        t.next_attempt_at = None
        t.note = f"rescheduled: bank maintenance at {iso_jst(now)} until {iso_jst(ends)}"
        outcome.scheduled += 1
        outcome.changes.append((t.id, view(t)))
        metrics.RESCHEDULED.inc()
    return sendable, outcome


def orders_for(session: Session, transfers: list[Transfer]) -> list[PaymentOrder]:
    payees = {
        p.id: p
        for p in session.scalars(select(Payee).where(Payee.id.in_({t.payee_id for t in transfers})))
    }
    return [
        PaymentOrder(
            transfer_id=t.id, amount=t.amount, bank_code=payees[t.payee_id].bank_code,
            branch_code=payees[t.payee_id].branch_code,
            account_type=payees[t.payee_id].account_type,
            account_number=payees[t.payee_id].account_number,
            holder_name=payees[t.payee_id].holder_name,
        )
        for t in transfers
    ]


def call_bank(
    gateway: BankGateway, orders: list[PaymentOrder]
) -> list[PaymentResult] | None:
    """Step 2. None means "no trustworthy answer": every order is retried later."""
    if not orders:
        return []
    try:
        return gateway.pay(orders)
    except TransientBankError:
        metrics.BANK_ERRORS.labels(kind="transient").inc()
        return None


def finish(
    session: Session,
    *,
    ids: list[str],
    results: list[PaymentResult] | None,
    now: datetime,
    wall: datetime,
) -> Outcome:
    """Step 3, conditional on each row still being `processing`."""
    outcome = Outcome()
    if not ids:
        return outcome
    transfers = session.scalars(
        select(Transfer)
        .where(Transfer.id.in_(ids))
        .order_by(Transfer.id)
        .with_for_update(key_share=True)
    ).all()
    live = [t for t in transfers if t.status == "processing"]
    if results is None:
        for t in live:
            t.attempts += 1
            t.next_attempt_at = wall + backoff(t.attempts)
            t.updated_at = wall
            outcome.retrying += 1
        return outcome
    by_id = {r.transfer_id: r for r in results}
    members = _lock_members(session, (t.member_id for t in live))
    held_delta: dict[int, int] = defaultdict(int)
    out_delta: dict[int, int] = defaultdict(int)
    ledger = []
    for t in live:
        result = by_id.get(t.id)
        if result is None:
            continue
        t.attempts += 1
        t.updated_at = wall
        t.next_attempt_at = None
        held_delta[t.member_id] -= t.amount
        if result.outcome == "paid":
            t.status = "settled"
            t.settled_at = now
            out_delta[t.member_id] += t.amount
            ledger.append(
                dict(transfer_id=t.id, member_id=t.member_id, amount=t.amount,
                     bank_code=t.bank_code, bank_reference=result.reference, created_at=now)
            )
            outcome.settled += 1
            outcome.changes.append((t.id, view(t)))
            metrics.SETTLED.labels(decision=t.decision).inc()
            if t.decision == "instant":
                metrics.ACCEPT_TO_SETTLED.observe((now - aware(t.accepted_at)).total_seconds())
        else:
            t.status = "failed"
            t.failure_code = result.code or "bank_rejected"
            outcome.failed += 1
            outcome.changes.append((t.id, view(t)))
            metrics.FAILED.labels(code=t.failure_code).inc()
    for member_id, delta in held_delta.items():
        member = members[member_id]
        member.held += delta
        member.outstanding += out_delta.get(member_id, 0)
    if ledger:
        session.execute(LedgerEntry.__table__.insert(), ledger)
    return outcome


def count_waiting(session: Session, *, wall: datetime, older_than: datetime | None = None) -> int:
    """Rows a drain would pick up now: accepted ones, and processing ones past lease."""
    accepted = select(func.count()).select_from(Transfer).where(Transfer.status == "accepted")
    if older_than is not None:
        accepted = accepted.where(Transfer.updated_at < older_than)
    retry = (
        select(func.count())
        .select_from(Transfer)
        .where(Transfer.status == "processing", Transfer.next_attempt_at <= wall)
    )
    return (session.scalar(accepted) or 0) + (session.scalar(retry) or 0)
