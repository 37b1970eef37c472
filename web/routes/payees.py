"""Payees: the list, and registering one with bank and branch pickers.

The pickers are plain GET forms (they work without JavaScript): search a bank by code,
name or kana, pick it, then the branch the same way, then type the account. Before
anything is stored, the member sees the account as it will be sent (the holder name in
the Zengin half-width katakana the bank receives) and registers it with the PIN typed
again (step-up: a session alone cannot add an account money may go to).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from shunfuri import catalogue
from shunfuri.clock import get_clock, wall_now
from shunfuri.domain.banks import (
    Bank,
    Branch,
    get_bank,
    get_branch,
    search_banks,
    search_branches,
)
from shunfuri.errors import ShunfuriError
from shunfuri.services.members import own_name, payees
from shunfuri.settings import get_settings
from web.db import PageSession
from web.errors import error_page
from web.forms import FIELD_HELP_JA, field_errors
from web.site import SignedIn, render
from web.site import router as site_router

router = site_router()

Text = Annotated[str, Form(max_length=128)]
Q = Annotated[str, Query(max_length=64)]


@router.get("/payees")
def payee_list(request: Request, session: PageSession,
               member: SignedIn, added: str = "") -> Response:
    mine = payees.list_payees(session, member_id=member.id)
    not_own = own_name.not_own_ids(session, member)
    notice = None
    if added:
        notice = "振込先口座を登録しました。登録のお知らせを、ご登録のメールアドレスにお送りしています。"
    return render(request, "payees.html", section="payees", payees=mine, notice=notice,
                  not_own=not_own)


def _chosen(bank: str, branch: str) -> tuple[Bank | None, Branch | None]:
    try:
        chosen_bank = get_bank(bank) if bank else None
        chosen_branch = get_branch(bank, branch) if chosen_bank and branch else None
    except ShunfuriError:
        return None, None
    return chosen_bank, chosen_branch


@router.get("/payees/new")
def payee_new(request: Request, member: SignedIn, bank_q: Q = "", bank: Q = "",
              branch_q: Q = "", branch: Q = "") -> Response:
    chosen_bank, chosen_branch = _chosen(bank, branch)
    banks = search_banks(bank_q) if bank_q and chosen_bank is None else []
    branches = []
    if chosen_bank is not None and chosen_branch is None and branch_q:
        branches = search_branches(chosen_bank.code, branch_q)
    return render(
        request, "payee_new.html", section="payees", bank_q=bank_q, branch_q=branch_q,
        banks=banks, branches=branches, bank=chosen_bank, branch=chosen_branch,
        errors={}, typed={}, checked=None,
    )


def _check(bank_code: str, branch_code: str, account_type: str, account_number: str,
           holder_name: str) -> payees.CheckedPayee:
    return payees.check_payee(
        bank_code=bank_code, branch_code=branch_code, account_type=account_type,
        account_number=account_number, holder_name=holder_name, every_field=True,
    )


def _form_again(request: Request, exc: ShunfuriError, bank_code: str, branch_code: str,
                typed: dict, errors: dict | None = None) -> Response:
    chosen_bank, chosen_branch = _chosen(bank_code, branch_code)
    return render(
        request, "payee_new.html", status=catalogue.status(exc), section="payees", bank_q="",
        branch_q="", banks=[], branches=[], bank=chosen_bank, branch=chosen_branch,
        errors=errors or field_errors(exc), typed=typed, checked=None,
    )


@router.post("/payees/preview")
def payee_preview(request: Request, member: SignedIn, bank_code: Text = "",
                  branch_code: Text = "", account_type: Text = "", account_number: Text = "",
                  holder_name: Text = "") -> Response:
    typed = {"account_type": account_type, "account_number": account_number,
             "holder_name": holder_name}
    try:
        checked = _check(bank_code, branch_code, account_type, account_number, holder_name)
    except ShunfuriError as exc:
        return _form_again(request, exc, bank_code, branch_code, typed)
    return render(request, "payee_confirm.html", section="payees", checked=checked,
                  typed=typed, errors={}, warning=None)


PIN_WRONG_JA = "暗証番号が正しくありません。"
PIN_WARNING_JA = "暗証番号を3回続けて間違えるとロックされ、自動契約機での再設定が必要になります。"
NOT_OWN_JA = ("ご本人名義の口座のみ登録できます。口座名義がご登録のお名前（カナ）と一致しません。"
              "通帳やキャッシュカードの名義をご確認ください。")


@router.post("/payees")
def payee_create(request: Request, session: PageSession, member: SignedIn, bank_code: Text = "",
                 branch_code: Text = "", account_type: Text = "", account_number: Text = "",
                 holder_name: Text = "", pin: Annotated[str, Form(max_length=32)] = "") -> Response:
    """Register the previewed account: the member types the PIN again here, so a session
    alone (a borrowed or stolen browser) cannot add an account."""
    typed = {"account_type": account_type, "account_number": account_number,
             "holder_name": holder_name}
    settings = get_settings()
    try:
        checked = _check(bank_code, branch_code, account_type, account_number, holder_name)
    except ShunfuriError as exc:
        return _form_again(request, exc, bank_code, branch_code, typed)
    try:
        payees.create_payee(
            session, member_id=member.id, pin=pin, bank_code=bank_code,
            branch_code=branch_code, account_type=account_type,
            account_number=account_number, holder_name=holder_name,
            now=get_clock().now(), wall=wall_now(),
            pepper=settings.pin_pepper.get_secret_value(),
        )
    except ShunfuriError as exc:
        session.rollback()  # refused: its transaction ends (nothing kept, no lock held)
        if exc.code == "account_locked":
            request.state.drop_session = True
            return error_page(request, exc, login_again=True)
        if exc.code == "payee_not_own_name":
            return _form_again(request, exc, bank_code, branch_code, typed,
                               errors={"holder_name": NOT_OWN_JA})
        if exc.code not in ("invalid_credentials", "validation_error"):
            raise
        wrong = exc.code == "invalid_credentials"
        return render(request, "payee_confirm.html", status=catalogue.status(exc), section="payees",
                      checked=checked, typed=typed,
                      errors={"pin": PIN_WRONG_JA if wrong else FIELD_HELP_JA["pin"]},
                      warning=PIN_WARNING_JA if wrong else None)
    return RedirectResponse("/payees?added=1", status_code=303)
