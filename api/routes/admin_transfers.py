"""The staff desk for transfers in doubt (`X-Admin-Key`): list them, look at one, ask
the bank about it, and hand one the bank never received back to the workers. Every
action, allowed or refused, is written to the audit log (real time)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy.orm import Session

from api.deps import NowDep, SessionDep, SettingsDep, StaffActor, WallDep
from api.schemas.transfers import DoubtOut, InquiryOut, StaffTransferOut
from shunfuri.gateway.base import BankGateway
from shunfuri.gateway.http import shared
from shunfuri.services.members.accounts import audit
from shunfuri.services.orders import doubts, kinds
from shunfuri.services.staff.audit import Actor
from shunfuri.settings import Settings, get_settings

router = APIRouter(prefix="/v1/admin", tags=["staff"])

TransferId = Annotated[str, Path(min_length=1, max_length=64)]


def bank_gateway() -> BankGateway:
    return shared(get_settings().bank_url)


BankDep = Annotated[BankGateway, Depends(bank_gateway)]


@router.get("/doubts", response_model=list[DoubtOut],
            summary="Transfers in doubt (sent, no answer) and those needing attention")
def list_doubts(actor: StaffActor, session: SessionDep, wall: WallDep,
                limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[dict]:
    found = [d.as_dict(wall) for d in doubts.list_doubts(session, limit=limit)]
    audit(session, actor=actor, action="view_doubts", now=wall, detail={"count": len(found)})
    session.commit()
    return found


@router.get("/transfers/{transfer_id}", response_model=StaffTransferOut,
            summary="A transfer with what the doubt handling knows of it")
def get_transfer(transfer_id: TransferId, actor: StaffActor, session: SessionDep,
                 wall: WallDep) -> dict:
    return doubts.staff_view(session, transfer_id=transfer_id, actor=actor, wall=wall)


@router.post("/transfers/{transfer_id}/inquire", response_model=InquiryOut,
             summary="Ask the bank; a transfer in doubt takes its definitive answer")
def inquire(transfer_id: TransferId, actor: StaffActor, session: SessionDep, now: NowDep,
            wall: WallDep, settings: SettingsDep, bank: BankDep) -> dict:
    return _resolve(transfer_id, actor, session, now, wall, settings, bank, resend=False)


@router.post("/transfers/{transfer_id}/resend", response_model=InquiryOut,
             summary="Ask the bank; if it never received this needs_attention transfer, "
             "send it again (same id)")
def resend(transfer_id: TransferId, actor: StaffActor, session: SessionDep, now: NowDep,
           wall: WallDep, settings: SettingsDep, bank: BankDep) -> dict:
    return _resolve(transfer_id, actor, session, now, wall, settings, bank, resend=True)


def _resolve(transfer_id: str, actor: Actor, session: Session, now: datetime, wall: datetime,
             settings: Settings, bank: BankGateway, *, resend: bool,
             kind: kinds.OrderKind = kinds.TRANSFER) -> dict:
    """Staff resolve one order in doubt (a transfer or a repayment, by `kind`)."""
    resolved = doubts.inquire(
        session, bank, transfer_id=transfer_id, now=now, wall=wall, actor=actor,
        budget=settings.doubt_budget, resend=resend, kind=kind,
    )
    return resolved.as_dict()
