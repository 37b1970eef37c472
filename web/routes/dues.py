"""返済予定 (next due date, minimum, overdue; the due day can be changed here) and
ご利用明細 (a month's statement, with its CSV download)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from shunfuri import catalogue
from shunfuri.clock import get_clock, wall_now
from shunfuri.domain.due_dates import DUE_DAYS
from shunfuri.domain.instants import to_jst
from shunfuri.errors import ShunfuriError
from shunfuri.services.repayments import dues, statements, terms
from shunfuri.services.staff.audit import Actor
from web.db import PageSession, db
from web.site import SignedIn, render
from web.site import router as site_router

router = site_router()

NOTICES = {"due_day": "返済日を変更しました。すでにお知らせしている次回の期日は変わりません。"}


def _page(request: Request, member, *, status: int = 200, error: str = "",
          notice: str | None = None) -> Response:
    session = db(request)
    owed = dues.dues(session, member.id, get_clock().now())
    return render(request, "dues.html", status=status, section="dues", owed=owed,
                  due_days=DUE_DAYS, error=error, notice=notice)


@router.get("/dues")
def dues_page(request: Request, member: SignedIn, done: str = "") -> Response:
    return _page(request, member, notice=NOTICES.get(done))


@router.post("/dues/due-day")
def change_due_day(request: Request, session: PageSession, member: SignedIn,
                   due_day: Annotated[str, Form(max_length=4)] = "") -> Response:
    try:
        chosen = int(due_day) if due_day.isascii() and due_day.isdigit() else 0
        terms.set_due_day(session, member.id, due_day=chosen, now=get_clock().now(),
                          wall=wall_now(),
                          actor=Actor(f"member:{member.id}",
                                      source=request.client.host if request.client else None))
    except ShunfuriError as exc:
        session.rollback()  # refused: its transaction ends (nothing kept, no lock held)
        return _page(request, member, status=catalogue.status(exc), error=catalogue.words(exc)[1])
    return RedirectResponse("/dues?done=due_day", status_code=303)


def _month(raw: str) -> str:
    if raw:
        statements.parse_month(raw)  # validation_error -> the error page says the form
        return raw
    today = to_jst(get_clock().now()).date()
    return f"{today.year:04d}-{today.month:02d}"


def _neighbours(month: str) -> tuple[str, str]:
    year, mon = (int(x) for x in month.split("-"))
    before = date(year - 1, 12, 1) if mon == 1 else date(year, mon - 1, 1)
    after = date(year + 1, 1, 1) if mon == 12 else date(year, mon + 1, 1)
    return f"{before:%Y-%m}", f"{after:%Y-%m}"


@router.get("/statement")
def statement_page(request: Request, session: PageSession, member: SignedIn,
                   month: Annotated[str, Query(max_length=7)] = "") -> Response:
    chosen = _month(month)
    s = statements.month_statement(session, member.id, chosen, get_clock().now())
    before, after = _neighbours(chosen)
    return render(request, "statement.html", section="statement", s=s, month=chosen,
                  before=before, after=after, kinds=statements.KIND_JA)


@router.get("/statement.csv")
def statement_csv(session: PageSession,
                  member: SignedIn, month: Annotated[str, Query(max_length=7)] = "") -> Response:
    chosen = _month(month)
    s = statements.month_statement(session, member.id, chosen, get_clock().now())
    return Response(
        statements.as_csv(s), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="shunfuri-{chosen}.csv"'},
    )
