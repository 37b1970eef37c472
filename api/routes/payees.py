"""Payees: POST /v1/payees, GET /v1/payees, GET /v1/payees/{id} (own only)."""

from __future__ import annotations

from typing import Any, cast

from fastapi import APIRouter

from api.deps import CurrentMember, NowDep, SessionDep, SettingsDep, WallDep
from api.schemas.common import MAX_ID
from api.schemas.payees import AccountType, PayeeIn, PayeeOut
from shunfuri.db.models import Payee
from shunfuri.domain.instants import iso_jst
from shunfuri.errors import ShunfuriError
from shunfuri.services.members import payees

router = APIRouter(tags=["payees"])


def payee_out(payee: Payee) -> PayeeOut:
    return PayeeOut(
        id=payee.id,
        bank_code=payee.bank_code,
        branch_code=payee.branch_code,
        bank_name=payee.bank_name,
        branch_name=payee.branch_name,
        account_type=cast(AccountType, payee.account_type),  # checked when it was added
        account_number=payee.account_number,
        holder_name=payee.holder_name,
        created_at=iso_jst(payee.created_at) or "",
    )


_REFUSALS: dict[int | str, dict[str, Any]]
_REFUSALS = {
    code: {"description": text, "content": {"application/problem+json": {}}}
    for code, text in (
        (401, "invalid_credentials: the PIN is wrong (counts towards the lock)"),
        (422, "validation_error, unknown_bank, unknown_branch, invalid_holder_name, or "
              "payee_not_own_name: once your name in kana is known, only an account in "
              "your own name"),
        (423, "account_locked: 3 wrong PINs in a row; reset in person"),
    )
}


@router.post("/v1/payees", status_code=201, response_model=PayeeOut, responses=_REFUSALS,
             summary="Register a destination account (checked against the Zengin master; "
                     "needs your PIN)")
def create_payee(body: PayeeIn, member: CurrentMember, session: SessionDep, now: NowDep,
                 wall: WallDep, settings: SettingsDep) -> PayeeOut:
    """A new account money can go to: the PIN is asked again (step-up), and the member
    is mailed (`payee_added`) at their confirmed address."""
    payee = payees.create_payee(
        session,
        member_id=member.id,
        pin=body.pin.get_secret_value(),
        bank_code=body.bank_code,
        branch_code=body.branch_code,
        account_type=body.account_type,
        account_number=body.account_number,
        holder_name=body.holder_name,
        now=now,
        wall=wall,
        pepper=settings.pin_pepper.get_secret_value(),
    )
    return payee_out(payee)


@router.get("/v1/payees", response_model=list[PayeeOut], summary="The member's payees")
def list_payees(member: CurrentMember, session: SessionDep) -> list[PayeeOut]:
    return [payee_out(p) for p in payees.list_payees(session, member_id=member.id)]


@router.get("/v1/payees/{payee_id}", response_model=PayeeOut,
            summary="One of the member's payees (anyone else's is 404)")
def get_payee(payee_id: int, member: CurrentMember, session: SessionDep) -> PayeeOut:
    if not 1 <= payee_id <= MAX_ID:
        raise ShunfuriError("not_found:payee")
    return payee_out(payees.get_payee(session, member_id=member.id, payee_id=payee_id))
