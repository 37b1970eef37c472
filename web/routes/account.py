"""Web-ID self-service: the member sets or changes their own Web-ID and password."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from shunfuri import catalogue
from shunfuri.clock import wall_now
from shunfuri.errors import ShunfuriError
from shunfuri.services.members import login_rate
from shunfuri.services.members import security as member_security
from shunfuri.settings import get_settings
from web.db import PageSession
from web.errors import error_page
from web.filters import wait_ja
from web.forms import field_errors
from web.security import session_token
from web.site import MEMBER_SITE, SignedIn, render
from web.site import router as site_router

router = site_router()


def _form(request: Request, member, *, status: int = 200, errors=None,
          typed: str = "", warning: str | None = None) -> Response:
    return render(
        request, "web_id.html", status=status, section="settings",
        current_web_id=member.web_id, errors=errors or {}, typed=typed, warning=warning,
    )


@router.get("/settings/web-id")
def web_id_page(request: Request, member: SignedIn) -> Response:
    return _form(request, member)


@router.post("/settings/web-id")
def set_web_id(
    request: Request, session: PageSession,
    member: SignedIn,
    web_id: Annotated[str, Form(max_length=128)] = "",
    new_password: Annotated[str, Form(max_length=1024)] = "",
    password_again: Annotated[str, Form(max_length=1024)] = "",
    current_pin: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    if new_password != password_again:
        return _form(request, member, status=422, typed=web_id, errors={
            "password_again": "確認用のパスワードが一致しません。同じパスワードを2回入力してください。"
        })
    settings = get_settings()
    try:
        address = request.client.host if request.client else "unknown"
        login_rate.web_id_throttle(member.id, address, settings.web_id_rate)
        member_security.set_web_id(
            session, member_id=member.id, web_id=web_id, password=new_password,
            current_pin=current_pin, now=wall_now(),
            pepper=settings.pin_pepper.get_secret_value(),
            keep_token=session_token(request, MEMBER_SITE),
        )
    except ShunfuriError as exc:
        session.rollback()  # refused: its transaction ends (nothing kept, no lock held)
        if exc.code == "account_locked":
            request.state.drop_session = True
            return error_page(request, exc, login_again=True)
        if exc.code == "too_many_requests":
            wait = exc.extra.get("retry_after")
            response = _form(request, member, status=429, typed=web_id, warning=(
                "短い時間に何度もお手続きがあったため、Web-IDの設定を一時的にお休みしています。"
                f"{wait_ja(wait)}ほど待ってから、もう一度お試しください。"))
            response.headers["Retry-After"] = str(wait)
            return response
        errors = field_errors(exc, rename={"password": "new_password"})
        warning = None
        if exc.code == "invalid_credentials":
            errors["current_pin"] = "暗証番号が正しくありません。"
            warning = "暗証番号を3回続けて間違えるとロックされ、自動契約機での再設定が必要になります。"
        return _form(request, member, status=catalogue.status(exc), errors=errors, typed=web_id,
                     warning=warning)
    return RedirectResponse("/?done=web_id", status_code=303)
