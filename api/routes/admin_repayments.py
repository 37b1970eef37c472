"""Staff: a member's repayment terms (rate, due day), balances and statement.

Same desk authentication and audit as `admin` (`StaffActor`); kept apart so the staff
accounts' roles can be attached to these routes on their own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import JSONResponse

from api.deps import NowDep, SessionDep, SettingsDep, StaffActor, WallDep
from api.routes.admin import _known_id
from api.routes.admin_transfers import BankDep
from api.routes.admin_transfers import _resolve as resolve_order
from api.routes.repayments import dues_out
from api.schemas.repayments import (
    DueDayIn,
    DuesOut,
    RateIn,
    RepaymentInquiryOut,
    StatementOut,
)
from shunfuri.services.members import accounts as members
from shunfuri.services.orders import kinds
from shunfuri.services.repayments import dues as dues_service
from shunfuri.services.repayments import statements, terms
from shunfuri.services.repayments.statements import MONTH_PATTERN

router = APIRouter(prefix="/v1/admin", tags=["staff"])
RepaymentId = Annotated[str, Path(min_length=1, max_length=64)]


def _dues(session: SessionDep, member_id: int, now: NowDep) -> dict:
    members.get_member(session, member_id)  # not_found for an unknown member
    return dues_out(dues_service.dues(session, member_id, now))


@router.put("/members/{member_id}/rate", response_model=DuesOut,
            summary="Set the annual rate (refused above the Interest Rate Restriction Act cap)")
def set_rate(member_id: int, body: RateIn, actor: StaffActor, session: SessionDep,
             now: NowDep, wall: WallDep) -> dict:
    """Counts from the next JST day (the open interest period is closed at today's
    rate). Refusals: `rate_above_legal_cap` (with `cap_bp`), `invalid_rate`."""
    _known_id(session, member_id, actor=actor, action="set_rate", now=wall)
    terms.set_rate(session, member_id, rate_bp=body.rate_bp, now=now, wall=wall, actor=actor)
    return _dues(session, member_id, now)


@router.put("/members/{member_id}/due-day", response_model=DuesOut,
            summary="Set the member's due day (5, 15, 25 or 31 = month end)")
def set_due_day(member_id: int, body: DueDayIn, actor: StaffActor, session: SessionDep,
                now: NowDep, wall: WallDep) -> dict:
    _known_id(session, member_id, actor=actor, action="set_due_day", now=wall)
    terms.set_due_day(session, member_id, due_day=body.due_day, now=now, wall=wall,
                      actor=actor)
    return _dues(session, member_id, now)


@router.get("/members/{member_id}/dues", response_model=DuesOut,
            summary="A member's balances and what is due")
def get_dues(member_id: int, actor: StaffActor, session: SessionDep, now: NowDep,
             wall: WallDep) -> dict:
    _known_id(session, member_id, actor=actor, action="view_dues", now=wall)
    out = _dues(session, member_id, now)
    members.audit(session, actor=actor, action="view_dues", now=wall, member_id=member_id)
    session.commit()
    return out


@router.get("/members/{member_id}/statement", response_model=StatementOut,
            summary="A member's statement of a month (`format=csv` for CSV)",
            responses={200: {"content": {"text/csv": {}}}})
def get_statement(
    member_id: int, actor: StaffActor, session: SessionDep, now: NowDep, wall: WallDep,
    month: Annotated[str, Query(description="YYYY-MM (JST month)", pattern=MONTH_PATTERN)],
    format: Annotated[str | None, Query(pattern="^(json|csv)$")] = None,
) -> Response:
    _known_id(session, member_id, actor=actor, action="view_statement", now=wall)
    members.get_member(session, member_id)
    s = statements.month_statement(session, member_id, month, now)
    members.audit(session, actor=actor, action="view_statement", now=wall,
                  member_id=member_id, detail={"month": month})
    session.commit()
    if format == "csv":
        return Response(statements.as_csv(s), media_type="text/csv; charset=utf-8")
    return JSONResponse(statements.as_dict(s))


@router.post("/repayments/{repayment_id}/inquire", response_model=RepaymentInquiryOut,
             summary="Ask the bank; a repayment in doubt takes its definitive answer")
def inquire(repayment_id: RepaymentId, actor: StaffActor, session: SessionDep, now: NowDep,
            wall: WallDep, settings: SettingsDep, bank: BankDep) -> dict:
    """A repayment the workers handed over (`needs_attention`, retry budget spent) or one
    still in doubt: collected -> settled (split, principal lowered), refused -> failed."""
    return _resolve(repayment_id, actor, session, now, wall, settings, bank, resend=False)


@router.post("/repayments/{repayment_id}/resend", response_model=RepaymentInquiryOut,
             summary="Ask the bank; if it never received this needs_attention repayment, "
             "collect it again (same id)")
def resend(repayment_id: RepaymentId, actor: StaffActor, session: SessionDep, now: NowDep,
           wall: WallDep, settings: SettingsDep, bank: BankDep) -> dict:
    return _resolve(repayment_id, actor, session, now, wall, settings, bank, resend=True)


def _resolve(repayment_id, actor, session, now, wall, settings, bank, *, resend):
    return resolve_order(repayment_id, actor, session, now, wall, settings, bank,
                         resend=resend, kind=kinds.REPAYMENT)
