"""Log in (card number + PIN, or Web-ID + password) and log out."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from shunfuri.clock import wall_now
from shunfuri.db.session import session_factory
from shunfuri.errors import ShunfuriError
from shunfuri.services.members import login as login_service
from shunfuri.services.members import login_rate
from shunfuri.settings import get_settings
from web.errors import error_page
from web.forms import field_errors
from web.security import clear_session_cookie, safe_next, session_token, set_session_cookie
from web.site import MEMBER_SITE, render
from web.site import router as site_router

router = site_router()

# Shown again on the form (with the field errors); anything else is a page of its own.
_ON_FORM = ("validation_error", "invalid_credentials")


@router.get("/login")
def login_page(request: Request, next: str = "", expired: str = "", bye: str = "") -> Response:
    notice = None
    if expired:
        notice = "一定時間操作がなかったため、ログアウトしました。もう一度ログインしてください。"
    elif bye:
        notice = "ログアウトしました。"
    return render(request, "login.html", next=safe_next(next, ""), notice=notice,
                  errors={}, error=None, form="", typed={})


def _attempt(request: Request, kind: Literal["card", "web"], identifier: str, secret: str,
             next_path: str) -> Response:
    settings = get_settings()
    address = request.client.host if request.client else "unknown"
    try:
        # The same per-address limit as POST /v1/login (one budget for both doors).
        login_rate.check(address, settings.login_rate)
        with session_factory()() as session:
            result = login_service.attempt(
                session, kind=kind, identifier=identifier, secret=secret,
                now=wall_now(), pepper=settings.pin_pepper.get_secret_value(),
                ttl_seconds=settings.token_ttl_seconds, session_kind="web",
            )
    except ShunfuriError as exc:
        if exc.code not in _ON_FORM:
            return error_page(request, exc, login_again=True)
        typed = {"card_number": identifier} if kind == "card" else {"web_id": identifier}
        return render(
            request, "login.html", status=exc.status, next=next_path, notice=None,
            errors=field_errors(exc), error=exc if exc.code == "invalid_credentials" else None,
            form=kind, typed=typed,
        )
    response = RedirectResponse(safe_next(next_path), status_code=303)
    set_session_cookie(response, MEMBER_SITE, result.access_token)
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
def logout(request: Request) -> Response:
    token = session_token(request, MEMBER_SITE)
    if token:
        with session_factory()() as session:
            login_service.logout(session, token=token, now=wall_now())
    response = RedirectResponse("/login?bye=1", status_code=303)
    clear_session_cookie(response, MEMBER_SITE)
    return response
