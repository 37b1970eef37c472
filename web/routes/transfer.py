"""瞬フリ: choose a payee and an amount, see when the money arrives, confirm.

Each form carries an idempotency key made when the form is shown, so a double click,
a reload or the back button can only ever give the one transfer of that form.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from shunfuri import catalogue, metrics
from shunfuri.clock import get_clock, wall_now
from shunfuri.errors import ShunfuriError
from shunfuri.services.members import payees
from shunfuri.services.members.accounts import available
from shunfuri.services.transfers import confirm
from shunfuri.services.transfers.admission import GATE
from shunfuri.settings import get_settings
from web.db import PageSession, db
from web.errors import error_page
from web.forms import field_errors, parse_amount, parse_id
from web.site import SignedIn, render
from web.site import router as site_router

router = site_router()

Text = Annotated[str, Form(max_length=64)]
KEY_PREFIX = "web-"
# Refusals shown on the form next to a field; the others are pages of their own.
_ON_FORM = {"validation_error": None, "invalid_amount": "amount",
            "insufficient_credit": "amount", "not_found": "payee_id",
            "payee_not_own_name": "payee_id"}


def amount_rule() -> dict[str, str]:
    """The amount rule in the member's words, from the settings the service enforces
    (`SHUNFURI_AMOUNT_MINIMUM`, `SHUNFURI_AMOUNT_STEP`), never a fixed 1,000円."""
    settings = get_settings()
    minimum, step = settings.amount_minimum, settings.amount_step
    example = -(-max(minimum, 30_000) // step) * step  # a valid amount near 30,000円
    return {
        "hint": f"{step:,}円単位で入力してください（例：{example} または {example:,}）。",
        "error": f"金額は{minimum:,}円以上、{step:,}円単位で入力してください。",
    }


def _form(request: Request, member, *, status: int = 200, errors=None,
          typed=None, key: str | None = None) -> Response:
    session = db(request)
    mine = payees.list_payees(session, member_id=member.id)
    return render(
        request, "transfer_form.html", status=status, section="transfer", payees=mine,
        available=available(member), errors=errors or {}, typed=typed or {},
        amount_hint=amount_rule()["hint"],
        key=key or KEY_PREFIX + uuid.uuid4().hex,
    )


@router.get("/transfer")
def transfer_form(request: Request, member: SignedIn, payee: str = "") -> Response:
    return _form(request, member, typed={"payee_id": payee})


def _refused(request: Request, member, exc: ShunfuriError, typed: dict,
             key: str) -> Response:
    if exc.code not in _ON_FORM:
        return error_page(request, exc)
    errors = field_errors(exc)
    field = _ON_FORM[exc.code]
    if exc.code == "insufficient_credit":
        errors["amount"] = (
            f"ご利用可能額（{exc.extra.get('available', 0):,}円）を超えています。"
            "金額を減らしてください。"
        )
    elif exc.code == "invalid_amount":
        errors["amount"] = amount_rule()["error"]
    elif exc.code == "payee_not_own_name":
        errors["payee_id"] = ("この口座はご本人名義ではないため、お振込みには使えません。"
                              "ご本人名義の口座を選んでください。")
    elif field:
        errors[field] = "振込先口座を選んでください。"
    return _form(request, member, status=catalogue.status(exc), errors=errors, typed=typed, key=key)


def _review_page(request: Request, review: confirm.Review, key: str, *,
                 changed: bool = False) -> Response:
    return render(
        request, "transfer_review.html", section="transfer", review=review, key=key,
        changed=changed, now=get_clock().now(),
    )


@router.post("/transfer/review")
def transfer_review(request: Request, session: PageSession, member: SignedIn, payee_id: Text = "",
                    amount: Text = "", key: Text = "") -> Response:
    typed = {"payee_id": payee_id, "amount": amount}
    key = key if key.startswith(KEY_PREFIX) else KEY_PREFIX + uuid.uuid4().hex
    try:
        chosen = parse_id(payee_id, "payee_id")
        yen = parse_amount(amount)
        review = confirm.review(session, member=member, payee_id=chosen, amount=yen,
                                now=get_clock().now())
    except ShunfuriError as exc:
        session.rollback()  # refused: its transaction ends (nothing kept, no lock held)
        return _refused(request, member, exc, typed, key)
    return _review_page(request, review, key)


@router.post("/transfer/confirm")
def transfer_confirm(request: Request, session: PageSession, member: SignedIn, payee_id: Text = "",
                     amount: Text = "", key: Text = "", shown: Text = "") -> Response:
    typed = {"payee_id": payee_id, "amount": amount}
    if not key.startswith(KEY_PREFIX):
        return error_page(request, ShunfuriError("idempotency_key_reused"))
    try:
        outcome = confirm.confirm(
            session, member=member, payee_id=parse_id(payee_id, "payee_id"),
            amount=parse_amount(amount), key=key, shown=shown, now=get_clock().now(),
            wall=wall_now(), admit=GATE.refusal,
        )
    except ShunfuriError as exc:
        session.rollback()  # refused: its transaction ends (nothing kept, no lock held)
        if exc.code == "overloaded":
            metrics.REFUSED_OVERLOADED.inc()
        return _refused(request, member, exc, typed, key)
    if isinstance(outcome, confirm.Changed):
        return _review_page(request, outcome.review, key, changed=True)
    return RedirectResponse(f"/transfers/{outcome.transfer['id']}", status_code=303)

