"""Payees: the bank accounts a member may send money to.

Bank and branch must exist in the Zengin master (names come back from it); the
account number is 7 digits (shorter ones left-padded with zeros); the holder name is
stored in Zengin half-width katakana form. A member only ever sees their own payees:
another member's id is `not_found`, exactly like an id that does not exist.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shunfuri.db.models import Payee
from shunfuri.domain import normalise
from shunfuri.domain.banks import get_bank, get_branch
from shunfuri.errors import ShunfuriError

ACCOUNT_TYPES = ("ordinary", "current", "savings")


def create_payee(
    session: Session,
    *,
    member_id: int,
    bank_code: str,
    branch_code: str,
    account_type: str,
    account_number: str,
    holder_name: str,
    now: datetime,
) -> Payee:
    """Validate, normalise and store a payee; commits. Raises validation_error,
    unknown_bank, unknown_branch or invalid_holder_name."""
    if account_type not in ACCOUNT_TYPES:
        raise normalise.invalid("account_type", "The account type is ordinary, current or savings.")
    bank = normalise.normalise_code(bank_code, 4, "bank_code")
    branch_code_clean = normalise.normalise_code(branch_code, 3, "branch_code")
    number = normalise.normalise_account_number(account_number)
    name = normalise.normalise_holder_name(holder_name)
    bank_info = get_bank(bank)
    branch = get_branch(bank, branch_code_clean)
    payee = Payee(
        member_id=member_id,
        bank_code=bank,
        branch_code=branch.code,
        account_type=account_type,
        account_number=number,
        holder_name=name,
        bank_name=bank_info.name,
        branch_name=branch.name,
        created_at=now,
    )
    session.add(payee)
    session.commit()
    return payee


def list_payees(session: Session, *, member_id: int) -> list[Payee]:
    return list(
        session.scalars(select(Payee).where(Payee.member_id == member_id).order_by(Payee.id))
    )


def get_payee(session: Session, *, member_id: int, payee_id: int) -> Payee:
    """The member's own payee; anyone else's (or none) is `not_found`."""
    payee = session.scalar(
        select(Payee).where(Payee.id == payee_id, Payee.member_id == member_id)
    )
    if payee is None:
        raise ShunfuriError("not_found", "You have no payee with this id.")
    return payee
