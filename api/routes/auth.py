"""POST /v1/login and POST /v1/logout."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Request, Response

from api.deps import SessionDep, SettingsDep, TokenDep, WallDep
from api.schemas.login import LoginRequest, TokenOut
from shunfuri.services.members import login as login_service
from shunfuri.services.members import login_rate

router = APIRouter(tags=["members"])

_REFUSALS: dict[int | str, dict[str, Any]]
_REFUSALS = {
    code: {"description": text, "content": {"application/problem+json": {}}}
    for code, text in (
        (401, "invalid_credentials: unknown identifier or wrong secret (same answer)"),
        (403, "account_suspended, or card_reported_lost (card login)"),
        (422, "validation_error: malformed input (never counted as a wrong secret)"),
        (423, "account_locked: 3 wrong secrets in a row from the member's own devices "
              "(a valid Device-Token); reset in person"),
        (429, "too_many_requests: per-address rate limit; too_many_attempts: this ID is "
              "closed for a while to clients without a valid Device-Token after their "
              "failures, even for the right secret; see Retry-After"),
    )
}


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def login_rate_limit(request: Request, settings: SettingsDep) -> None:
    """Runs before the body is even validated, so nothing is parsed or hashed over the limit."""
    login_rate.check(client_address(request), settings.login_rate)


@router.post(
    "/v1/login",
    response_model=TokenOut,
    responses=_REFUSALS,
    dependencies=[Depends(login_rate_limit)],
    summary="Log in with card number + PIN, or Web-ID + password (send your Device-Token)",
)
def login(
    body: LoginRequest, session: SessionDep, now: WallDep, settings: SettingsDep,
    device_token: Annotated[str | None, Header(
        alias="Device-Token",
        description="The `device_token` of this client's earlier successful login, if any")
    ] = None,
) -> TokenOut:
    kind: Literal["card", "web"]
    if body.card_number is not None and body.pin is not None:
        kind, identifier, secret = "card", body.card_number, body.pin.get_secret_value()
    else:
        assert body.web_id is not None and body.password is not None
        kind, identifier, secret = "web", body.web_id, body.password.get_secret_value()
    result = login_service.attempt(
        session,
        kind=kind,
        identifier=identifier,
        secret=secret,
        now=now,
        pepper=settings.pin_pepper.get_secret_value(),
        ttl_seconds=settings.token_ttl_seconds,
        device_token=device_token,
        policy=settings.untrusted_policy,
    )
    return TokenOut(access_token=result.access_token, expires_in=result.expires_in,
                    device_token=result.device_token)


@router.post("/v1/logout", status_code=204, summary="Revoke the bearer token")
def logout(session: SessionDep, token: TokenDep, now: WallDep) -> Response:
    login_service.logout(session, token=token, now=now)
    return Response(status_code=204)
