"""The staff member's own password: changed at the first login when a supervisor drew
it (someone else has seen it), and whenever the person wants to from the menu."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from shunfuri.clock import wall_now
from shunfuri.db.models import StaffAccount
from shunfuri.errors import ShunfuriError
from shunfuri.services.staff import accounts as staff
from shunfuri.services.staff import manage as staff_manage
from shunfuri.settings import get_settings
from web.db import PageSession
from web.security import session_token, set_session_cookie
from web.staff.site import (
    PASSWORD_SITE,
    STAFF_SITE,
    STAGE_PAGES,
    device_token,
    render,
    router,
    set_device_cookie,
    source,
    staged,
)

pages = router(PASSWORD_SITE)

FIELDS_JA = {
    "current_password": "現在のパスワードが正しくありません。",
    "new_password": f"新しいパスワードは{staff.PASSWORD_MIN}〜128文字で、ログインIDや"
    "現在のパスワードとは違うものにしてください。",
    "new_password_confirm": "確認のため、新しいパスワードをもう一度同じように入力してください。",
}


def _form(request: Request, account: StaffAccount, *, errors: dict[str, str],
          status: int = 200) -> Response:
    forced = account.must_change_password
    request.state.enrolling = forced  # no menu until the password is the person's own
    return render(request, "staff/password.html", status=status, section="password",
                  account=account, forced=forced, errors=errors,
                  minimum=staff.PASSWORD_MIN)


@pages.get("/password")
def password_page(request: Request) -> Response:
    account = staged(request, PASSWORD_SITE)
    if isinstance(account, Response):
        return account
    return _form(request, account, errors={})


@pages.post("/password")
def change_password(
    request: Request, session: PageSession,
    current_password: Annotated[str, Form(max_length=1024)] = "",
    new_password: Annotated[str, Form(max_length=1024)] = "",
    new_password_confirm: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    account = staged(request, PASSWORD_SITE)
    if isinstance(account, Response):
        return account
    if new_password != new_password_confirm:
        return _form(request, account, status=422,
                     errors={"new_password_confirm": FIELDS_JA["new_password_confirm"]})
    settings = get_settings()
    try:
        done = staff_manage.change_password(
            session, token=session_token(request, PASSWORD_SITE) or "",
            current=current_password, new=new_password, device=device_token(request),
            now=wall_now(), pepper=settings.pin_pepper.get_secret_value(),
            ttl_seconds=settings.token_ttl_seconds, source=source(request))
    except ShunfuriError as exc:
        session.rollback()  # refused: its transaction ends (nothing kept, no lock held)
        if exc.code != "validation_error":
            raise
        fields = [item.get("field") for item in exc.extra.get("errors") or []]
        return _form(request, account, status=422,
                     errors={f: FIELDS_JA[f] for f in fields if f in FIELDS_JA})
    target = STAGE_PAGES[done.kind] + ("?password=1" if done.kind == "full" else "")
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, STAFF_SITE, done.token)
    set_device_cookie(response, done.device)
    return response

