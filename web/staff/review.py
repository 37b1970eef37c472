"""The screener's pages (審査): the queue of applications rule 5 sent to a person and of
requests to lift the ongoing review's stop, refreshing by itself; one application or
request with everything the decision rests on; approve with a limit, decline, lift, keep
the stop. Screeners and supervisors only (`application.review`): these pages show
income, employer and the bureau's answers (貸金業法 第41条の38), so every other role is
refused and the refusal audited, and opening one application or request is audited too.
The decisions are the services' (`applications.review`, `credit_review.lifts`), which
audit who, what, why and from where in the same transaction."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from shunfuri import catalogue, messages
from shunfuri.clock import get_clock, wall_now
from shunfuri.errors import ShunfuriError
from shunfuri.services.applications import review
from shunfuri.services.credit_review import lifts
from shunfuri.services.staff.audit import audit
from web.db import PageSession, db
from web.forms import parse_amount, parse_id
from web.staff.site import PREFIX, acting, allowed, render, router

pages = router()

PERMISSION = "application.review"
REFRESH_SECONDS = 10
ApplicationId = Annotated[str, Path(min_length=1, max_length=36)]
NOTICES = {
    "approved": "お申し込みを承認しました。お申込者の画面に審査結果が表示されます。",
    "declined": "お申し込みを否決しました。理由は操作記録に残りました。",
    "lifted": "利用停止を解除しました。会員は、すぐに新しいお借入れができます。",
    "kept": "利用停止を継続しました。理由は操作記録に残りました。",
}
LIMIT_JA = "承認できる上限額以下で、1万円以上・1万円単位の金額を入力してください。"
REASON_JA = "理由を入力してください（記録に残ります）。"


def _board(session: Session) -> dict:
    applications = review.queue(session)
    documents = review.waiting_documents(session)
    requests = lifts.open_items(session)
    session.expunge_all()
    return {"applications": applications, "documents": documents, "requests": requests,
            "now": get_clock().now(), "refresh": REFRESH_SECONDS,
            "reasons_ja": messages.SCREENING_REASONS_JA}


@pages.get("/applications")
def queue(request: Request, session: PageSession, done: str = "") -> Response:
    allowed(request, PERMISSION)
    return render(request, "staff/applications.html", section="applications",
                  notice=NOTICES.get(done), **_board(session))


@pages.get("/applications/live")
def queue_live(request: Request, session: PageSession) -> Response:
    """The live part of the queue alone, for staff-refresh.js to swap in."""
    allowed(request, PERMISSION)
    return render(request, "staff/_applications_live.html", **_board(session))


def _application_page(request: Request, application_id: str, *, status: int = 200,
                      errors: dict | None = None) -> Response:
    session = db(request)
    item = review.review_item(session, application_id)
    session.expunge_all()
    return render(request, "staff/application.html", status=status, section="applications",
                  item=item, errors=errors or {}, reasons_ja=messages.SCREENING_REASONS_JA,
                  employment_ja=messages.EMPLOYMENT_JA, proof_ja=messages.PROOF_KINDS_JA,
                  declined_ja=messages.SCREENER_DECLINED_JA)


@pages.get("/applications/{application_id}")
def application_page(request: Request, session: PageSession,
                     application_id: ApplicationId) -> Response:
    account = allowed(request, PERMISSION)
    response = _application_page(request, application_id)  # not_found before the record
    audit(session, actor=acting(request, account, application_id=application_id),
          action="view_application", now=wall_now())
    session.commit()
    return response


@pages.post("/applications/{application_id}/approve")
def approve(request: Request, session: PageSession, application_id: ApplicationId,
            limit: Annotated[str, Form(max_length=32)] = "") -> Response:
    account = allowed(request, PERMISSION)
    try:
        amount = parse_amount(limit)
        review.approve(session, application_id, credit_limit=amount,
                       actor=acting(request, account), now=get_clock().now(),
                       wall=wall_now())
    except ShunfuriError as exc:
        session.rollback()  # refused: its transaction ends (nothing kept, no lock held)
        if exc.code not in ("validation_error", "limit_not_allowed"):
            raise
        return _application_page(request, application_id, status=catalogue.status(exc),
                                 errors={"limit": LIMIT_JA})
    return RedirectResponse(f"{PREFIX}/applications?done=approved", status_code=303)


@pages.post("/applications/{application_id}/decline")
def decline(request: Request, session: PageSession, application_id: ApplicationId,
            reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    account = allowed(request, PERMISSION)
    try:
        review.decline(session, application_id, reason=reason,
                       actor=acting(request, account), now=get_clock().now(),
                       wall=wall_now())
    except ShunfuriError as exc:
        session.rollback()  # refused: its transaction ends (nothing kept, no lock held)
        if exc.code != "validation_error":
            raise
        return _application_page(request, application_id, status=422,
                                 errors={"reason": REASON_JA})
    return RedirectResponse(f"{PREFIX}/applications?done=declined", status_code=303)


def _review_id(raw: str) -> int:
    try:
        return parse_id(raw, "review_id")
    except ShunfuriError:
        raise ShunfuriError("not_found") from None


def _request_page(request: Request, review_id: int, *, status: int = 200,
                  errors: dict | None = None, refused: list[str] | None = None) -> Response:
    session = db(request)
    item = lifts.item(session, review_id)
    session.expunge_all()
    return render(request, "staff/credit_review.html", status=status, section="applications",
                  item=item, errors=errors or {}, refused=refused,
                  proof_ja=messages.PROOF_KINDS_JA, stop_ja=messages.CREDIT_REVIEW_REASONS_JA)


@pages.get("/reviews/{review_id}")
def request_page(request: Request, session: PageSession, review_id: str) -> Response:
    account = allowed(request, PERMISSION)
    target = _review_id(review_id)
    response = _request_page(request, target)
    audit(session, actor=acting(request, account, review_id=target),
          action="view_credit_review", now=wall_now(),
          member_id=lifts.item(session, target).member.id)
    session.commit()
    return response


@pages.post("/reviews/{review_id}/lift")
def lift(request: Request, session: PageSession, review_id: str) -> Response:
    account = allowed(request, PERMISSION)
    target = _review_id(review_id)
    try:
        lifts.lift(session, target, actor=acting(request, account),
                   now=get_clock().now(), wall=wall_now())
    except ShunfuriError as exc:
        session.rollback()  # refused: its transaction ends (nothing kept, no lock held)
        if exc.code != "lift_not_allowed":
            raise
        return _request_page(request, target, status=409, refused=exc.extra.get("reasons"))
    return RedirectResponse(f"{PREFIX}/applications?done=lifted", status_code=303)


@pages.post("/reviews/{review_id}/keep")
def keep(request: Request, session: PageSession, review_id: str,
         reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    account = allowed(request, PERMISSION)
    target = _review_id(review_id)
    try:
        lifts.keep(session, target, reason=reason, actor=acting(request, account),
                   now=get_clock().now(), wall=wall_now())
    except ShunfuriError as exc:
        session.rollback()  # refused: its transaction ends (nothing kept, no lock held)
        if exc.code != "validation_error":
            raise
        return _request_page(request, target, status=422, errors={"reason": REASON_JA})
    return RedirectResponse(f"{PREFIX}/applications?done=kept", status_code=303)
