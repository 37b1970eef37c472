"""Payees: the bank accounts a member may send money to.

Bank and branch must exist in the Zengin master (names come back from it); the
account number is 7 digits (shorter ones left-padded with zeros); the holder name is
stored in Zengin half-width katakana form. A member only ever sees their own payees:
another member's id is `not_found`, exactly like an id that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shunfuri.db.models import Payee
from shunfuri.domain import normalise
from shunfuri.domain.banks import get_bank, get_branch
from shunfuri.errors import ShunfuriError
from shunfuri.services.mail import events as mail_events
from shunfuri.services.members import login, own_name
from shunfuri.services.staff.audit import audit

ACCOUNT_TYPES = ("ordinary", "current", "savings")


@dataclass(frozen=True)
class CheckedPayee:
    """A payee as it will be stored and sent: codes, names from the master, the account
    number padded to 7 digits and the holder name in Zengin half-width katakana."""

    bank_code: str
    branch_code: str
    bank_name: str
    branch_name: str
    account_type: str
    account_number: str
    holder_name: str


def check_payee(
    *,
    bank_code: str,
    branch_code: str,
    account_type: str,
    account_number: str,
    holder_name: str,
    every_field: bool = False,
) -> CheckedPayee:
    """Validate and normalise without storing. Raises validation_error, unknown_bank,
    unknown_branch or invalid_holder_name: the first problem, or with `every_field` (for
    a form that marks each field) one `validation_error` listing every field that has
    one (an `invalid_holder_name` alone keeps its own code, `character` and `position`)."""
    problems: list[ShunfuriError] = []

    def attempt(fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except ShunfuriError as exc:
            if not every_field:
                raise
            problems.append(exc)
            return None

    if account_type not in ACCOUNT_TYPES:
        attempt(_refuse_account_type)
    bank = attempt(normalise.normalise_code, bank_code, 4, "bank_code")
    branch_code_clean = attempt(normalise.normalise_code, branch_code, 3, "branch_code")
    number = attempt(normalise.normalise_account_number, account_number)
    name = attempt(normalise.normalise_holder_name, holder_name)
    bank_info = attempt(get_bank, bank) if bank else None
    branch = None
    if bank_info and branch_code_clean:
        branch = attempt(get_branch, bank, branch_code_clean)
    if problems:
        if len(problems) == 1:
            raise problems[0]
        errors: list[dict[str, Any]] = []
        for exc in problems:
            item = {"field": _field_of(exc), "message": exc}  # said in words at the edge
            if exc.code == "invalid_holder_name":
                item.update(character=exc.extra["character"], position=exc.extra["position"])
            errors += exc.extra.get("errors") or [item]
        raise ShunfuriError("validation_error", errors=errors)
    assert bank_info and branch and number and name
    return CheckedPayee(
        bank_code=bank_info.code, branch_code=branch.code, bank_name=bank_info.name,
        branch_name=branch.name, account_type=account_type, account_number=number,
        holder_name=name,
    )


def _refuse_account_type() -> None:
    raise normalise.invalid("account_type", "The account type is ordinary, current or savings.")


def _field_of(exc: ShunfuriError) -> str:
    return {"unknown_bank": "bank_code", "unknown_branch": "branch_code"}.get(
        exc.code, str(exc.extra.get("field", "body"))
    )


def create_payee(
    session: Session,
    *,
    member_id: int,
    pin: str,
    bank_code: str,
    branch_code: str,
    account_type: str,
    account_number: str,
    holder_name: str,
    now: datetime,
    wall: datetime,
    pepper: str,
) -> Payee:
    """Validate, confirm the member's PIN, store a payee and mail the member; commits.

    A payee is where money goes, so a session alone is not enough (a stolen cookie or
    token must not add the thief's account): the member types the PIN again, counted
    like a login (`login.confirm_pin`: the 3rd wrong one in a row locks the card and
    ends every session). In order: the account is checked first (`validation_error`,
    `unknown_bank`, `unknown_branch`, `invalid_holder_name`: nothing counted), then the
    PIN (`validation_error` on `pin`, `invalid_credentials`, `account_locked`), then,
    once the member's kana name is known, that the account is in it
    (`payee_not_own_name`). The payee, its audit row and the security mail
    (`payee_added`, to a confirmed address whatever the settings) commit together."""
    checked = check_payee(
        bank_code=bank_code, branch_code=branch_code, account_type=account_type,
        account_number=account_number, holder_name=holder_name,
    )
    member = login.confirm_pin(session, member_id=member_id, pin=pin, now=wall,
                               pepper=pepper, field="pin")
    try:
        own_name.check(member.name_key, checked.holder_name, registering=True)
    except ShunfuriError:
        session.commit()  # the right PIN's counter reset stands
        raise
    payee = Payee(member_id=member_id, created_at=now, **checked.__dict__)
    session.add(payee)
    session.flush()
    audit(session, actor=f"member:{member_id}", action="add_payee", now=wall,
          member_id=member_id, detail={"payee_id": payee.id, "bank_code": payee.bank_code,
                                       "account_last4": payee.account_number[-4:]})
    mail_events.payee_added(session, payee, wall=wall)
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
        raise ShunfuriError("not_found:payee")
    return payee
