"""Accepting and cancelling transfers (the API's side of the pipeline; reading them is
`shunfuri.services.transfers.reads`).

Acceptance is cheap and never talks to the bank: validate, quote the rules engine,
store the transfer as `accepted` with its decision and `settle_at` fixed, commit.
The caller wakes a worker *after* the commit; if that wake-up is lost, the recovery
sweep finds the row in the database.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shunfuri.db.models import AuthSession, Member, Payee, Transfer
from shunfuri.db.session import autocommit
from shunfuri.domain import orders
from shunfuri.domain.banks import get_bank
from shunfuri.domain.credit import available, validate_amount
from shunfuri.domain.instants import aware, iso_jst
from shunfuri.domain.overdue import overdue_refusal
from shunfuri.domain.windows import quote, service_reopens_at
from shunfuri.errors import ShunfuriError
from shunfuri.services.credit_review import stops
from shunfuri.services.members import own_name, tokens
from shunfuri.services.orders.transitions import Move, MoveRefused, move
from shunfuri.services.repayments import dues
from shunfuri.services.transfers.payee_cache import (
    BANK_BY_ID,
    payee_bank,
    remember_bank,
)
from shunfuri.settings import get_settings

FINAL = orders.FINAL
STATUSES = orders.STATUSES
# Admission control (`services.transfers.admission.GATE.refusal`): given the session, the
# quoted decision and the wall time, the refusal to raise before anything is stored.
Admit = Callable[[Session, str, datetime], ShunfuriError | None]


def view(t: Transfer) -> dict:
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
    transfer: dict
    created: bool


def check_open(now: datetime) -> None:
    reopens = service_reopens_at(now)
    if reopens is not None:
        raise ShunfuriError(
            "service_closed",
            retry_at=iso_jst(reopens),
            retry_after=max(1, math.ceil((reopens - now).total_seconds())),
        )


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
) -> dict | None:
    """The common acceptance as ONE autocommitted statement: INSERT ... SELECT that only
    inserts when the token is live, the member active and not stopped (the review), the
    payee theirs (in their own name, once it is known) and the credit enough. None means
    "not the common case": `submit` then takes the full path, which gives the precise
    refusal (or the idempotent replay). Same rules, fewer round trips: on the hot path each round
    trip costs more than the work it carries."""
    settings = get_settings()
    if service_reopens_at(now) is not None:
        return None
    try:
        validate_amount(amount, minimum=settings.amount_minimum, step=settings.amount_step)
    except ShunfuriError:
        return None
    autocommit(session)
    bank_code = BANK_BY_ID.get(payee_id)
    if bank_code is None:
        # A member's first transfer through this process: one short read instead of the
        # full path. Who owns the payee is checked by the insert itself.
        bank_code = session.scalar(select(Payee.bank_code).where(Payee.id == payee_id))
        if bank_code is None:
            return None
        remember_bank(payee_id, bank_code)
    decided = quote(get_bank(bank_code), now)
    if admit is not None and admit(session, decided.decision, wall) is not None:
        return None  # the full path replays an earlier transfer of this key, or refuses
    row = dict(
        id=transfer_id or new_transfer_id(), payee_id=payee_id, amount=amount, status="accepted",
        decision=decided.decision, bank_code=bank_code, accepted_at=now,
        settle_at=decided.settle_at, idempotency_key=idempotency_key,
        request_hash=request_hash(payee_id, amount), attempts=0, updated_at=wall,
    )
    params = {f"v_{k}": v for k, v in row.items()}
    params.update(token_hash=tokens.digest(token), wall=wall, need=amount, payee=payee_id)
    try:
        inserted = session.execute(_accept_statement(), params).first()
    except IntegrityError:
        return None  # the key was used before: `accept` replays or refuses
    if inserted is None:
        return None
    return view(Transfer(member_id=inserted.member_id, **row))


_FAST_COLUMNS = (
    "id", "payee_id", "amount", "status", "decision", "bank_code", "accepted_at",
    "settle_at", "idempotency_key", "request_hash", "attempts", "updated_at",
)


@lru_cache(maxsize=1)
def _accept_statement():  # type: ignore[no-untyped-def]
    """Built once with bound parameters: constructing the statement and its cache key on
    every request cost more CPU than PostgreSQL spends running it."""
    columns = Transfer.__table__.c
    values = [bindparam(f"v_{k}", type_=columns[k].type).label(k) for k in _FAST_COLUMNS]
    source = (
        select(Member.id.label("member_id"), *values)
        .join(AuthSession, AuthSession.member_id == Member.id)
        .where(
            AuthSession.token_hash == bindparam("token_hash", type_=AuthSession.token_hash.type),
            AuthSession.kind == tokens.API, AuthSession.revoked_at.is_(None),  # no web session
            AuthSession.expires_at > bindparam("wall", type_=AuthSession.expires_at.type),
            Member.status == "active",
            Member.overdue_since.is_(None),
            Member.credit_review_since.is_(None),
            Member.credit_limit - Member.outstanding - Member.held
            >= bindparam("need", type_=Member.credit_limit.type),
            exists().where(
                Payee.id == bindparam("payee", type_=Payee.id.type),
                Payee.member_id == Member.id,
                own_name.sql_is_own(),
            ),
        )
    )
    return (
        Transfer.__table__.insert()
        .from_select(["member_id", *_FAST_COLUMNS], source)
        .returning(columns.member_id)
    )


def check_not_overdue(session: Session, member: Member | Any, now: datetime) -> None:
    """Refuse a new transfer while the member is overdue (`repayment_overdue`, with the
    amount that lifts it and how). The mark is the daily job's (`overdue_marks`); the
    ledger is asked for the amount, and has the last word if a repayment lifted it."""
    if getattr(member, "overdue_since", None) is None:
        return
    owed = dues.dues(session, member.id, now)
    if owed.overdue and owed.missed_due_date is not None:
        raise overdue_refusal(owed.amount_to_lift, owed.missed_due_date)


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
    settings = get_settings()
    digest = request_hash(payee_id, amount)
    if idempotency_key is not None:
        replay = _replay(session, member.id, idempotency_key, digest)
        if replay:
            return replay
    stops.check_may_borrow(member)
    check_not_overdue(session, member, now)
    validate_amount(amount, minimum=settings.amount_minimum, step=settings.amount_step)
    payee = payee_bank(session, member.id, payee_id)
    if payee is None:
        # 404 like every "nothing of yours at this id" (and like the transfer pages): the
        # request is well formed; which payees are yours is state, not shape.
        raise ShunfuriError(
            "not_found",
            detail="No payee with this id is registered to you; register it with POST /v1/payees.",
            errors=[{"field": "payee_id", "message": "no such payee"}],
        )
    bank_code, holder_name = payee
    own_name.check(getattr(member, "name_key", None), holder_name)
    check_open(now)
    # The worker's check under the row lock is the authoritative one; this one only
    # spares the member a transfer that is bound to be rejected.
    if amount > available(member.credit_limit, member.outstanding, member.held):
        raise ShunfuriError(
            "insufficient_credit",
            available=available(member.credit_limit, member.outstanding, member.held),
        )
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
        session.execute(Transfer.__table__.insert().values(**row))
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


IN_DOUBT_DETAIL = (
    "This transfer was sent to the bank and its answer has not arrived yet, so it cannot "
    "be cancelled: the bank may already have paid it. We are asking the bank. The status "
    "stays `processing` until it answers, then becomes `settled` (paid; the amount is "
    "added to your balance) or `failed` (not paid; the amount is available again)."
)
IN_DOUBT_DETAIL_JA = (
    "このお振込みは銀行へ送信済みで、銀行からの結果をまだ受け取っていないため、取り消しできません"
    "（すでにお振込みが完了している可能性があります）。現在、銀行に結果を確認しています。"
    "確認が取れるまで状態は「処理中（processing）」のままで、その金額はご利用可能額から"
    "差し引かれています。お振込みが完了していれば「完了（settled）」となりご利用残高に加わり、"
    "完了していなければ「不成立（failed）」となって金額はご利用可能額に戻ります。"
)


def cancel(
    session: Session, *, member_id: int, transfer_id: str, now: datetime, wall: datetime
) -> dict:
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
                "not_cancellable", IN_DOUBT_DETAIL, detail_ja=IN_DOUBT_DETAIL_JA,
                transfer_status=transfer.status, in_doubt=True,
            ) from None
        raise ShunfuriError("not_cancellable", transfer_status=transfer.status) from None
    session.execute(
        update(Member).where(Member.id == member_id).values(held=Member.held - transfer.amount)
    )
    transfer.note = f"cancelled by the member at {iso_jst(now)}"
    session.commit()
    return view(transfer)
