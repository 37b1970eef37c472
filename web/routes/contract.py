"""The contract, from the applicant's pages: the pre-contract document (契約締結前書面),
the acceptance form, and the new card number, shown once.

The document's figures come from `contract.terms` (`domain.contract_terms`), the same
source as the contract document mailed afterwards. The acceptance goes through
`contract.contract`, the API's own path: a PIN guessable from the application is refused
with the rule that refused it, next to the field.

The card number is shown in the answer to the acceptance itself, never behind a
redirect or a link: the page is `no-store`, so the browser cannot show it again, and
sending the form again answers `already_contracted`, which never carries the number.
The contract document mailed to the applicant masks it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from shunfuri import catalogue
from shunfuri.clock import get_clock, wall_now
from shunfuri.domain import due_dates
from shunfuri.domain.contract_terms import due_day_ja, percent_ja
from shunfuri.domain.normalise import normalise_password, normalise_pin, normalise_web_id
from shunfuri.errors import ShunfuriError
from shunfuri.services.applications import contract, throttle
from shunfuri.settings import get_settings
from web import applicant
from web.db import PageSession, db, released
from web.errors import error_page
from web.forms import FIELD_HELP_JA
from web.routes.application import not_opened
from web.site import render
from web.site import router as site_router

router = site_router()

ApplicationId = Annotated[str, Path(min_length=1, max_length=64)]
DUE_DAYS = tuple((day, due_day_ja(day)) for day in due_dates.DUE_DAYS)
ERRORS_JA = {
    "agree": "契約締結前書面の内容をご確認のうえ、同意いただける場合はチェックを入れてください。",
    "e_delivery": "ご契約の書面はメールでお送りします。電子交付にご同意いただける場合は、"
                  "チェックを入れてください。",
    "pin": "暗証番号は4桁の数字で入力してください。",
    "pin_again": "確認のため、同じ暗証番号をもう一度入力してください。",
    "due_day": "ご返済日を選んでください。",
    "web_id": FIELD_HELP_JA["web_id"],
    "password": FIELD_HELP_JA["new_password"],
    "password_again": FIELD_HELP_JA["password_again"],
    "web_id_pair": "Web-IDを登録する場合は、Web-IDとパスワードの両方を入力してください。",
}


def _terms(session: Session, application_id: str, token: str) -> contract.OpenOffer:
    with released(session):
        return contract.terms(session, application_id, token, now=get_clock().now(),
                              wall=wall_now())


def _refused(request: Request, application_id: str, refused: ShunfuriError) -> Response:
    if refused.code == "already_contracted":
        return error_page(request, refused, back=("/login", "ログインする"))
    if refused.code == "not_found":
        return not_opened(request, application_id)
    return error_page(request, refused,
                      back=(applicant.path_of(application_id), "お申し込みの状況へ"))


def _offer_page(request: Request, application_id: str, template: str, *,
                status: int = 200, **context: Any) -> Response:
    token = applicant.token_of(request)
    if token is None:
        return not_opened(request, application_id)
    try:
        offer = _terms(db(request), application_id, token)
    except ShunfuriError as refused:
        return _refused(request, application_id, refused)
    terms = offer.terms
    return render(request, template, status=status, section="apply", app=offer.application,
                  terms=terms, rate=percent_ja(terms.rate_bp),
                  late_charge=percent_ja(terms.late_charge_bp), due_days=DUE_DAYS, **context)


@router.get("/apply/{application_id}/contract")
def terms_page(request: Request, application_id: ApplicationId) -> Response:
    """契約締結前書面: everything the contract will state, before any acceptance."""
    return _offer_page(request, application_id, "contract_terms.html")


@router.get("/apply/{application_id}/contract/accept")
def accept_form(request: Request, application_id: ApplicationId) -> Response:
    return _offer_page(request, application_id, "contract_form.html", errors={}, typed={})


def page_checks(typed: dict[str, str], secrets: dict[str, str]) -> dict[str, str]:
    """What the page can refuse by itself, every field at once (the service then checks
    the PIN against the application and the Web-ID against the members)."""
    errors: dict[str, str] = {}
    for box in ("agree", "e_delivery"):
        if typed.get(box) != "yes":
            errors[box] = ERRORS_JA[box]
    pin = _valid(normalise_pin, secrets["pin"])
    if pin is None:
        errors["pin"] = ERRORS_JA["pin"]
    elif _valid(normalise_pin, secrets["pin_again"]) != pin:
        errors["pin_again"] = ERRORS_JA["pin_again"]
    if typed.get("due_day") not in {str(day) for day, _ in DUE_DAYS}:
        errors["due_day"] = ERRORS_JA["due_day"]
    web_id, password = typed.get("web_id", "").strip(), secrets["password"]
    if web_id or password:
        if _valid(normalise_web_id, web_id) is None:
            errors["web_id"] = ERRORS_JA["web_id"] if web_id else ERRORS_JA["web_id_pair"]
        if _valid(lambda p: normalise_password(p, new=True), password) is None:
            errors["password"] = ERRORS_JA["password"] if password else ERRORS_JA["web_id_pair"]
        elif secrets["password_again"] != password:
            errors["password_again"] = ERRORS_JA["password_again"]
    return errors


def _valid(read, raw: str):
    try:
        return read(raw)
    except ShunfuriError:
        return None


@router.post("/apply/{application_id}/contract")
async def accept(request: Request, session: PageSession, application_id: ApplicationId) -> Response:
    posted = await request.form()
    await run_in_threadpool(throttle.check, applicant.address_of(request), throttle.PAGES)
    typed = {k: str(posted.get(k) or "")[:128]
             for k in ("agree", "e_delivery", "due_day", "web_id")}
    secrets = {k: str(posted.get(k) or "")[:256]
               for k in ("pin", "pin_again", "password", "password_again")}
    token = applicant.token_of(request)
    if token is None:
        return not_opened(request, application_id)
    errors = page_checks(typed, secrets)
    if not errors:
        try:
            made = await run_in_threadpool(_contract, session, application_id, token, typed,
                                           secrets)
        except ShunfuriError as refused:
            errors = _on_form(refused)
            if not errors:
                return _refused(request, application_id, refused)
        else:
            return render(request, "contract_done.html", section="apply",
                          card=_grouped_card(made.card_number), card_number=made.card_number)
    return _offer_page(request, application_id, "contract_form.html", status=422,
                       errors=errors, typed=typed)


def _on_form(refused: ShunfuriError) -> dict[str, str]:
    """A service refusal said next to its field, or {} for one that is a page of its own."""
    if refused.code == "guessable_pin":
        return {"pin": catalogue.words(refused)[1]}
    if refused.code == "web_id_taken":
        return {"web_id": "このWeb-IDはほかの方が使用しています。別のWeb-IDを指定してください。"}
    if refused.code == "validation_error":
        fields = {item.get("field") for item in refused.extra.get("errors") or []}
        return {f: ERRORS_JA[f] for f in fields if f in ERRORS_JA} or {
            "pin": "入力内容をご確認ください。"}
    return {}


def _contract(session: Session, application_id: str, token: str, typed: dict[str, str],
              secrets: dict[str, str]) -> contract.Contracted:
    web_id = typed["web_id"].strip() or None
    with released(session):
        return contract.contract(
            session, application_id, token, agree=True, pin=secrets["pin"],
            due_day=int(typed["due_day"]), web_id=web_id,
            password=secrets["password"] if web_id else None, now=get_clock().now(),
            wall=wall_now(), pepper=get_settings().pin_pepper.get_secret_value())


def _grouped_card(card_number: str) -> str:
    return " ".join(card_number[i:i + 4] for i in range(0, len(card_number), 4))
