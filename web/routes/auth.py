"""Log in (card number + PIN, or Web-ID + password) and log out."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from shunfuri import catalogue
from shunfuri.clock import wall_now
from shunfuri.errors import ShunfuriError
from shunfuri.services.members import devices, login_rate, tokens
from shunfuri.services.members import login as login_service
from shunfuri.settings import get_settings
from web.db import PageSession, db
from web.errors import error_page
from web.filters import wait_ja
from web.forms import field_errors
from web.security import (
    clear_session_cookie,
    device_token,
    safe_next,
    session_token,
    set_device_cookie,
    set_session_cookie,
)
from web.site import MEMBER_SITE, render
from web.site import router as site_router

router = site_router()

# Shown again on the form (with the field errors); anything else is a page of its own.
_ON_FORM = ("validation_error", "invalid_credentials", "too_many_attempts")
_ID_LABELS = {"card": "カード番号", "web": "Web-ID"}


@router.get("/login")
def login_page(request: Request, next: str = "", expired: str = "", bye: str = "") -> Response:
    notice = None
    if expired:
        notice = "一定時間操作がなかったため、ログアウトしました。もう一度ログインしてください。"
    elif bye:
        notice = "ログアウトしました。"
    return render(request, "login.html", next=safe_next(next, ""), notice=notice,
                  errors={}, alert=None, form="", typed={})


def paused_ja(kind: str, retry_after: int | None) -> str:
    """`too_many_attempts` on the page: wait, or use a browser that logged in before.
    Says nothing about whether the ID exists (an unknown one is paused the same way)."""
    label = _ID_LABELS[kind]
    return (
        f"{label}でのログインに続けて失敗したため、このブラウザからの{label}での"
        f"ログインを一時的にお休みしています。{wait_ja(retry_after)}ほど待ってから、"
        "もう一度お試しください。以前にこのサービスへログインしたことのあるブラウザや"
        "アプリからは、待たずにそのままログインできます。"
    )


def _attempt(request: Request, kind: Literal["card", "web"], identifier: str, secret: str,
             next_path: str) -> Response:
    settings = get_settings()
    address = request.client.host if request.client else "unknown"
    session = db(request)
    try:
        # The same per-address limit as POST /v1/login (one budget for both doors).
        login_rate.check(address, settings.login_rate)
        result = login_service.attempt(
            session, kind=kind, identifier=identifier, secret=secret,
            now=wall_now(), pepper=settings.pin_pepper.get_secret_value(),
            ttl_seconds=settings.token_ttl_seconds, session_kind=tokens.WEB,
            device_token=device_token(request), policy=settings.untrusted_policy,
        )
    except ShunfuriError as exc:
        session.rollback()  # refused: its transaction ends (nothing kept, no lock held)
        if exc.code not in _ON_FORM:
            return error_page(request, exc, login_again=True)
        typed = {"card_number": identifier} if kind == "card" else {"web_id": identifier}
        alert = None
        if exc.code == "invalid_credentials":
            alert = catalogue.words(exc)[1]
        elif exc.code == "too_many_attempts":
            alert = paused_ja(kind, exc.extra.get("retry_after"))
        response: Response = render(
            request, "login.html", status=catalogue.status(exc), next=next_path, notice=None,
            errors=field_errors(exc), alert=alert, form=kind, typed=typed,
        )
        if "retry_after" in exc.extra:
            response.headers["Retry-After"] = str(exc.extra["retry_after"])
        return response
    response = RedirectResponse(safe_next(next_path), status_code=303)
    set_session_cookie(response, MEMBER_SITE, result.access_token)
    set_device_cookie(response, result.device_token, int(devices.IDLE_LIMIT.total_seconds()))
    return response


@router.post("/login/card")
def login_card(
    request: Request,
    card_number: Annotated[str, Form(max_length=128)] = "",
    pin: Annotated[str, Form(max_length=32)] = "",
    next: Annotated[str, Form(max_length=512)] = "",
) -> Response:
    return _attempt(request, "card", card_number, pin, next)


@router.post("/login/web")
def login_web(
    request: Request,
    web_id: Annotated[str, Form(max_length=128)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=512)] = "",
) -> Response:
    return _attempt(request, "web", web_id, password, next)


@router.post("/logout")
def logout(request: Request, session: PageSession) -> Response:
    token = session_token(request, MEMBER_SITE)
    if token:
        login_service.logout(session, token=token, now=wall_now(), kind=tokens.WEB)
    response = RedirectResponse("/login?bye=1", status_code=303)
    clear_session_cookie(response, MEMBER_SITE)
    return response
