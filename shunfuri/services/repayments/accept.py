"""Internet repayment, the API's side: accept (202), read, list.

Acceptance never talks to the bank: check the amount against what is owed today (less
the repayments already on their way), store the repayment as `accepted`, commit; a
worker collects it through the bank (`services.repayments.collections`). Same key + same body ->
same repayment (`Idempotency-Key`).

The member's row is locked while the amount is checked, so two repayments asked for at
once cannot together exceed the full payoff.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shunfuri.db.models import Member, Payee, Repayment
from shunfuri.domain.instants import aware, iso_jst
from shunfuri.domain.repayment import check_repayment_amount
from shunfuri.errors import ShunfuriError
from shunfuri.services import effects
from shunfuri.services.members import own_name
from shunfuri.services.orders.cursors import decode_cursor, encode_cursor
from shunfuri.services.repayments import dues as dues_service
from shunfuri.services.transfers.accept import request_hash

ACCEPTED = "accepted"


def view(r: Repayment) -> dict[str, Any]:
    return {
        "id": r.id,
        "status": r.status,
        "amount": r.amount,
        "payee_id": r.payee_id,
        "accepted_at": iso_jst(aware(r.accepted_at)),
        "settled_at": iso_jst(aware(r.settled_at)),
        "to_interest": r.to_interest,
        "to_principal": r.to_principal,
        "failure_code": r.failure_code,
        "note": r.note,
    }


@dataclass(frozen=True)
class Accepted:
    repayment: dict[str, Any]
    created: bool


def _replay(session: Session, member_id: int, key: str, digest: str) -> Accepted | None:
    existing = session.scalar(
        select(Repayment).where(Repayment.member_id == member_id,
                                Repayment.idempotency_key == key)
    )
    if existing is None:
        return None
    if existing.request_hash != digest:
        raise ShunfuriError("idempotency_key_reused")
    return Accepted(view(existing), created=False)


def lock_member(session: Session, member_id: int) -> Member:
    member = session.scalar(
        select(Member).where(Member.id == member_id).with_for_update(key_share=True)
    )
    if member is None:
        raise ShunfuriError("not_found")
    return member


WAKE_COLLECTOR = effects.Task("repayments.drain", queue="instant")


@dataclass(frozen=True)
class Reviewed:
    payee: Payee
    amount: int
    owed: dues_service.Dues


def _check(session: Session, member: Member, *, payee_id: int, amount: int,
           now: datetime) -> tuple[Payee, dues_service.Dues]:
    """Every refusal of a repayment, in order; the one statement of them, for `accept`
    and the member pages' review (`review`)."""
    if member.status == "suspended":
        raise ShunfuriError("account_suspended")
    payee = session.scalar(
        select(Payee).where(Payee.id == payee_id, Payee.member_id == member.id))
    if payee is None:  # as transfers: which accounts are yours is state, not shape
        raise ShunfuriError(
            "not_found:repayment_account",
            errors=[{"field": "payee_id", "message": "no such account"}],
        )
    own_name.check(member.name_key, payee.holder_name)  # collected from the member's own only
    owed = dues_service.dues(session, member.id, now)
    check_repayment_amount(amount, owed.repayable)
    return payee, owed


def review(session: Session, *, member_id: int, payee_id: int, amount: int,
           now: datetime) -> Reviewed:
    """What a repayment would be if accepted now; refuses exactly as `accept` would.
    Reads only (no lock, no commit)."""
    member = session.get(Member, member_id)
    if member is None:
        raise ShunfuriError("not_found")
    payee, owed = _check(session, member, payee_id=payee_id, amount=amount, now=now)
    return Reviewed(payee, amount, owed)


def accept(
    session: Session, *, member_id: int, payee_id: int, amount: int,
    idempotency_key: str | None, now: datetime, wall: datetime,
) -> Accepted:
    """Validate and store one repayment; commits, then wakes the collector."""
    digest = request_hash(payee_id, amount)
    if idempotency_key is not None:
        replay = _replay(session, member_id, idempotency_key, digest)
        if replay:
            return replay
    member = lock_member(session, member_id)
    bank_code = _check(session, member, payee_id=payee_id, amount=amount, now=now)[0].bank_code
    row = dict(
        id=str(uuid.uuid4()), member_id=member_id, payee_id=payee_id, amount=amount,
        status=ACCEPTED, bank_code=bank_code, accepted_at=now, idempotency_key=idempotency_key,
        request_hash=digest, attempts=0, updated_at=wall,
    )
    try:
        session.execute(cast(Table, Repayment.__table__).insert().values(**row))
        # Once committed, the collector is woken; a lost wake-up waits for the sweep.
        effects.after_commit(session, WAKE_COLLECTOR)
        session.commit()
    except IntegrityError:
        session.rollback()
        if idempotency_key is None:
            raise
        replay = _replay(session, member_id, idempotency_key, digest)
        if replay is None:
            raise
        return replay
    return Accepted(view(Repayment(**row)), created=True)


def get(session: Session, *, member_id: int, repayment_id: str) -> dict[str, Any]:
    row = session.scalar(
        select(Repayment).where(Repayment.id == repayment_id, Repayment.member_id == member_id)
    )
    if row is None:
        raise ShunfuriError("not_found")
    return view(row)


def list_for(
    session: Session, *, member_id: int, status: str | None, limit: int, cursor: str | None
) -> dict[str, Any]:
    """Newest first, `limit` a page, `next_cursor` for the next (as transfers)."""
    query = select(Repayment).where(Repayment.member_id == member_id)
    if status is not None:
        query = query.where(Repayment.status == status)
    if cursor:
        stamp, last_id = decode_cursor(cursor)
        query = query.where(or_(
            Repayment.accepted_at < stamp,
            and_(Repayment.accepted_at == stamp, Repayment.id < last_id),
        ))
    rows = session.scalars(
        query.order_by(Repayment.accepted_at.desc(), Repayment.id.desc()).limit(limit + 1)
    ).all()
    page = rows[:limit]
    return {
        "items": [view(r) for r in page],
        "next_cursor": encode_cursor(page[-1]) if len(rows) > limit else None,
    }
