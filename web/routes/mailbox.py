"""開発用メールボックス: the mail the embedded SMTP sink kept in the data folder, so a
developer can read (and click) what members would receive. Mounted only outside
production (`web.mount`), and refuses to answer in production even if mounted."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from shunfuri.errors import ShunfuriError
from shunfuri.mail.sink import kept_mail, maildir_path
from shunfuri.settings import get_settings
from web.security import production
from web.site import render
from web.site import router as site_router

router = site_router()

HEADERS = ("Date", "From", "To", "Subject", "Message-ID", "List-Unsubscribe")


def _kept() -> list:
    if production():
        raise ShunfuriError("not_found")
    return kept_mail(maildir_path(get_settings().data_dir.resolve()))


@router.get("/dev/mail")
def mailbox(request: Request) -> Response:
    mails = list(enumerate(_kept(), 1))
    return render(request, "mailbox.html", mails=list(reversed(mails)), shown=None)


@router.get("/dev/mail/{number}")
def message(request: Request, number: int) -> Response:
    kept = _kept()
    if not 1 <= number <= len(kept):
        raise ShunfuriError("not_found")
    mail = kept[number - 1]
    headers = [(name, str(mail.message[name])) for name in HEADERS if mail.message[name]]
    return render(request, "mailbox.html", mails=[], shown=mail, number=number,
                  headers=headers)
