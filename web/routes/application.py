"""An application's own pages, opened by its follow-up token: the status page (followed
live), the 続きから form (the token typed on another device), and the income proof.

The token comes from the cookie `web.applicant` keeps for the application's path; a
browser without it gets the 続きから form. A wrong token, an unknown id and someone
else's id all answer the same way (`access.authorised`). The status page never shows
why an application was declined, nor anything the bureau said: only the fixed sentence
for each status (`messages.APPLICATION_STATUS_JA`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from shunfuri import messages
from shunfuri.clock import get_clock, wall_now
from shunfuri.domain import application_states as states
from shunfuri.domain.age import jst_day
from shunfuri.domain.instants import parse_instant
from shunfuri.errors import ShunfuriError
from shunfuri.services.applications import access, documents, throttle
from shunfuri.services.applications.views import man_yen, percent
from web import applicant, live
from web.apply_form import page_errors
from web.db import PageSession, db, released
from web.errors import error_page
from web.site import environment, render
from web.site import router as site_router

router = site_router()

ApplicationId = Annotated[str, Path(min_length=1, max_length=64)]
# Followed live while a decision can still come by itself; the others wait for the
# applicant (documents, the contract) or are final.
FOLLOWED = frozenset({states.RECEIVED, states.CHECKING, states.MANUAL_REVIEW})
# Without JavaScript the page reloads itself this often while followed (seconds).
REFRESH = {states.RECEIVED: 5, states.CHECKING: 5, states.MANUAL_REVIEW: 30}
LABELS = {  # status -> (badge, tone)
    states.RECEIVED: ("審査中", "wait"),
    states.CHECKING: ("審査中", "wait"),
    states.APPROVED: ("ご契約いただけます", "ok"),
    states.DOCUMENTS_NEEDED: ("収入証明書をお送りください", "info"),
    states.MANUAL_REVIEW: ("担当者が確認しています", "wait"),
    states.DECLINED: ("審査の結果", "stop"),
    states.EXPIRED: ("お手続きの期限切れ", "stop"),
    states.CONTRACTED: ("ご契約済み", "ok"),
}
WRONG_CODE_JA = ("受付番号または確認コードが正しくありません。お申し込みの直後に表示された"
                 "受付番号と確認コードを、もう一度ご確認ください。")


def read(session: Session, application_id: str, token: str) -> dict:
    with released(session):  # also the panel's long-poll read
        return access.read(session, application_id, token)


def until_ja(view: dict) -> str:
    """The last day an offer or a request for documents is open: `12月15日`."""
    if not view.get("expires_at"):
        return ""
    day = jst_day(parse_instant(view["expires_at"])) - timedelta(days=1)
    return f"{day.month}月{day.day}日"


def panel_context(view: dict) -> dict:
    offer = view.get("offer") or {}
    return {
        "app": view, "label": LABELS[view["status"]], "until": until_ja(view),
        "following": view["status"] in FOLLOWED,
        "limit": man_yen(offer["credit_limit"]) if offer else "",
        "rate": percent(offer.get("rate_bp")) if offer else "",
        "documents": [messages.PROOF_KINDS_JA[k] for k in view.get("documents", ())],
    }


def continue_page(request: Request, *, typed_id: str = "", error: str = "",
                  notice: str = "", status: int = 200) -> Response:
    return render(request, "application_continue.html", status=status, section="continue",
                  typed_id=typed_id, error=error, notice=notice)


@router.get("/apply/continue")
def continue_form(request: Request) -> Response:
    return continue_page(request)


@router.post("/apply/continue")
async def continue_with_code(request: Request, session: PageSession) -> Response:
    """The receipt number and the code typed on this device: the cookie, then the page."""
    posted = await request.form()
    await run_in_threadpool(throttle.check, applicant.address_of(request), throttle.PAGES)
    application_id = applicant.typed_id(str(posted.get("application_id") or ""))
    token = applicant.typed_token(str(posted.get("code") or ""))
    try:
        await run_in_threadpool(read, session, application_id, token)
    except ShunfuriError as refused:
        if refused.code != "not_found":
            raise
        return continue_page(request, typed_id=application_id, error=WRONG_CODE_JA,
                             status=404)
    response = RedirectResponse(applicant.path_of(application_id), status_code=303)
    applicant.keep(response, application_id, token, show=False)
    return response


def opened(request: Request, application_id: str) -> tuple[str, dict] | None:
    """This browser's token for the application and the application's view, or None."""
    token = applicant.token_of(request)
    if token is None:
        return None
    try:
        return token, read(db(request), application_id, token)
    except ShunfuriError as refused:
        if refused.code != "not_found":
            raise
        return None


def not_opened(request: Request, application_id: str) -> Response:
    return continue_page(
        request, typed_id=applicant.typed_id(application_id), status=200,
        notice="このブラウザでお申し込みの状況を見るには、受付番号と確認コードを入力してください。")


@router.get("/apply/{application_id}")
def status_page(request: Request, application_id: ApplicationId) -> Response:
    found = opened(request, application_id)
    if found is None:
        return not_opened(request, application_id)
    token, view = found
    show = applicant.to_show(request)
    context = panel_context(view)
    # The code on screen is not reloaded away before it is written down (without JS).
    refresh = REFRESH.get(view["status"]) if not show else None
    response = render(request, "application_status.html", section="apply", refresh=refresh,
                      code=applicant.grouped(token) if show else None, **context)
    if show:
        applicant.shown(response, application_id)
    return response


@router.get("/apply/{application_id}/panel")
async def status_panel(request: Request, session: PageSession, application_id: ApplicationId,
                       wait: Annotated[float, Query(ge=0, le=30)] = 0) -> Response:
    """The status panel alone, for the page's script: held until the application changes
    or `wait` seconds pass (woken by the workers' event, no polling)."""
    token = applicant.token_of(request)
    if token is None:
        raise ShunfuriError("not_found")
    view = await live.wait_for_change(
        application_id, lambda: read(session, application_id, token), seconds=wait,
        settled=lambda v: v["status"] not in FOLLOWED)
    html = environment().get_template("_application_panel.html").render(**panel_context(view))
    return HTMLResponse(html)


def _documents_page(request: Request, application_id: str, view: dict, *,
                    typed: dict | None = None, errors: dict | None = None,
                    status: int = 200) -> Response:
    kinds = [(k, messages.PROOF_KINDS_JA[k]) for k in view.get("documents", ())]
    return render(request, "application_documents.html", status=status, section="apply",
                  app=view, kinds=kinds, until=until_ja(view), typed=typed or {},
                  errors=errors or {})


@router.get("/apply/{application_id}/documents")
def documents_form(request: Request, application_id: ApplicationId) -> Response:
    found = opened(request, application_id)
    if found is None:
        return not_opened(request, application_id)
    view = found[1]
    if view["status"] != states.DOCUMENTS_NEEDED:
        return RedirectResponse(applicant.path_of(application_id), status_code=303)
    return _documents_page(request, application_id, view)


@router.post("/apply/{application_id}/documents")
async def send_documents(request: Request, session: PageSession,
                         application_id: ApplicationId) -> Response:
    posted = await request.form()
    await run_in_threadpool(throttle.check, applicant.address_of(request), throttle.PAGES)
    found = await run_in_threadpool(opened, request, application_id)
    if found is None:
        return not_opened(request, application_id)
    token, view = found
    typed = {"kind": str(posted.get("kind") or "")[:32],
             "annual_income": str(posted.get("annual_income") or "")[:32]}
    raw = {k: v or None for k, v in typed.items()}
    try:
        await run_in_threadpool(_send, session, application_id, token, raw)
    except ShunfuriError as refused:
        if refused.code != "validation_error":
            return error_page(request, refused,
                              back=(applicant.path_of(application_id), "お申し込みの状況へ"))
        return _documents_page(request, application_id, view, typed=typed,
                               errors=page_errors(refused, ("kind", "annual_income")),
                               status=422)
    return RedirectResponse(applicant.path_of(application_id), status_code=303)


def _send(session: Session, application_id: str, token: str, raw: dict) -> dict:
    with released(session):
        return documents.send_documents(session, application_id, token, raw,
                                        now=get_clock().now(), wall=wall_now())
