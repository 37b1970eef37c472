"""Accepting and cancelling transfers (the API's side of the pipeline; reading them is
`shunfuri.services.transfers.reads`).

Acceptance is cheap and never talks to the bank: validate, quote the rules engine,
store the transfer as `accepted` with its decision and `settle_at` fixed, commit.
The acceptance registers its after-commit effects itself (`shunfuri.services.effects`):
the accepted counter and a worker's wake-up, run only once the row is committed; if the
wake-up is lost, the recovery sweep finds the row in the database.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shunfuri.db.models import Member, Transfer
from shunfuri.domain import orders
from shunfuri.domain.banks import get_bank
from shunfuri.domain.instants import aware, iso_jst
from shunfuri.domain.windows import quote
from shunfuri.errors import ShunfuriError
from shunfuri.services import effects
from shunfuri.services.members import tokens
from shunfuri.services.orders.transitions import Move, MoveRefused, move
from shunfuri.services.transfers import fast_accept, rules

FINAL = orders.FINAL
# After a new transfer's commit: the instant queue's drain (`broker.request_drain`).
WAKE_DRAIN = effects.Drain("instant")
# Admission control (`services.transfers.admission.GATE.refusal`): given the session, the
# quoted decision and the wall time, the refusal to raise before anything is stored.
Admit = Callable[[Session, str, datetime], ShunfuriError | None]
STATUSES = orders.STATUSES


def view(t: Transfer) -> dict[str, Any]:
    return {
        "id": t.id,
        "status": t.status,
        "amount": t.amount,
        "payee_id": t.payee_id,
        "accepted_at": iso_jst(aware(t.accepted_at)),
        "decision": t.decision,
        "settle_at": iso_jst(aware(t.settle_at)),
        "settled_at": iso_jst(aware(t.settled_at)),
        "failure_code": t.failure_code,
        "note": t.note,
    }


def request_hash(payee_id: int, amount: int) -> str:
    return hashlib.sha256(f"{payee_id}:{amount}".encode()).hexdigest()


@dataclass(frozen=True)
class Accepted:
    transfer: dict[str, Any]
    created: bool


def _replay(session: Session, member_id: int, key: str, digest: str) -> Accepted | None:
    existing = session.scalar(
        select(Transfer).where(Transfer.member_id == member_id, Transfer.idempotency_key == key)
    )
    if existing is None:
        return None
    if existing.request_hash != digest:
        raise ShunfuriError("idempotency_key_reused")
    return Accepted(view(existing), created=False)


def submit(
    session: Session,
    *,
    token: str,
    payee_id: int,
    amount: int,
    idempotency_key: str | None,
    now: datetime,
    wall: datetime,
    transfer_id: str | None = None,
    admit: Admit | None = None,
) -> Accepted:
    """The one acceptance the API offers: the one-statement insert when it applies (no
    extra round trip in the common case), else the full path, which works out the
    precise refusal or the idempotent replay. Both take the same inputs to the same
    answer (a property test holds them to it).

    `transfer_id` (from `new_transfer_id`) lets a caller watch for the new transfer's
    events before it exists; a replay answers with the earlier transfer's own id.
    `admit` refuses new instant transfers while the instant queue is behind."""
    fast = try_accept_fast(
        session, token=token, payee_id=payee_id, amount=amount,
        idempotency_key=idempotency_key, now=now, wall=wall, transfer_id=transfer_id,
        admit=admit,
    )
    if fast is not None:
        return Accepted(fast, created=True)
    # Leave the autocommitted connection: the full path runs in a transaction of its own.
    session.rollback()
    return accept_with_token(
        session, token=token, payee_id=payee_id, amount=amount,
        idempotency_key=idempotency_key, now=now, wall=wall, transfer_id=transfer_id,
        admit=admit,
    )


def new_transfer_id() -> str:
    return str(uuid.uuid4())


def accept_with_token(
    session: Session,
    *,
    token: str,
    payee_id: int,
    amount: int,
    idempotency_key: str | None,
    now: datetime,
    wall: datetime,
    transfer_id: str | None = None,
    admit: Admit | None = None,
) -> Accepted:
    """The full path: authenticate, then `accept` with every check in turn."""
    member = tokens.credit_for(session, token=token, now=wall)
    return accept(
        session, member=member, payee_id=payee_id, amount=amount,
        idempotency_key=idempotency_key, now=now, wall=wall, transfer_id=transfer_id,
        admit=admit,
    )


def try_accept_fast(
    session: Session,
    *,
    token: str,
    payee_id: int,
    amount: int,
    idempotency_key: str | None,
    now: datetime,
    wall: datetime,
    transfer_id: str | None = None,
    admit: Admit | None = None,
) -> dict[str, Any] | None:
    """The common acceptance as one autocommitted statement derived from the rules
    (`fast_accept`); None means "not the common case": `submit` then takes the full path."""
    return fast_accept.try_accept(
        session, token=token, payee_id=payee_id, amount=amount,
        idempotency_key=idempotency_key, now=now, wall=wall,
        row_id=transfer_id or new_transfer_id(), request_hash=request_hash(payee_id, amount),
        view=view, after=_accepted_effects, admit=admit,
    )


def _accepted_effects(decision: str) -> tuple[effects.Effect, ...]:
    """After a new transfer's commit: count it, and wake the drain that will claim it."""
    return effects.CountAccepted(decision), WAKE_DRAIN


