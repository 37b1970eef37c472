"""お試し診断 and becoming a member: eligibility, the application and its follow-up,
documents, the contract (spec/application.md, "API shape"). One service call each.

No route here logs a request's fields, and no refusal repeats one: they are personal data.
"""

from __future__ import annotations

import asyncio
import re
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from api.deps import NowDep, SessionDep, SettingsDep, TokenDep, WallDep
from api.routes.auth import client_address
from api.schemas.applications import (
    ApplicationCreated,
    ApplicationIn,
    ApplicationOut,
    ContractIn,
    ContractOut,
    EligibilityIn,
    EligibilityOut,
    IncomeProofIn,
)
from shunfuri.db.session import session_factory
from shunfuri.domain.application_states import DECIDING
from shunfuri.errors import ShunfuriError
from shunfuri.services.applications import access, contract, documents, intake, throttle

router = APIRouter(tags=["applications"])

_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
ApplicationId = Annotated[str, Path(min_length=1, max_length=64)]


def eligibility_rate_limit(request: Request) -> None:
    """Per address, before the body is read (`SHUNFURI_ELIGIBILITY_RATE_LIMIT`; the page
    /shindan shares the budget)."""
    throttle.check(client_address(request), throttle.ELIGIBILITY)


def application_rate_limit(request: Request) -> None:
    """Per address, before the body is read (`SHUNFURI_APPLICATION_RATE_LIMIT`; the page
    /apply's submission shares the budget): each application costs a bureau inquiry."""
    throttle.check(client_address(request), throttle.APPLICATION)


_RATE_LIMITED: dict[int | str, dict[str, Any]]
_RATE_LIMITED = {429: {"description": "too_many_requests: per-address rate limit; see "
                                      "Retry-After",
                       "content": {"application/problem+json": {}}}}


@router.post("/v1/eligibility", response_model=EligibilityOut,
             dependencies=[Depends(eligibility_rate_limit)], responses=_RATE_LIMITED,
             summary="お試し診断: a quick estimate; nothing is stored or logged")
def eligibility(body: EligibilityIn, now: NowDep) -> dict:
    answer = intake.check_eligibility(body.model_dump(), now=now)
    return {"eligible": answer.eligible, "message_ja": answer.message_ja}


@router.post("/v1/applications", status_code=202, response_model=ApplicationCreated,
             dependencies=[Depends(application_rate_limit)], responses=_RATE_LIMITED,
             summary="Apply to become a member; screening follows in seconds")
def apply(
    body: ApplicationIn, session: SessionDep, now: NowDep, wall: WallDep,
    settings: SettingsDep,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", json_schema_extra={"pattern": _KEY.pattern},
                           description="A fresh random value (a UUID) per application")
    ] = None,
) -> dict:
    if idempotency_key is not None and not _KEY.match(idempotency_key):
        raise ShunfuriError(
            "validation_error:idempotency_key",
            errors=[{"field": "Idempotency-Key", "message": "invalid"}],
        )
    submitted = intake.submit(session, body.raw(), idempotency_key=idempotency_key, now=now,
                              wall=wall, pepper=settings.pin_pepper.get_secret_value())
    return {"id": submitted.application["id"], "token": submitted.token,
            "status": submitted.application["status"]}


def _read(application_id: str, token: str) -> dict:
    with session_factory()() as session:
        return access.read(session, application_id, token)


@router.get("/v1/applications/{application_id}", response_model=ApplicationOut,
            response_model_exclude_none=True)
async def get_application(
    request: Request, application_id: ApplicationId, token: TokenDep,
    wait: Annotated[float, Query(ge=0, le=30, description="Seconds to hold for a change")] = 0,
) -> Response | dict:
    """`?wait=S` holds the answer, while a decision can still come by itself (received,
    checking, manual_review), until the status changes or S seconds pass (woken by the
    worker's event, as transfers are); any other status answers at once. Another
    application's id, or a wrong token: 404."""
    first = await run_in_threadpool(_read, application_id, token)
    if wait <= 0 or first["status"] not in DECIDING:
        # Only the applicant moves an approved (or documents_needed) application on, and
        # nothing moves a final one: holding would only delay a client whose GET came
        # after the decision (under load, the 10 s of its wait, every time).
        return first
    waiter = request.app.state.waiter
    # Watch before reading again, so a change between the read and the wait is not missed.
    async with waiter.watch(application_id) as changed:
        current = await run_in_threadpool(_read, application_id, token)
        if current["status"] not in DECIDING:
            return current
        try:
            async with asyncio.timeout(wait):
                while True:
                    await changed.event.wait()
                    changed.event.clear()
                    view = changed.view
                    if view is not None and orjson.loads(view)["status"] != current["status"]:
                        # Authorised for this application by the read above.
                        return Response(view, media_type="application/json")
        except TimeoutError:
            return current


@router.post("/v1/applications/{application_id}/documents", response_model=ApplicationOut,
             response_model_exclude_none=True,
             summary="Send the income proof's figures; screening starts again")
def send_documents(application_id: ApplicationId, body: IncomeProofIn, token: TokenDep,
                   session: SessionDep, now: NowDep, wall: WallDep) -> dict:
    return documents.send_documents(session, application_id, token, body.model_dump(),
                                    now=now, wall=wall)


@router.post("/v1/applications/{application_id}/contract", status_code=201,
             response_model=ContractOut,
             summary="Accept the offer: the new member's card number, shown once")
def make_contract(application_id: ApplicationId, body: ContractIn, token: TokenDep,
                  session: SessionDep, now: NowDep, wall: WallDep,
                  settings: SettingsDep) -> dict:
    made = contract.contract(
        session, application_id, token, agree=body.agree, pin=body.pin.get_secret_value(),
        due_day=body.due_day, web_id=body.web_id,
        password=body.password.get_secret_value() if body.password is not None else None,
        now=now, wall=wall, pepper=settings.pin_pepper.get_secret_value(),
    )
    return {"member_id": made.member_id, "card_number": made.card_number}
