"""Staff accounts (supervisors): who has access with which role, a new account, and one
account's page: disable or enable it, reset its second factor. The new account's
password is drawn by the system and shown once; since the supervisor has seen it, the
person changes it at their first login, then sets up their one-time code."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from shunfuri.clock import wall_now
from shunfuri.errors import ShunfuriError
from shunfuri.services.staff import accounts as staff
from shunfuri.services.staff import manage as staff_manage
from shunfuri.settings import get_settings
from web.db import PageSession, db
from web.forms import parse_id
from web.staff.site import PREFIX, acting, allowed, render, router, source

pages = router()

FIELDS_JA = {
    "login_id": "ログインIDは3〜48文字の半角英小文字・数字と「.」「_」「-」で、使われていないものにしてください。",
    "name": "氏名を64文字以内で入力してください。",
    "role": "ロールを選んでください。",
}
NOTICES = {
    "disabled": "アカウントを無効にしました。このアカウントのログインはすべて終了し、ログインできなくなりました。",
    "enabled": "アカウントを再び有効にしました。",
    "totp_reset": "確認コードをリセットしました。このアカウントのログインはすべて終了しました。"
    "次回のログインで、新しい確認コードを登録します。",
}
REASON_MAX = 500


def _page(request: Request, *, status: int = 200, **extra: object) -> Response:
    session = db(request)
    accounts = staff.list_accounts(session)
    context = {"errors": {}, "created": None, "password": None, "typed": {}, **extra}
    return render(request, "staff/accounts.html", status=status, section="accounts",
                  accounts=accounts, **context)


@pages.get("/accounts")
def accounts(request: Request) -> Response:
    allowed(request, "staff.manage")
    return _page(request)


@pages.post("/accounts")
def add_account(request: Request, session: PageSession,
                login_id: Annotated[str, Form(max_length=64)] = "",
                name: Annotated[str, Form(max_length=128)] = "",
                role: Annotated[str, Form(max_length=16)] = "") -> Response:
    account = allowed(request, "staff.manage")
    password = secrets.token_urlsafe(12)
    typed = {"login_id": login_id, "name": name, "role": role}
    try:
        made = staff.create_account(
            session, login_id=login_id, name=name, role=role, password=password,
            now=wall_now(), pepper=get_settings().pin_pepper.get_secret_value(),
            by=acting(request, account), must_change_password=True)
    except ShunfuriError as exc:
        session.rollback()  # refused: its transaction ends (nothing kept, no lock held)
        if exc.code != "validation_error":
            raise
        errors = {item["field"]: FIELDS_JA.get(item["field"], "入力内容をご確認ください。")
                  for item in exc.extra.get("errors") or []}
        return _page(request, status=422, errors=errors, typed=typed)
    # Shown on this response only; the person changes it at the first login.
    return _page(request, created=made.login_id, password=password)


def _one(request: Request, staff_id: int, *, status: int = 200, **extra: object) -> Response:
    me = allowed(request, "staff.manage")
    session = db(request)
    shown = staff.get_account(session, staff_id)
    session.expunge(shown)
    context = {"errors": {}, "notice": None, **extra}
    return render(request, "staff/account.html", status=status, section="accounts",
                  shown=shown, own=shown.id == me.id, **context)


@pages.get("/accounts/{staff_id}")
def account_page(request: Request, staff_id: str, done: str = "") -> Response:
    return _one(request, parse_id(staff_id, "staff_id"), notice=NOTICES.get(done))


def _reason(raw: str) -> str:
    return " ".join((raw or "").split())[:REASON_MAX]


def _act(request: Request, staff_id: str, reason: str, what: str) -> Response:
    me = allowed(request, "staff.manage")
    target = parse_id(staff_id, "staff_id")
    clean = _reason(reason)
    if not clean:
        return _one(request, target, status=422,
                    errors={what: "理由を入力してください（記録に残ります）。"})
    common: dict[str, Any] = {"staff_id": target, "by": me, "reason": clean, "now": wall_now(),
              "source": source(request)}
    session = db(request)
    try:
        if what == "totp_reset":
            staff_manage.reset_second_factor(session, **common)
        else:
            staff_manage.set_disabled(session, disabled=what == "disabled", **common)
    except ShunfuriError as exc:
        session.rollback()  # refused: its transaction ends (nothing kept, no lock held)
        if exc.code != "validation_error":
            raise
        return _one(request, target, status=422,
                    errors={what: "ご自分のアカウントには、この操作はできません。"})
    return RedirectResponse(f"{PREFIX}/accounts/{target}?done={what}", status_code=303)


@pages.post("/accounts/{staff_id}/disable")
def disable(request: Request, staff_id: str,
            reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    return _act(request, staff_id, reason, "disabled")


@pages.post("/accounts/{staff_id}/enable")
def enable(request: Request, staff_id: str,
           reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    return _act(request, staff_id, reason, "enabled")


@pages.post("/accounts/{staff_id}/reset-totp")
def reset_totp(request: Request, staff_id: str,
               reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    return _act(request, staff_id, reason, "totp_reset")
