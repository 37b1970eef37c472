"""GET /v1/me: the member's status and credit. PUT /v1/me/web-id: their own Web-ID."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from api.deps import CurrentMember, NowDep, SessionDep, SettingsDep, TokenDep, WallDep
from api.routes.auth import client_address
from api.schemas.members import MeOut, WebIdIn, WebIdOut
from shunfuri.services.credit_review import stops
from shunfuri.services.members import login_rate
from shunfuri.services.members import security as member_security
from shunfuri.services.members.accounts import available
from shunfuri.services.repayments import dues

router = APIRouter(tags=["members"])

_WEB_ID_REFUSALS: dict[int | str, dict[str, Any]]
_WEB_ID_REFUSALS = {
    code: {"description": text, "content": {"application/problem+json": {}}}
    for code, text in (
        (401, "invalid_credentials: the current PIN is wrong (counts towards the lock)"),
        (409, "web_id_taken: another member uses this Web-ID"),
        (422, "validation_error: Web-ID 3-64 of a-z 0-9 _ . @; password 8-128 characters"),
        (423, "account_locked: 3 wrong PINs in a row; reset in person"),
        (429, "too_many_requests: too many Web-ID changes by this member or from this "
              "address; see Retry-After"),
    )
}


@router.get("/v1/me", response_model=MeOut,
            summary="Credit limit, used and available; interest, payoff and what is due")
def me(member: CurrentMember, session: SessionDep, now: NowDep) -> MeOut:
    owed = dues.dues(session, member.id, now)
    session.rollback()
    return MeOut(
        member_id=member.id,
        # The ongoing review's stop is a 利用停止 to the member (new advances refused).
        status="suspended" if stops.is_stopped(member) else member.status,
        credit_limit=member.credit_limit,
        outstanding=member.outstanding,
        held=member.held,
        available=available(member),
        interest_due=owed.interest_due,
        payoff_today=owed.payoff_today,
        next_due_date=owed.next_due_date.isoformat() if owed.next_due_date else None,
        minimum_due=owed.minimum_due,
        overdue=owed.overdue,
    )


@router.put(
    "/v1/me/web-id",
    response_model=WebIdOut,
    responses=_WEB_ID_REFUSALS,
    summary="Set or change your own Web-ID and password (needs your current PIN)",
)
def set_web_id(
    request: Request, body: WebIdIn, member: CurrentMember, token: TokenDep,
    session: SessionDep, wall: WallDep, settings: SettingsDep,
) -> WebIdOut:
    """The Web-ID is normalised like a login's (NFKC, hyphens and spaces dropped,
    lower-cased). Your other tokens and sessions end; this one stays. Throttled per
    member and per address (`SHUNFURI_WEB_ID_RATE_LIMIT`), since the answer says
    whether a Web-ID is taken."""
    login_rate.web_id_throttle(member.id, client_address(request), settings.web_id_rate)
    web_id = member_security.set_web_id(
        session,
        member_id=member.id,
        web_id=body.web_id,
        password=body.password.get_secret_value(),
        current_pin=body.current_pin.get_secret_value(),
        now=wall,
        pepper=settings.pin_pepper.get_secret_value(),
        keep_token=token,
    )
    return WebIdOut(web_id=web_id)
