"""Staff login (login ID + password + one-time code), TOTP enrolment with a QR code, and
logout. The enrolment page draws a new secret each time it is shown, for this session
only (`services.staff.enrolment`): a secret is on one response, never on the next."""

from __future__ import annotations

import io
from typing import Annotated

import segno
from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from shunfuri import catalogue
from shunfuri.clock import wall_now
from shunfuri.db.models import StaffAccount
from shunfuri.errors import ShunfuriError
from shunfuri.services.members import login_rate
from shunfuri.services.staff import accounts as staff
from shunfuri.services.staff import enrolment as staff_enrolment
from shunfuri.services.staff import login as staff_login
from shunfuri.settings import get_settings
from web.db import PageSession, db
from web.security import (
    clear_session_cookie,
    safe_next,
    session_token,
    set_session_cookie,
)
from web.staff.site import (
    ENROL_SITE,
    PREFIX,
    STAFF_SITE,
    STAGE_PAGES,
    device_token,
    render,
    render_error,
    router,
    set_device_cookie,
    source,
    staged,
)

public = router()
enrolment = router(ENROL_SITE)

LOGIN_ERRORS_JA = {
    "invalid_credentials": "ログインID・パスワード・確認コードのいずれかが正しくありません。"
    "続けて間違えると、しばらくログインできなくなります。",
    "validation_error": "ログインIDは3〜48文字の半角英小文字・数字と「.」「_」「-」です。",
    "staff_login_paused": "このログインIDは、誤った入力が続いたため、このブラウザからは"
    "しばらくログインできません。15分ほどたってから、もう一度お試しください。"
    "いつもお使いの端末からは、そのままログインできます。",
    "account_locked": "誤った入力が続いたため、このアカウントは15分間ログインできません。"
    "時間をおいてからお試しください。急ぎの場合は責任者にご相談ください。",
}


@public.get("/login")
def login_page(request: Request, next: str = "", expired: str = "", bye: str = "") -> Response:
    notice = ("一定時間操作がなかったため、ログアウトしました。" if expired
              else "ログアウトしました。" if bye else None)
    return render(request, "staff/login.html", next=safe_next(next, ""), notice=notice,
                  error=None, login_id="")


@public.post("/login")
def login(
    request: Request, session: PageSession,
    login_id: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    code: Annotated[str, Form(max_length=16)] = "",
    next: Annotated[str, Form(max_length=512)] = "",
) -> Response:
    settings = get_settings()
    try:
        login_rate.check(source(request) or "unknown", settings.login_rate, scope="staff-login")
        done = staff_login.attempt(
            session, login_id=login_id, password=password, code=code,
            device=device_token(request), now=wall_now(),
            pepper=settings.pin_pepper.get_secret_value(),
            ttl_seconds=settings.token_ttl_seconds, source=source(request),
        )
    except ShunfuriError as exc:
        session.rollback()  # refused: its transaction ends (nothing kept, no lock held)
        if exc.code not in LOGIN_ERRORS_JA:
            return render_error(request, exc)
        response: Response = render(request, "staff/login.html", status=catalogue.status(exc),
                          next=safe_next(next, ""), notice=None,
                          error=LOGIN_ERRORS_JA[exc.code], login_id=login_id)
        if "retry_after" in exc.extra:
            response.headers["Retry-After"] = str(exc.extra["retry_after"])
        return response
    target = STAGE_PAGES[done.kind]
    if done.kind == "full":
        target = safe_next(next, target)
        if not target.startswith(f"{PREFIX}/"):
            target = f"{PREFIX}/"
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, STAFF_SITE, done.token)
    set_device_cookie(response, done.device)
    return response


def _qr_svg(uri: str) -> Markup:
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", xmldecl=False, svgns=True, scale=5,
                                    border=4, title="確認コード登録用のQRコード")
    return Markup(out.getvalue().decode())  # noqa: S704 - segno's own SVG, no input text


def _enrolling(request: Request) -> StaffAccount | Response:
    """The enrolment session's account; any other live session goes to its own page
    (a full one to the top: after enrolment this page shows nothing)."""
    account = staged(request, ENROL_SITE)
    request.state.enrolling = True
    return account


@enrolment.get("/enrol")
def enrol_page(request: Request) -> Response:
    account = _enrolling(request)
    if isinstance(account, Response):
        return account
    return _enrol_form(request, account, error=None, fresh=True)


def _enrol_form(request: Request, account: StaffAccount, *, error: str | None, fresh: bool,
                status: int = 200) -> Response:
    """With `fresh`, a new secret for this session (shown on this response only);
    without, the code field alone and a link to draw a new one."""
    qr = secret = None
    if fresh:
        session = db(request)
        uri, raw = staff_enrolment.show(session, token=session_token(request, ENROL_SITE)
                                        or "", now=wall_now())
        qr = _qr_svg(uri)
        secret = " ".join(raw[i:i + 4] for i in range(0, len(raw), 4))
    return render(request, "staff/enrol.html", status=status, enrolling=account, qr=qr,
                  secret=secret, error=error)


@enrolment.post("/enrol")
def enrol(request: Request, session: PageSession,
          code: Annotated[str, Form(max_length=16)] = "") -> Response:
    account = _enrolling(request)
    if isinstance(account, Response):
        return account
    token = session_token(request, ENROL_SITE) or ""
    settings = get_settings()
    try:
        done = staff_enrolment.enrol(
            session, token=token, code=code, device=device_token(request),
            now=wall_now(), ttl_seconds=settings.token_ttl_seconds, source=source(request))
    except ShunfuriError as exc:
        session.rollback()  # refused: its transaction ends (nothing kept, no lock held)
        if exc.code != "validation_error":
            raise
        return _enrol_form(request, account, status=422, fresh=False,
                           error="確認コードが正しくありません。アプリに表示されている"
                           "最新の6桁を入力してください。")
    response = RedirectResponse(f"{PREFIX}/?enrolled=1", status_code=303)
    set_session_cookie(response, STAFF_SITE, done.token)
    set_device_cookie(response, done.device)
    return response


@public.post("/logout")
def logout(request: Request, session: PageSession) -> Response:
    token = session_token(request, STAFF_SITE)
    if token:
        staff.logout(session, token=token, now=wall_now())
    response = RedirectResponse(f"{PREFIX}/login?bye=1", status_code=303)
    clear_session_cookie(response, STAFF_SITE)
    return response
