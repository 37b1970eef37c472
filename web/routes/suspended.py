"""The suspended page (ご利用停止のお知らせ) and new income proof, for a member whose new
advances the ongoing review (途上与信) has stopped.

The article: a stopped member is told that use is stopped and whom to call, and never
why (the lender's line does not say either), and gets back to borrowing only by repaying
steadily. So this page says what is stopped, what still works (repaying), how to reach
us, and that new income proof can be sent for a fresh review - never the bureau's
answer or which rule failed. Any other page sends a stopped member here
(`web.site.current_member`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from shunfuri import messages
from shunfuri.clock import get_clock, wall_now
from shunfuri.errors import ShunfuriError
from shunfuri.services.credit_review import proofs, stops
from shunfuri.services.repayments import dues
from shunfuri.settings import get_settings
from web.db import PageSession, db
from web.site import SignedIn, render
from web.site import router as site_router

router = site_router()

Text = Annotated[str, Form(max_length=64)]


def _page(request: Request, member, *, sent: bool = False):
    settings = get_settings()
    session = db(request)
    stop = stops.stop_of(session, member)
    owed = dues.dues(session, member.id, get_clock().now())
    return render(request, "suspended.html", section="suspended", owed=owed, sent=sent,
                  pending=stop.pending if stop else None, phone=settings.contact_phone,
                  hours=settings.contact_hours)


@router.get("/suspended")
def suspended_page(request: Request, member: SignedIn, sent: str = "") -> Response:
    if not stops.is_stopped(member):
        return RedirectResponse("/", status_code=303)
    return _page(request, member, sent=bool(sent))


def _form(request: Request, *, status: int = 200, errors: dict | None = None,
          typed: dict | None = None) -> Response:
    return render(request, "income_proof.html", status=status, section="suspended",
                  kinds=messages.PROOF_KINDS_JA, errors=errors or {}, typed=typed or {})


@router.get("/suspended/income")
def proof_form(request: Request, member: SignedIn) -> Response:
    if not stops.is_stopped(member):
        return RedirectResponse("/", status_code=303)
    return _form(request)


@router.post("/suspended/income")
def send_proof(request: Request, session: PageSession, member: SignedIn, kind: Text = "",
               annual_income: Text = "") -> Response:
    if not stops.is_stopped(member):
        return RedirectResponse("/", status_code=303)
    raw = {"kind": kind or None, "annual_income": annual_income or None}
    try:
        proofs.send_proof(session, member.id, raw, now=get_clock().now(), wall=wall_now(),
                          source=request.client.host if request.client else None)
    except ShunfuriError as exc:
        session.rollback()  # refused: its transaction ends (nothing kept, no lock held)
        if exc.code != "validation_error":
            raise
        errors = {e["field"]: e.get("message_ja", "") for e in exc.extra.get("errors") or []}
        return _form(request, status=422, errors=errors, typed={"kind": kind})
    return RedirectResponse("/suspended?sent=1", status_code=303)
