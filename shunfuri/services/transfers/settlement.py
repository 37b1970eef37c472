"""The worker's side of the pipeline: hold credit, pay the bank, settle - exactly once.

Two clocks are passed in by the edge: `now` is business time (the simulated clock
under SHUNFURI_CLOCK; it decides windows and `settle_at`), `wall` is real time (it
drives leases and retry backoff, which are about processes, not about banks).

A batch goes through three short transactions, never holding a lock across the bank
call:
  1. claim: lock rows (FOR NO KEY UPDATE SKIP LOCKED), lock their members (in id order, FOR
     NO KEY UPDATE: balances change, keys never, so the API's inserts are not blocked), check
     `amount <= limit - outstanding - held`, place holds, mark `processing` with a lease
     (or `scheduled`, or `rejected`); then (`sending`) keep rows out of a real-time
     bank's maintenance and record the send (`sent_at`, `attempts`) *before* the call,
     so a worker dying during the call leaves a row that says the bank may have paid;
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

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Table,
    and_,
    bindparam,
    or_,
    select,
)
from sqlalchemy.orm import Session

from shunfuri import metrics
from shunfuri.db.models import LedgerEntry, Member, MemberMail, Payee, Transfer
from shunfuri.db.set_writes import insert_rows
from shunfuri.domain.credit import available
from shunfuri.domain.instants import aware
from shunfuri.domain.orders import PROCESSING, Budget
from shunfuri.gateway.base import PaymentOrder, PaymentResult
from shunfuri.services.credit_review import stops
from shunfuri.services.mail import events as mail_events
from shunfuri.services.orders import claims, sending
from shunfuri.services.orders.outcome import BATCH_LEASE, LEASE, Outcome
from shunfuri.services.orders.sending import NO_ANSWER
from shunfuri.services.orders.transitions import Move, may, move, move_where
from shunfuri.services.transfers.accept import view


def _lock_members(session: Session, member_ids: Iterable[int]) -> dict[int, Member]:
    ids = sorted(set(member_ids))
    if not ids:
        return {}
    rows = session.scalars(_LOCK_MEMBERS, {"ids": ids}).all()
    return {m.id: m for m in rows}


# The passes' statements are built once, with bound parameters: building them and their
# cache keys on every pass was ~8 % of the instant worker's samples at 300/s.
_LOCK_MEMBERS = (
    select(Member)
    .where(Member.id.in_(bindparam("ids", expanding=True)))
    .order_by(Member.id)
    # FOR NO KEY UPDATE: we change balances, never the key, so the API's inserts (whose
    # foreign-key checks take KEY SHARE on this row) are not blocked.
    .with_for_update(key_share=True)
)


def claim(
    session: Session,
    *,
    now: datetime,
    wall: datetime,
    limit: int,
    older_than: datetime | None = None,
) -> tuple[list[Transfer], Outcome]:
    """Step 1 of a drain's pass, in one statement: lock up to `limit` claimable rows
    (new ones and retries, best first: `claims`) with their payees for the bank orders; then
    holds for the new ones. Returns the rows to send: new instant ones (leased) and
    retries (lease renewed). `older_than` (the recovery sweep) takes only new rows
    nobody has touched since then."""
    recovering = older_than is not None
    params: dict[str, Any] = {"wall": wall, "limit": limit}
    if recovering:
        params["older_than"] = older_than
    rows = session.scalars(claims.statement(recovering), params).all()
    retries = [t for t in rows if t.status == PROCESSING]
    to_send, outcome = _hold(session, [t for t in rows if t.status != PROCESSING],
                             now=now, wall=wall)
    for t in retries:
        t.next_attempt_at = wall + LEASE
        t.updated_at = wall
    to_send += retries
    outcome.claimed = len(rows)
    return to_send, outcome


def _hold(
    session: Session, transfers: list[Transfer], *, now: datetime, wall: datetime
) -> tuple[list[Transfer], Outcome]:
    """The credit check and hold for newly claimed rows (their members locked in id order)."""
    outcome = Outcome(claimed=len(transfers))
    if not transfers:
        return [], outcome
    members = _lock_members(session, (t.member_id for t in transfers))
    to_send = []
    for t in transfers:
        metrics.QUEUE_LAG.observe(max(0.0, (now - aware(t.accepted_at)).total_seconds()))
        member = members[t.member_id]
        if member.status == "suspended" or stops.is_stopped(member):
            # Not sent yet: refused, as a staff suspension refuses it; a stop by the
            # ongoing review ends new lending the moment it is recorded.
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


def claim_chunk(session: Session, *, wall: datetime, ids: list[str]) -> list[Transfer]:
    """Step 1 for a chunk of the 09:30 batch: its rows still `processing`, leased anew
    (due retries are claimed with new rows, by `claim`).

    The rows are found by primary key alone and their status checked here: with the
    status in the WHERE clause, statistics from before 09:30 (when hardly any row is
    `processing`) made the planner walk the whole `processing` index and filter it by
    id: ~19 ms a chunk instead of ~5 once 100,000 rows were moved at once."""
    rows = session.scalars(
        select(Transfer)
        .where(Transfer.id.in_(ids))
        .order_by(Transfer.id)
        .with_for_update(skip_locked=True, key_share=True)
    ).all()
    transfers = [t for t in rows if t.status == "processing"]
    for t in transfers:
        t.next_attempt_at = wall + LEASE
        t.updated_at = wall
    return transfers


def dispatch_due(
    session: Session, *, now: datetime, wall: datetime, limit: int
) -> tuple[list[str], Outcome]:
    """The 09:30 batch (and any due `scheduled` row): move due rows to `processing` and
    return their ids for the batch queue. Holds are already in place since the claim
    that parked them `scheduled`.

    A member suspended since the claim gets no transfer ("no transfer until reinstated"):
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
                    Member.id.in_({r.member_id for r in due}),
                    or_(Member.status == "suspended", Member.credit_review_since.is_not(None)),
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


