"""Internet repayment (202, Idempotency-Key, `?wait=`), what is due, the statement, and
the member's due day."""

from __future__ import annotations

import asyncio
import re
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.deps import CurrentMember, NowDep, SessionDep, WallDep
from api.schemas.repayments import (
    DueDayIn,
    DuesOut,
    RepaymentIn,
    RepaymentOut,
    RepaymentPage,
    RepaymentStatus,
    StatementOut,
)
from shunfuri.clock import wall_now
from shunfuri.errors import ShunfuriError
from shunfuri.services.repayments import accept as repayments
from shunfuri.services.repayments import dues as dues_service
from shunfuri.services.repayments import statements, terms
from shunfuri.services.repayments.statements import MONTH_PATTERN
from shunfuri.services.staff.audit import Actor
from shunfuri.services.transfers.accept import FINAL

router = APIRouter(tags=["repayments"])

_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
RepaymentId = Annotated[str, Path(min_length=1, max_length=64)]



def dues_out(d: dues_service.Dues) -> dict:
    return DuesOut.model_validate(dict(  # validated: due_day is one of the four days
        principal=d.principal, interest_due=d.interest_due, payoff_today=d.payoff_today,
        next_due_date=d.next_due_date.isoformat() if d.next_due_date else None,
        minimum_due=d.minimum_due, overdue=d.overdue,
        overdue_since=d.overdue_since.isoformat() if d.overdue_since else None,
        amount_to_lift=d.amount_to_lift, due_day=d.due_day, pending_due_day=d.pending_due_day,
        rate_bp=d.rate_bp, in_flight=d.in_flight,
    )).model_dump()


@router.post("/v1/repayments", status_code=202, response_model=RepaymentOut,
             summary="Repay: collected from one of your registered accounts")
def create_repayment(
    body: RepaymentIn, member: CurrentMember, session: SessionDep, now: NowDep,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", json_schema_extra={"pattern": _KEY.pattern})
    ] = None,
) -> JSONResponse:
    """Accepted at once (202) and collected by a worker through the bank; interest due is
    paid first, then principal, and the repaid principal is available again as soon as
    the collection settles. Refused (nothing collected) above the full payoff less the
    repayments already on their way (`repayment_too_large`, with `payoff_today`)."""
    if idempotency_key is not None and not _KEY.match(idempotency_key):
        raise ShunfuriError(
            "validation_error:idempotency_key",
            errors=[{"field": "Idempotency-Key", "message": "invalid"}],
        )
    result = repayments.accept(
        session, member_id=member.id, payee_id=body.payee_id, amount=body.amount,
        idempotency_key=idempotency_key, now=now, wall=wall_now(),
    )
    return JSONResponse(result.repayment, status_code=202)


@router.get("/v1/repayments", response_model=RepaymentPage, summary="Your repayments")
def list_repayments(
    member: CurrentMember, session: SessionDep, status: RepaymentStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> dict:
    return repayments.list_for(session, member_id=member.id, status=status, limit=limit,
                               cursor=cursor)


def _read(session: Session, member_id: int, repayment_id: str) -> dict:
    try:
        return repayments.get(session, member_id=member_id, repayment_id=repayment_id)
    finally:
        session.rollback()


@router.get("/v1/repayments/{repayment_id}", response_model=RepaymentOut,
            summary="One repayment; `?wait=S` holds the answer until it changes")
async def get_repayment(
    request: Request, repayment_id: RepaymentId, member: CurrentMember, session: SessionDep,
    wait: Annotated[float, Query(ge=0, le=30, description="Seconds to hold for a change")] = 0,
) -> dict:
    if wait <= 0:
        return await run_in_threadpool(_read, session, member.id, repayment_id)
    async with request.app.state.waiter.watch(repayment_id) as changed:
        current = await run_in_threadpool(_read, session, member.id, repayment_id)
        if current["status"] in FINAL:
            return current
        try:
            async with asyncio.timeout(wait):
                await changed.event.wait()
        except TimeoutError:
            return current
    return await run_in_threadpool(_read, session, member.id, repayment_id)


@router.get("/v1/dues", response_model=DuesOut, summary="What you owe today, and by when")
def get_dues(member: CurrentMember, session: SessionDep, now: NowDep) -> dict:
    return dues_out(dues_service.dues(session, member.id, now))


@router.put("/v1/me/due-day", response_model=DuesOut,
            summary="Choose your due day: 5, 15, 25 or 31 (month end)")
def set_due_day(request: Request, body: DueDayIn, member: CurrentMember, session: SessionDep,
                now: NowDep, wall: WallDep) -> dict:
    """A due date already pending stays as it is; the new day applies to the due dates
    after it, the first at least 14 days after the pending one. Audited, as staff's."""
    terms.set_due_day(session, member.id, due_day=body.due_day, now=now, wall=wall,
                      actor=Actor(f"member:{member.id}",
                                  source=request.client.host if request.client else None))
    return dues_out(dues_service.dues(session, member.id, now))


@router.get(
    "/v1/statement", response_model=StatementOut,
    summary="Your statement of a month; `Accept: text/csv` or `format=csv` for CSV",
    responses={200: {"content": {"text/csv": {}}}},
)
def get_statement(
    member: CurrentMember, session: SessionDep, now: NowDep,
    month: Annotated[str, Query(description="YYYY-MM (JST month)", pattern=MONTH_PATTERN)],
    format: Annotated[str | None, Query(pattern="^(json|csv)$")] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    s = statements.month_statement(session, member.id, month, now)
    if format == "csv" or (format is None and accept and "text/csv" in accept):
        return Response(
            statements.as_csv(s), media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition":
                     f'attachment; filename="shunfuri-statement-{month}.csv"'},
        )
    return JSONResponse(statements.as_dict(s))
