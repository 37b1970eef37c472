"""The worker's side of the pipeline: hold credit, pay the bank, settle - exactly once.

Two clocks are passed in by the edge: `now` is business time (the simulated clock
under SHUNFURI_CLOCK; it decides windows and `settle_at`), `wall` is real time (it
drives leases and retry backoff, which are about processes, not about banks).

A batch goes through three short transactions, never holding a lock across the bank
call:
  1. claim: lock rows (FOR UPDATE SKIP LOCKED), lock their members (in id order), check
     `amount <= limit - outstanding - held`, place holds, mark `processing` with a lease
     (or `scheduled`, or `rejected`); keep rows out of a real-time bank's maintenance;
     and record the send (`sent_at`, `attempts`) *before* the call, so a worker dying
     during the call leaves a row that says the bank may have paid;
  2. the bank step (`bank_step.exchange`), outside any transaction, keyed by transfer
     id: new orders are paid; orders in doubt are first asked about, and only those the
     bank has no record of are sent again;
  3. finish: re-lock, and only rows the rules allow move (`transitions`): paid ->
     `settled` + ledger entry + hold becomes outstanding; refused -> `failed` + hold
     released; no answer -> stays `processing` with a backoff, or `needs_attention` once
     the retry budget is spent (hold kept).
A redelivered message, a second beat or a recovery sweep can at worst repeat step 2,
which the bank answers from its record; step 3 is conditional, so nothing moves twice.
Every status change goes through `transitions.move`, which refuses what the in-doubt
rule forbids (`shunfuri.domain.orders`).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shunfuri import metrics
from shunfuri.db.models import LedgerEntry, Member, Payee, Transfer
from shunfuri.domain.banks import get_bank
from shunfuri.domain.instants import iso_jst
from shunfuri.domain.limits import available
from shunfuri.domain.orders import PROCESSING, Budget
from shunfuri.domain.windows import maintenance_ends_at
from shunfuri.gateway.base import PaymentOrder, PaymentResult
from shunfuri.services.transfers import aware, view
from shunfuri.services.transitions import Move, may, move, move_where

# A claimed row is left alone this long. A pass that asks the bank about an order in
# doubt and then sends it again can take two bank timeouts; if the lease runs out first
# the sweep repeats the question, which the bank answers the same way.
LEASE = timedelta(seconds=10)
BATCH_LEASE = timedelta(seconds=120)  # rows handed to the 09:30 batch queue
MAX_BACKOFF = 30.0
DOUBT_NOTE = "in doubt:"  # notes the doubt handling writes start so; cleared by an answer
NO_ANSWER = "no answer from the bank"

RealDelay = Callable[[timedelta], timedelta]


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
    waiting: int = 0  # in doubt, held until a bank's maintenance ends
    attention: int = 0  # retry budget spent: handed to staff

    _COUNTS = ("claimed", "settled", "failed", "rejected", "scheduled", "retrying", "waiting",
               "attention")

    def merge(self, other: Outcome) -> None:
        self.changes += other.changes
        for name in self._COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def touched(self) -> int:
        return sum(getattr(self, name) for name in self._COUNTS[1:])


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
        if member.status == "suspended":
            _reject(t, "account_suspended", outcome, wall)
            continue
        if t.amount > available(member.credit_limit, member.outstanding, member.held):
            _reject(t, "insufficient_credit", outcome, wall)
            continue
        member.held += t.amount
        if t.decision == "instant":
            move(t, Move.CLAIM, wall=wall)
            t.next_attempt_at = wall + LEASE
            to_send.append(t)
        else:
            move(t, Move.PARK, wall=wall)
            outcome.scheduled += 1
            outcome.changes.append((t.id, view(t)))
    return to_send, outcome


def _reject(t: Transfer, code: str, outcome: Outcome, wall: datetime) -> None:
    move(t, Move.REFUSE, wall=wall)
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
    hold is released, instead of paying out at 09:30. A row the bank may have paid is
    not ours to reject (`transitions` refuses it): it goes on, and the bank's answer to
    an inquiry decides, never the suspension.
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
    refused: set[str] = set()
    if suspended:
        refused = _reject_suspended(
            session, [r.id for r in due if r.member_id in suspended], wall=wall, outcome=outcome
        )
    ids = [r.id for r in due if r.id not in refused]
    if ids:
        move_where(session, Transfer, ids, Move.DUE, wall=wall,
                   next_attempt_at=wall + BATCH_LEASE)
    return ids, outcome


def _reject_suspended(
    session: Session, ids: list[str], *, wall: datetime, outcome: Outcome
) -> set[str]:
    transfers = session.scalars(select(Transfer).where(Transfer.id.in_(ids))).all()
    members = _lock_members(session, (t.member_id for t in transfers))
    refused = set()
    for t in transfers:
        if not may(t, Move.REFUSE):
            continue
        members[t.member_id].held -= t.amount
        t.next_attempt_at = None
        _reject(t, "account_suspended", outcome, wall)
        refused.add(t.id)
    return refused


def guard_maintenance(
    transfers: list[Transfer], *, now: datetime, wall: datetime,
    real_delay: RealDelay = lambda business: business, budget: Budget | None = None,
) -> tuple[list[Transfer], Outcome]:
    """Never send to a real-time bank inside its maintenance window: queue lag can carry
    an instant transfer into one, so reschedule it to the window's end, saying why.

    A transfer already sent may have been paid, so it is never rescheduled (a scheduled
    transfer can be cancelled): it stays `processing`, hold kept, with its next attempt
    at the window's end - converted to real time, since `next_attempt_at` is real time
    and a simulated business clock may run faster (`real_delay`).
    """
    budget = budget or Budget()
    outcome, sendable = Outcome(), []
    for t in transfers:
        ends = maintenance_ends_at(get_bank(t.bank_code), now)
        if ends is None:
            sendable.append(t)
            continue
        if may(t, Move.RESCHEDULE):
            move(t, Move.RESCHEDULE, wall=wall)
            t.settle_at = ends
            t.next_attempt_at = None
            t.note = f"rescheduled: bank maintenance at {iso_jst(now)} until {iso_jst(ends)}"
            outcome.scheduled += 1
            outcome.changes.append((t.id, view(t)))
            metrics.RESCHEDULED.inc()
            continue
        resume = wall + real_delay(ends - now)
        t.next_attempt_at = resume
        t.updated_at = wall
        t.attention_at = budget.attention_after_hold(aware(t.attention_at), resume)
        t.note = (f"{DOUBT_NOTE} sent before bank maintenance ({iso_jst(now)} until "
                  f"{iso_jst(ends)}); the bank will be asked when it reopens")
        outcome.waiting += 1
    return sendable, outcome


def give_up_spent(
    transfers: list[Transfer], *, wall: datetime, budget: Budget
) -> tuple[list[Transfer], Outcome]:
    """Orders in doubt whose retry budget is already spent (e.g. a worker died during
    every attempt) go to staff instead of to the bank again."""
    outcome, remaining = Outcome(), []
    for t in transfers:
        if t.sent_at is not None and budget.spent(
            attempts=t.attempts, sent_at=aware(t.sent_at), attention_at=aware(t.attention_at),
            wall=wall,
        ):
            _give_up(t, wall, outcome)
        else:
            remaining.append(t)
    return remaining, outcome


def _give_up(t: Transfer, wall: datetime, outcome: Outcome) -> None:
    move(t, Move.GIVE_UP, wall=wall)
    t.next_attempt_at = None
    t.note = (f"{DOUBT_NOTE} the bank has not confirmed this transfer after "
              f"{t.attempts} attempts; staff are checking it with the bank")
    outcome.attention += 1
    outcome.changes.append((t.id, view(t)))
    metrics.NEEDS_ATTENTION.inc()


def mark_sent(transfers: list[Transfer], *, wall: datetime) -> set[str]:
    """Record, before the bank call and in the claim's transaction, that these orders
    are going out. Returns the ids that were already in doubt (sent before)."""
    doubtful = set()
    for t in transfers:
        if t.sent_at is None:
            t.sent_at = wall
        else:
            doubtful.add(t.id)
        t.attempts += 1
        t.next_attempt_at = wall + LEASE
    return doubtful


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


def finish(
    session: Session,
    *,
    ids: list[str],
    results: dict[str, PaymentResult],
    now: datetime,
    wall: datetime,
    budget: Budget | None = None,
) -> Outcome:
    """Step 3: the bank's answers, applied only where the rules allow. A definitive
    answer ends a transfer in `processing` or `needs_attention`; "no answer" only moves
    a transfer still `processing` (its next attempt, or staff once the budget is spent).
    """
    budget = budget or Budget()
    outcome = Outcome()
    if not ids:
        return outcome
    transfers = session.scalars(
        select(Transfer)
        .where(Transfer.id.in_(ids))
        .order_by(Transfer.id)
        .with_for_update(key_share=True)
    ).all()
    answered = []
    for t in transfers:
        result = results.get(t.id) or PaymentResult(t.id, "unanswered", error=NO_ANSWER)
        if result.outcome == "paid" and may(t, Move.PAID):
            answered.append((t, result))
        elif result.outcome == "rejected" and may(t, Move.BANK_REFUSED):
            answered.append((t, result))
        elif result.outcome == "unanswered" and t.status == PROCESSING:
            _retry_later(t, result.error or NO_ANSWER, wall, budget, outcome)
    if answered:
        _apply_answers(session, answered, now, wall, outcome)
    return outcome


def _retry_later(t: Transfer, error: str, wall: datetime, budget: Budget,
                 outcome: Outcome) -> None:
    t.last_error = error[:255]
    t.updated_at = wall
    if budget.spent(attempts=t.attempts, sent_at=aware(t.sent_at),
                    attention_at=aware(t.attention_at), wall=wall):
        _give_up(t, wall, outcome)
        return
    t.next_attempt_at = wall + backoff(t.attempts)
    t.note = f"{DOUBT_NOTE} sent; the bank's answer has not arrived; asking the bank again"
    outcome.retrying += 1


def _apply_answers(
    session: Session, answered: list[tuple[Transfer, PaymentResult]], now: datetime,
    wall: datetime, outcome: Outcome,
) -> None:
    members = _lock_members(session, (t.member_id for t, _ in answered))
    held_delta: dict[int, int] = defaultdict(int)
    out_delta: dict[int, int] = defaultdict(int)
    ledger = []
    for t, result in answered:
        t.next_attempt_at = None
        if t.note and t.note.startswith(DOUBT_NOTE):
            t.note = None
        held_delta[t.member_id] -= t.amount
        if result.outcome == "paid":
            move(t, Move.PAID, wall=wall)
            t.settled_at = now
            out_delta[t.member_id] += t.amount
            ledger.append(
                dict(transfer_id=t.id, member_id=t.member_id, amount=t.amount,
                     bank_code=t.bank_code, bank_reference=result.reference, created_at=now)
            )
            outcome.settled += 1
            metrics.SETTLED.labels(decision=t.decision).inc()
            if t.decision == "instant":
                metrics.ACCEPT_TO_SETTLED.observe((now - aware(t.accepted_at)).total_seconds())
        else:
            move(t, Move.BANK_REFUSED, wall=wall)
            t.failure_code = result.code or "bank_rejected"
            outcome.failed += 1
            metrics.FAILED.labels(code=t.failure_code).inc()
        outcome.changes.append((t.id, view(t)))
    for member_id, delta in held_delta.items():
        member = members[member_id]
        member.held += delta
        member.outstanding += out_delta.get(member_id, 0)
    if ledger:
        session.execute(LedgerEntry.__table__.insert(), ledger)


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
