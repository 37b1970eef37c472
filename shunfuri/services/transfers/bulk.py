"""Bulk acceptance for the load tests' seeding (apart from `accept`, which is the members'
path): one INSERT for many transfers of one member to one payee."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from shunfuri.db.models import Member, Transfer
from shunfuri.domain import acceptance
from shunfuri.domain.banks import get_bank
from shunfuri.domain.windows import quote
from shunfuri.errors import ShunfuriError
from shunfuri.services.transfers import rules

# The rules the load tests' seeding keeps (see `accept_many`).
_SEEDING_RULES = frozenset({"invalid_amount", "not_found", "payee_not_own_name",
                            "service_closed"})


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
    member = session.get(Member, member_id)
    if member is None:
        raise ShunfuriError("not_found")
    request = rules.request_for(session, member, payee_id=payee_id, amount=0, now=now)
    seeding = tuple(r for r in acceptance.RULES if r.code in _SEEDING_RULES)
    rows = []
    for amount in amounts:
        refused = acceptance.refusal(replace(request, amount=amount), seeding)
        if refused is not None:
            raise refused
        bank_code = request.payee.bank_code  # type: ignore[union-attr]  # the rules require it
        decided = quote(get_bank(bank_code), now)
        rows.append(
            dict(id=str(uuid.uuid4()), member_id=member_id, payee_id=payee_id, amount=amount,
                 status="accepted", decision=decided.decision, bank_code=bank_code,
                 accepted_at=now, settle_at=decided.settle_at, attempts=0, updated_at=wall)
        )
    if rows:
        session.execute(cast(Table, Transfer.__table__).insert(), rows)
    session.commit()
    return len(rows)
