"""Staff accounts (supervisors): who has access with which role, and a new account. The
new account's password is drawn by the system and shown once; the person sets up their
one-time code at their first login."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response

from shunfuri.clock import wall_now
from shunfuri.db.session import session_factory
from shunfuri.errors import ShunfuriError
from shunfuri.services.staff import accounts as staff
from shunfuri.settings import get_settings
from web.staff.site import acting, allowed, render, router

pages = router()

FIELDS_JA = {
    "login_id": "ログインIDは3〜48文字の半角英小文字・数字と「.」「_」「-」で、使われていないものにしてください。",
    "name": "氏名を64文字以内で入力してください。",
    "role": "ロールを選んでください。",
}


def _page(request: Request, *, status: int = 200, **extra: object) -> Response:
    with session_factory()() as session:
        accounts = staff.list_accounts(session)
    context = {"errors": {}, "created": None, "password": None, "typed": {}, **extra}
    return render(request, "staff/accounts.html", status=status, section="accounts",
                  accounts=accounts, **context)


@pages.get("/accounts")
def accounts(request: Request) -> Response:
    allowed(request, "staff.manage")
    return _page(request)


@pages.post("/accounts")
def add_account(request: Request,
                login_id: Annotated[str, Form(max_length=64)] = "",
                name: Annotated[str, Form(max_length=128)] = "",
                role: Annotated[str, Form(max_length=16)] = "") -> Response:
    account = allowed(request, "staff.manage")
    password = secrets.token_urlsafe(12)
    typed = {"login_id": login_id, "name": name, "role": role}
    try:
        with session_factory()() as session:
            made = staff.create_account(
                session, login_id=login_id, name=name, role=role, password=password,
                now=wall_now(), pepper=get_settings().pin_pepper.get_secret_value(),
                by=acting(request, account))
    except ShunfuriError as exc:
        if exc.code != "validation_error":
            raise
        errors = {item["field"]: FIELDS_JA.get(item["field"], "入力内容をご確認ください。")
                  for item in exc.extra.get("errors") or []}
        return _page(request, status=422, errors=errors, typed=typed)
    # Shown on this response only; the person logs in with it and enrols their code.
    return _page(request, created=made.login_id, password=password)
