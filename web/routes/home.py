"""The top page: the credit line at a glance and the latest transfers."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from shunfuri.clock import get_clock
from shunfuri.services.members import payees
from shunfuri.services.members.accounts import available
from shunfuri.services.repayments import dues
from shunfuri.services.transfers import reads as transfer_reads
from web.db import PageSession
from web.site import SignedIn, render
from web.site import router as site_router

router = site_router()

RECENT = 5


@router.get("/")
def home(request: Request, session: PageSession, member: SignedIn, done: str = "") -> Response:
    recent = transfer_reads.list_for(
        session, member_id=member.id, status=None, limit=RECENT, cursor=None
    )["items"]
    known = {p.id: p for p in payees.list_payees(session, member_id=member.id)}
    owed = dues.dues(session, member.id, get_clock().now())
    notice = {"web_id": "Web-IDとパスワードを登録しました。次回からWeb-IDでもログインできます。"}
    return render(
        request, "home.html", section="home", recent=recent, payees=known,
        available=available(member), notice=notice.get(done), owed=owed,
    )
