"""Bulk acceptance for the load tests' seeding (moved out of `accept`, which is the
members' path): one INSERT for many transfers of one member to one payee."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shunfuri.db.models import Member, Payee, Transfer
from shunfuri.domain.banks import get_bank
from shunfuri.domain.credit import validate_amount
from shunfuri.domain.windows import quote
from shunfuri.errors import ShunfuriError
from shunfuri.services.members import own_name
from shunfuri.services.transfers.accept import check_open
from shunfuri.settings import get_settings


def accept_many(
    session: Session,
    *,
    member_id: int,
    payee_id: int,
    amounts: list[int],
    now: datetime,
    wall: datetime,
) -> int:
    """Bulk acceptance for the load tests' seeding: one INSERT for all rows. Commits;
    returns how many were stored.

    Like `accept`: the payee must be the member's, the window open, every amount valid,
    and the quote is the same. Unlike it: no idempotency key, no suspended-member check
    and no credit check here (the worker's check under the row lock rejects what the
    credit cannot cover), so it is not a path for members' requests.
    """
    settings = get_settings()
    member = session.get(Member, member_id)
    payee = session.scalar(select(Payee).where(Payee.id == payee_id, Payee.member_id == member_id))
    if member is None or payee is None:
        raise ShunfuriError("not_found")
    own_name.check(member.name_key, payee.holder_name)
    check_open(now)
    decided = quote(get_bank(payee.bank_code), now)
    rows = []
    for amount in amounts:
        validate_amount(amount, minimum=settings.amount_minimum, step=settings.amount_step)
        rows.append(
            dict(id=str(uuid.uuid4()), member_id=member_id, payee_id=payee_id, amount=amount,
                 status="accepted", decision=decided.decision, bank_code=payee.bank_code,
                 accepted_at=now, settle_at=decided.settle_at, attempts=0, updated_at=wall)
        )
    if rows:
        session.execute(Transfer.__table__.insert(), rows)
    session.commit()
    return len(rows)
