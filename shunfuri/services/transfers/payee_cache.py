"""The transfer path's memory of payees, for the life of the process.

Payees are never edited or deleted, so (member, payee) -> (bank code, holder name) can be
remembered: one round trip less on every transfer. Whether the holder is the member is
asked afresh each time (the desk may record the member's kana name at any moment): the
full path compares it with the member row it reads anyway, the one-statement path in SQL.
The by-id map serves the one-statement path, which checks ownership in SQL itself.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shunfuri.db.models import Payee

BY_MEMBER: dict[tuple[int, int], tuple[str, str]] = {}
BANK_BY_ID: dict[int, str] = {}
LIMIT = 100_000


def forget_payees() -> None:
    """For tests whose ids restart with the tables."""
    BY_MEMBER.clear()
    BANK_BY_ID.clear()


def payee_bank(session: Session, member_id: int, payee_id: int) -> tuple[str, str] | None:
    """(bank code, holder name) of the member's payee, or None if it is not theirs."""
    key = (member_id, payee_id)
    found = BY_MEMBER.get(key)
    if found is None:
        row = session.execute(
            select(Payee.bank_code, Payee.holder_name)
            .where(Payee.id == payee_id, Payee.member_id == member_id)
        ).first()
        if row is not None:
            found = (row.bank_code, row.holder_name)
            remember_bank(payee_id, row.bank_code)
            BY_MEMBER[key] = found
    return found


def remember_bank(payee_id: int, bank_code: str) -> None:
    if len(BY_MEMBER) > LIMIT or len(BANK_BY_ID) > LIMIT:
        forget_payees()
    BANK_BY_ID[payee_id] = bank_code
