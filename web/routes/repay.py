"""返済: choose the account to debit and an amount, see the split into interest and
principal and the full payoff before confirming, then follow the collection.

As 瞬フリ, each form carries an idempotency key made when it is shown, so a double click
or a reload can only ever give the one repayment of that form.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from shunfuri import catalogue
from shunfuri.clock import get_clock, wall_now
from shunfuri.domain.orders import RESTING
from shunfuri.domain.repayment import allocate
from shunfuri.errors import ShunfuriError
from shunfuri.services.members import payees
from shunfuri.services.repayments import accept as repayments
from shunfuri.services.repayments import dues
from web import live
from web.db import PageSession, db, released
from web.errors import error_page
from web.filters import repayment_label
from web.forms import field_errors, parse_amount, parse_id
from web.site import SignedIn, current_member, environment, render
from web.site import router as site_router

router = site_router()

Text = Annotated[str, Form(max_length=64)]
RepaymentId = Annotated[str, Path(min_length=1, max_length=64)]
KEY_PREFIX = "web-r-"
_ON_FORM = frozenset({"validation_error", "invalid_repayment_amount", "repayment_too_large",
                      "nothing_to_repay", "not_found", "payee_not_own_name"})
NOT_OWN_JA = "この口座はご本人名義ではないため、ご返済には使えません。ご本人名義の口座を選んでください。"


def _owed(session: Session, member_id: int) -> dues.Dues:
    return dues.dues(session, member_id, get_clock().now())


def _form(request: Request, member, *, status: int = 200, errors=None,
          typed=None, key: str | None = None) -> Response:
    session = db(request)
    mine = payees.list_payees(session, member_id=member.id)
    return render(
        request, "repay_form.html", status=status, section="repay", payees=mine,
        owed=_owed(session, member.id), errors=errors or {}, typed=typed or {},
        key=key or KEY_PREFIX + uuid.uuid4().hex,
    )


@router.get("/repay")
def repay_form(request: Request, member: SignedIn,
               amount: Annotated[str, Query(max_length=16)] = "") -> Response:
    return _form(request, member, typed={"amount": amount})


def _refused(request: Request, member, exc: ShunfuriError, typed: dict,
             key: str) -> Response:
    if exc.code not in _ON_FORM:
        return error_page(request, exc)
    errors = field_errors(exc)
    if exc.code == "not_found":
        errors = {"payee_id": "お引落とし口座を選んでください。"}
    elif exc.code == "payee_not_own_name":
        errors = {"payee_id": NOT_OWN_JA}
    elif exc.code == "validation_error" and not errors:
        errors["amount"] = "ご返済額を数字で入力してください。"
    elif exc.code != "validation_error":
        errors["amount"] = catalogue.words(exc)[1]
    return _form(request, member, status=catalogue.status(exc), errors=errors, typed=typed, key=key)


def _checked(session: Session, member, payee_raw: str, amount_raw: str):
    payee_id = parse_id(payee_raw, "payee_id")
    amount = parse_amount(amount_raw)
    # The service's own checks, as `accept` makes them.
    seen = repayments.review(session, member_id=member.id, payee_id=payee_id, amount=amount,
                             now=get_clock().now())
    return seen.payee, seen.amount, seen.owed


@router.post("/repay/review")
def repay_review(request: Request, session: PageSession,
                 member: SignedIn, payee_id: Text = "", amount: Text = "",
                 key: Text = "") -> Response:
    typed = {"payee_id": payee_id, "amount": amount}
    key = key if key.startswith(KEY_PREFIX) else KEY_PREFIX + uuid.uuid4().hex
    try:
        payee, yen, owed = _checked(session, member, payee_id, amount)
    except ShunfuriError as exc:
        session.rollback()  # refused: its transaction ends (nothing kept, no lock held)
        return _refused(request, member, exc, typed, key)
    split = allocate(yen, owed.interest_due, owed.principal)
    return render(request, "repay_review.html", section="repay", payee=payee, split=split,
                  owed=owed, key=key, now=get_clock().now())


@router.post("/repay/confirm")
def repay_confirm(request: Request, session: PageSession,
                  member: SignedIn, payee_id: Text = "", amount: Text = "",
                  key: Text = "") -> Response:
    typed = {"payee_id": payee_id, "amount": amount}
    if not key.startswith(KEY_PREFIX):
        return error_page(request, ShunfuriError("idempotency_key_reused"))
    try:
        accepted = repayments.accept(
            session, member_id=member.id, payee_id=parse_id(payee_id, "payee_id"),
            amount=parse_amount(amount), idempotency_key=key, now=get_clock().now(),
            wall=wall_now(),
        )
    except ShunfuriError as exc:
        session.rollback()  # refused: its transaction ends (nothing kept, no lock held)
        return _refused(request, member, exc, typed, key)
    return RedirectResponse(f"/repayments/{accepted.repayment['id']}", status_code=303)


def _repayment(session: Session, member_id: int, repayment_id: str) -> dict:
    with released(session):  # also the panel's long-poll read
        return repayments.get(session, member_id=member_id, repayment_id=repayment_id)


@router.get("/repayments/{repayment_id}")
def repayment_page(request: Request, session: PageSession,
                   member: SignedIn, repayment_id: RepaymentId) -> Response:
    r = _repayment(session, member.id, repayment_id)
    try:
        payee = payees.get_payee(session, member_id=member.id, payee_id=r["payee_id"])
    except ShunfuriError:
        payee = None
    return render(request, "repayment_status.html", section="repay", r=r, payee=payee,
                  following=r["status"] not in RESTING, label=repayment_label(r["status"]))


@router.get("/repayments/{repayment_id}/panel")
async def repayment_panel(request: Request, session: PageSession, repayment_id: RepaymentId,
                          wait: Annotated[float, Query(ge=0, le=30)] = 0) -> Response:
    """The status panel alone, held until the repayment changes or `wait` seconds pass."""
    from starlette.concurrency import run_in_threadpool

    member = await run_in_threadpool(current_member, request)
    r = await live.wait_for_change(
        repayment_id, lambda: _repayment(session, member.id, repayment_id), seconds=wait,
        settled=lambda view: view["status"] in RESTING,
    )
    html = environment().get_template("_repayment_panel.html").render(
        r=r, following=r["status"] not in RESTING, label=repayment_label(r["status"]),
    )
    return HTMLResponse(html)
