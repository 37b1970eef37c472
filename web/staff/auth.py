"""Staff login (login ID + password + one-time code), TOTP enrolment with a QR code, and
logout."""

from __future__ import annotations

import io
from typing import Annotated

import segno
from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from shunfuri.clock import wall_now
from shunfuri.db.session import session_factory
from shunfuri.errors import ShunfuriError
from shunfuri.services.members import login_rate
from shunfuri.services.staff import accounts as staff
from shunfuri.settings import get_settings
from web.security import (
    clear_session_cookie,
    principal,
    safe_next,
    session_token,
    set_session_cookie,
)
from web.staff.site import ENROL_SITE, PREFIX, STAFF_SITE, render, render_error, router, source

public = router()
enrolment = router(ENROL_SITE)

LOGIN_ERRORS_JA = {
    "invalid_credentials": "ログインID・パスワード・確認コードのいずれかが正しくありません。"
    "5回続けて間違えると、15分間ログインできなくなります。",
    "validation_error": "ログインIDは3〜48文字の半角英小文字・数字と「.」「_」「-」です。",
}


@public.get("/login")
def login_page(request: Request, next: str = "", expired: str = "", bye: str = "") -> Response:
    notice = ("一定時間操作がなかったため、ログアウトしました。" if expired
              else "ログアウトしました。" if bye else None)
    return render(request, "staff/login.html", next=safe_next(next, ""), notice=notice,
                  error=None, login_id="")


@public.post("/login")
def login(
    request: Request,
    login_id: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    code: Annotated[str, Form(max_length=16)] = "",
    next: Annotated[str, Form(max_length=512)] = "",
) -> Response:
    settings = get_settings()
    try:
        login_rate.check(source(request) or "unknown", settings.login_rate, scope="staff-login")
        with session_factory()() as session:
            done = staff.attempt(
                session, login_id=login_id, password=password, code=code,
                now=wall_now(), pepper=settings.pin_pepper.get_secret_value(),
                ttl_seconds=settings.token_ttl_seconds, source=source(request),
            )
    except ShunfuriError as exc:
        if exc.code not in LOGIN_ERRORS_JA:
            return render_error(request, exc)
        return render(request, "staff/login.html", status=exc.status, next=safe_next(next, ""),
                      notice=None, error=LOGIN_ERRORS_JA[exc.code], login_id=login_id)
    target = safe_next(next, f"{PREFIX}/") if done.kind == "full" else f"{PREFIX}/enrol"
    if not target.startswith(f"{PREFIX}/"):
        target = f"{PREFIX}/"
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, STAFF_SITE, done.token)
    return response


def _qr_svg(uri: str) -> Markup:
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", xmldecl=False, svgns=True, scale=5,
                                    border=4, title="確認コード登録用のQRコード")
    return Markup(out.getvalue().decode())  # noqa: S704 - segno's own SVG, no input text


@enrolment.get("/enrol")
def enrol_page(request: Request) -> Response:
    account = principal(request, ENROL_SITE)
    request.state.enrolling = True
    return _enrol_form(request, account, error=None)


def _enrol_form(request: Request, account, *, error: str | None,  # type: ignore[no-untyped-def]
                status: int = 200) -> Response:
    return render(request, "staff/enrol.html", status=status, enrolling=account,
                  qr=_qr_svg(staff.provisioning_uri(account)),
                  secret=" ".join(account.totp_secret[i:i + 4]
                                  for i in range(0, len(account.totp_secret), 4)),
                  error=error)


@enrolment.post("/enrol")
def enrol(request: Request, code: Annotated[str, Form(max_length=16)] = "") -> Response:
    account = principal(request, ENROL_SITE)
    request.state.enrolling = True
    token = session_token(request, ENROL_SITE) or ""
    settings = get_settings()
    try:
        with session_factory()() as session:
            done = staff.enrol(session, account_id=account.id, token=token, code=code,
                               now=wall_now(), ttl_seconds=settings.token_ttl_seconds,
                               source=source(request))
    except ShunfuriError as exc:
        if exc.code != "validation_error":
            raise
        return _enrol_form(request, account, status=422,
                           error="確認コードが正しくありません。アプリに表示されている"
                           "最新の6桁を入力してください。")
    response = RedirectResponse(f"{PREFIX}/?enrolled=1", status_code=303)
    set_session_cookie(response, STAFF_SITE, done.token)
    return response


@public.post("/logout")
def logout(request: Request) -> Response:
    token = session_token(request, STAFF_SITE)
    if token:
        with session_factory()() as session:
            staff.logout(session, token=token, now=wall_now())
    response = RedirectResponse(f"{PREFIX}/login?bye=1", status_code=303)
    clear_session_cookie(response, STAFF_SITE)
    return response