def orders_for(session: Session, transfers: list[Transfer | Any]) -> list[PaymentOrder]:
    """The bank orders for rows with `id`, `amount` and `payee_id` (transfers, and
    repayments: a collection debits the same registered account a transfer pays).
    Payees the claim already loaded come from the session, not from another query."""
    payees = _payees(session, {t.payee_id for t in transfers}, transfers)
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


def _payees(session: Session, ids: set[int], rows: list[Any]) -> dict[int, Payee]:
    # A transfer the claim loaded carries its payee; a repayment's are read here.
    found = {t.payee_id: t.__dict__["payee"] for t in rows if "payee" in t.__dict__}
    missing = ids - found.keys()
    if missing:
        found.update((p.id, p) for p in session.scalars(select(Payee).where(Payee.id.in_(missing))))
    return found


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
    # One statement: the rows, their members (locked in member id order, as every
    # other locker of members does) and where each member wants the お振込み完了 mail.
    rows = session.execute(_FINISH, {"ids": ids}).all()
    members = {m.id: m for _, m, _ in rows}
    mail_to = {t.member_id: address for t, _, address in rows if address is not None}
    answered = []
    for t, _, _ in rows:
        result = results.get(t.id) or PaymentResult(t.id, "unanswered", error=NO_ANSWER)
        if result.outcome == "paid" and may(t, Move.PAID):
            answered.append((t, result))
        elif result.outcome == "rejected" and may(t, Move.BANK_REFUSED):
            answered.append((t, result))
        elif result.outcome == "unanswered" and t.status == PROCESSING:
            sending.retry_later(t, result.error or NO_ANSWER, wall, budget, outcome)
    if answered:
        _apply_answers(session, answered, members, mail_to, now, wall, outcome)
    return outcome


_FINISH = (
    select(Transfer, Member, MemberMail.address)
    .join(Member, Member.id == Transfer.member_id)
    .outerjoin(MemberMail, and_(MemberMail.member_id == Transfer.member_id,
                                mail_events.wants(MemberMail, "notify_transfer_settled")))
    .where(Transfer.id.in_(bindparam("ids", expanding=True)))
    .order_by(Member.id, Transfer.id)
    .with_for_update(key_share=True, of=[Transfer, Member])
)


def _apply_answers(
    session: Session, answered: list[tuple[Transfer, PaymentResult]],
    members: dict[int, Member], mail_to: dict[int, str], now: datetime, wall: datetime,
    outcome: Outcome,
) -> None:
    held_delta: dict[int, int] = defaultdict(int)
    out_delta: dict[int, int] = defaultdict(int)
    ledger = []
    paid: list[Transfer] = []
    for t, result in answered:
        t.next_attempt_at = None
        if t.note and t.note.startswith(sending.DOUBT_NOTE):
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
            paid.append(t)
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
        insert_rows(session, cast(Table, LedgerEntry.__table__), ledger)
        # The one place a transfer settles: its mail is queued in the same transaction.
        mail_events.transfers_settled(session, paid, wall=wall, to=mail_to)