def accept(
    session: Session,
    *,
    member: Member | Any,
    payee_id: int,
    amount: int,
    idempotency_key: str | None,
    now: datetime,
    wall: datetime,
    transfer_id: str | None = None,
    admit: Admit | None = None,
) -> Accepted:
    """Validate and store one transfer; commits. Same key + same body -> same transfer."""
    digest = request_hash(payee_id, amount)
    if idempotency_key is not None:
        replay = _replay(session, member.id, idempotency_key, digest)
        if replay:
            return replay
    # Every refusal, in the one order the rules state (`domain.acceptance`).
    checked = rules.check(session, member, payee_id=payee_id, amount=amount, now=now)
    bank_code = checked.payee.bank_code  # type: ignore[union-attr]  # the rules require it
    decided = quote(get_bank(bank_code), now)
    refused = admit(session, decided.decision, wall) if admit is not None else None
    if refused is not None:
        raise refused  # before the insert: no row, no hold
    row = dict(
        id=transfer_id or new_transfer_id(),
        member_id=member.id,
        payee_id=payee_id,
        amount=amount,
        status="accepted",
        decision=decided.decision,
        bank_code=bank_code,
        accepted_at=now,
        settle_at=decided.settle_at,
        idempotency_key=idempotency_key,
        request_hash=digest,
        attempts=0,
        updated_at=wall,
    )
    try:
        # A Core insert: the ORM's unit of work costs more than the row on this hot path.
        session.execute(cast(Table, Transfer.__table__).insert().values(**row))
        effects.after_commit(session, *_accepted_effects(decided.decision))
        session.commit()
    except IntegrityError:
        # A concurrent request with the same key won the insert: answer with its row.
        session.rollback()
        if idempotency_key is None:
            raise
        replay = _replay(session, member.id, idempotency_key, digest)
        if replay is None:
            raise
        return replay
    transfer = Transfer(**row)
    return Accepted(view(transfer), created=True)


def cancel(
    session: Session, *, member_id: int, transfer_id: str, now: datetime, wall: datetime
) -> dict[str, Any]:
    """Cancel a scheduled transfer never sent to the bank and release its hold, in one
    transaction. A transfer in doubt (sent, no answer yet) is refused and says why."""
    transfer = session.scalar(
        select(Transfer)
        .where(Transfer.id == transfer_id, Transfer.member_id == member_id)
        .with_for_update(key_share=True)
    )
    if transfer is None:
        raise ShunfuriError("not_found")
    try:
        move(transfer, Move.CANCEL, wall=wall)
    except MoveRefused as refused:
        if refused.in_doubt:
            raise ShunfuriError(
                "not_cancellable:in_doubt", transfer_status=transfer.status, in_doubt=True,
            ) from None
        raise ShunfuriError("not_cancellable", transfer_status=transfer.status) from None
    session.execute(
        update(Member).where(Member.id == member_id).values(held=Member.held - transfer.amount)
    )
    transfer.note = f"cancelled by the member at {iso_jst(now)}"
    cancelled = view(transfer)
    effects.after_commit(session, effects.Publish([(transfer.id, cancelled)]))
    session.commit()
    return cancelled
