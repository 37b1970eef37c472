"""The worker's side of internet repayment: collect through the bank, settle - exactly
once, with the transfers' guarantees and their code.

A repayment is a bank order like a transfer (`shunfuri.domain.orders`, every move through
`transitions.move`); a pass is the same three steps (`pipeline.run_pass` with the
`kinds.REPAYMENT` kind): claim (lock, re-check the amount, record the send before the call),
the bank step (`bank_step.exchange` on the gateway's collections: a repayment in doubt is
asked about, and sent again only when the bank has no record of it, under the same id),
finish (only moves the rules allow).

Settling a collected repayment, under the member's row lock: close the interest through
today, split interest first then principal (`domain.repayment.allocate`, via the replayed
ledger), lower `outstanding` by the principal part (available credit returns at once),
and lift the overdue mark once the arrears are paid. A refused collection (`failed`)
changes no balance. There is no hold: nothing is owed to the member until the bank says
it collected.

No maintenance guard: collections go through the lender's own bank, not the member's
real-time bank's window.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shunfuri.db.models import Member, Repayment
from shunfuri.domain.orders import ACCEPTED, PROCESSING, Budget
from shunfuri.domain.repayment import allocate
from shunfuri.gateway.base import PaymentResult
from shunfuri.services.orders import sending
from shunfuri.services.orders.outcome import LEASE, Outcome
from shunfuri.services.orders.sending import NO_ANSWER, view
from shunfuri.services.orders.transitions import Move, may, move
from shunfuri.services.repayments import dues as dues_service


def _lock_member(session: Session, member_id: int) -> Member:
    return session.scalars(
        select(Member).where(Member.id == member_id).with_for_update(key_share=True)
    ).one()


def claim(session: Session, *, now: datetime, wall: datetime, limit: int,
          older_than: datetime | None = None) -> tuple[list[Repayment], Outcome]:
    """Step 1: new repayments (re-checked against what is owed) and those whose lease or
    backoff ran out. Members are locked in id order, as the transfers' claim does."""
    query = select(Repayment).where(Repayment.status == ACCEPTED)
    if older_than is not None:
        query = query.where(Repayment.updated_at < older_than)
    new = list(session.scalars(
        query.order_by(Repayment.accepted_at).limit(limit)
        .with_for_update(skip_locked=True, key_share=True)
    ).all())
    retries = list(session.scalars(
        select(Repayment)
        .where(Repayment.status == PROCESSING, Repayment.next_attempt_at <= wall)
        .order_by(Repayment.next_attempt_at).limit(max(0, limit - len(new)))
        .with_for_update(skip_locked=True, key_share=True)
    ).all())
    outcome = Outcome(claimed=len(new) + len(retries))
    to_send: list[Repayment] = []
    for r in sorted(new, key=lambda r: (r.member_id, r.accepted_at)):
        _lock_member(session, r.member_id)
        owed = dues_service.dues(session, r.member_id, now)
        # `in_flight` counts this repayment too: what the others leave for it.
        if r.amount > owed.payoff_today - (owed.in_flight - r.amount):
            move(r, Move.REFUSE, wall=wall)
            r.failure_code = "repayment_too_large"
            r.next_attempt_at = None
            outcome.rejected += 1
            outcome.changes.append((r.id, view(r)))
            continue
        move(r, Move.CLAIM, wall=wall)
        r.next_attempt_at = wall + LEASE
        to_send.append(r)
    for r in retries:
        r.next_attempt_at = wall + LEASE
        r.updated_at = wall
    return to_send + retries, outcome


def finish(session: Session, *, ids: list[str], results: dict[str, PaymentResult],
           now: datetime, wall: datetime, budget: Budget | None = None) -> Outcome:
    """Step 3: the bank's answers, applied only where the rules allow."""
    budget = budget or Budget()
    outcome = Outcome()
    if not ids:
        return outcome
    rows = session.scalars(
        select(Repayment).where(Repayment.id.in_(ids)).order_by(Repayment.member_id,
                                                               Repayment.id)
        .with_for_update(key_share=True)
    ).all()
    for r in rows:
        result = results.get(r.id) or PaymentResult(r.id, "unanswered", error=NO_ANSWER)
        if result.outcome == "paid" and may(r, Move.PAID):
            settle(session, r, result.reference, now=now, wall=wall)
            outcome.settled += 1
        elif result.outcome == "rejected" and may(r, Move.BANK_REFUSED):
            move(r, Move.BANK_REFUSED, wall=wall)
            r.failure_code = result.code or "bank_rejected"
            r.next_attempt_at = None
            _clear_doubt_note(r)
            outcome.failed += 1
        elif result.outcome == "unanswered" and r.status == PROCESSING:
            sending.retry_later(r, result.error or NO_ANSWER, wall, budget, outcome)
            continue
        else:
            continue
        outcome.changes.append((r.id, view(r)))
    return outcome


def settle(session: Session, r: Repayment, reference: str | None, *, now: datetime,
           wall: datetime) -> None:
    """The bank collected `r`: split it, lower the principal, lift the overdue if paid."""
    member = _lock_member(session, r.member_id)
    owed = dues_service.dues(session, r.member_id, now)
    split = allocate(r.amount, owed.interest_due, owed.principal)
    move(r, Move.PAID, wall=wall)
    r.settled_at, r.bank_reference = now, reference
    r.to_interest, r.to_principal = split.interest, split.principal
    r.next_attempt_at = None
    _clear_doubt_note(r)
    member.outstanding -= split.principal
    member.updated_at = wall
    session.flush()
    if member.overdue_since is not None and not dues_service.dues(
            session, r.member_id, now).overdue:
        member.overdue_since = None


def _clear_doubt_note(r: Repayment) -> None:
    if r.note and r.note.startswith(sending.DOUBT_NOTE):
        r.note = None
