"""メール設定: the member's mail address (confirmed by a mailed link) and the four
settings; the confirmation page the link opens (no login needed: the link is the proof);
and, outside production only, the development mailbox showing what the embedded SMTP
sink kept."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from shunfuri import catalogue
from shunfuri.clock import wall_now
from shunfuri.errors import ShunfuriError
from shunfuri.services.mail import settings as mail_settings
from shunfuri.settings import get_settings
from web.db import PageSession, db
from web.errors import error_page
from web.site import SignedIn, render
from web.site import router as site_router

router = site_router()

DONE = {
    "address": "確認用のメールをお送りしました。メールに記載のリンクを24時間以内に開いて、"
               "登録を完了してください。",
    "settings": "メール設定を保存しました。",
}
ADDRESS_HELP = "メールアドレスの形式が正しくありません。例：hanako@example.jp"
DAYS = [(0, "当日"), (1, "1日前"), (3, "3日前"), (7, "7日前")]


def _page(request: Request, member, *, status: int = 200, errors=None, typed: str = "",
          notice: str | None = None) -> Response:
    session = db(request)
    current = mail_settings.get(session, member_id=member.id, wall=wall_now())
    return render(request, "mail_settings.html", status=status, section="mail",
                  settings=current, errors=errors or {}, typed=typed, notice=notice, days=DAYS)


@router.get("/settings/mail")
def settings_page(request: Request, member: SignedIn, done: str = "") -> Response:
    return _page(request, member, notice=DONE.get(done))


@router.post("/settings/mail/address")
def register_address(request: Request, session: PageSession, member: SignedIn,
                     address: Annotated[str, Form(max_length=320)] = "") -> Response:
    try:
        mail_settings.register_address(
            session, member_id=member.id, address=address.strip(), wall=wall_now(),
            pepper=get_settings().pin_pepper.get_secret_value())
    except ShunfuriError as exc:
        session.rollback()  # refused: its transaction ends (nothing kept, no lock held)
        if exc.code == "too_many_requests":
            return _page(request, member, status=429, errors={"address": catalogue.words(exc)[1]},
                         typed=address)
        if exc.code != "validation_error":
            raise
        return _page(request, member, status=422, errors={"address": ADDRESS_HELP},
                     typed=address)
    return RedirectResponse("/settings/mail?done=address", status_code=303)


@router.post("/settings/mail")
def save_settings(
    request: Request, session: PageSession,
    member: SignedIn,
    remind: Annotated[str, Form(max_length=8)] = "",
    remind_days_before: Annotated[str, Form(max_length=8)] = "3",
    notify_transfer_settled: Annotated[str, Form(max_length=8)] = "",
    notify_repayment_received: Annotated[str, Form(max_length=8)] = "",
    notify_overdue: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    days = int(remind_days_before) if remind_days_before in {"0", "1", "3", "7"} else -1
    if days < 0:
        return _page(request, member, status=422, errors={
            "remind_days_before": "お知らせする日を選んでください。"})
    mail_settings.update_settings(
        session, member_id=member.id, wall=wall_now(), remind=remind == "on",
        remind_days_before=days, notify_transfer_settled=notify_transfer_settled == "on",
        notify_repayment_received=notify_repayment_received == "on",
        notify_overdue=notify_overdue == "on")
    return RedirectResponse("/settings/mail?done=settings", status_code=303)


@router.get("/mail/confirm")
def confirm_page(request: Request, t: str = "") -> Response:
    # Opening the link changes nothing (mail scanners open links); the button does.
    return render(request, "mail_confirm.html", token=t[:128], confirmed=None)


@router.post("/mail/confirm")
def confirm(request: Request, session: PageSession,
            t: Annotated[str, Form(max_length=128)] = "") -> Response:
    try:
        address = mail_settings.confirm(session, token=t, wall=wall_now())
    except ShunfuriError as exc:
        session.rollback()  # refused: its transaction ends (nothing kept, no lock held)
        return error_page(request, exc)
    return render(request, "mail_confirm.html", token="", confirmed=address)
