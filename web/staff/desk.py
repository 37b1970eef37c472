"""The desk: the console's top page, member search, a member's page, and the actions on
a member (PIN reset after an identity check, lost card, reissue, suspend, reinstate).
Each action calls the same service as the JSON API and is audited there."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from shunfuri.clock import wall_now
from shunfuri.domain.ids import MAX_ID
from shunfuri.errors import ShunfuriError
from shunfuri.services.members import accounts as members
from shunfuri.services.members import own_name
from shunfuri.services.staff import accounts as staff
from shunfuri.services.staff import audit as audit_service
from shunfuri.services.staff import desk
from shunfuri.services.staff.audit import audit
from shunfuri.settings import get_settings
from web.db import PageSession, db
from web.forms import parse_amount, parse_id
from web.staff.site import PREFIX, acting, allowed, render, router, signed_in

pages = router()

NOTICES = {
    "card_lost": "カードの紛失・盗難を登録しました。このカード番号ではログインできません。",
    "suspended": "ご利用を停止しました。この会員のログインとお振込みはできません。",
    "reinstated": "ご利用の停止を解除しました。",
    "limit": "ご利用限度額を変更しました。",
    "name_kana": "お名前（カナ）を登録しました。これからは、この名義の口座だけにお振込み・ご返済ができます。",
    "enrolled": "確認コードの登録が終わりました。次回からログインのたびに確認コードを入力してください。",
    "password": "パスワードを変更しました。ほかの端末やブラウザでのログインは終了しました。",
}
REASON_MAX = 500


@pages.get("/")
def home(request: Request, session: PageSession,
         enrolled: str = "", password: str = "") -> Response:
    account = signed_in(request)
    notice = NOTICES["enrolled"] if enrolled else NOTICES["password"] if password else None
    lockouts = None
    if staff.may(account.role, "audit.view"):
        lockouts = audit_service.count_since(session, action="staff_login_lockout",
                                             since=wall_now() - timedelta(hours=24))
    return render(request, "staff/home.html", section="home", account=account,
                  notice=notice, lockouts=lockouts)


@pages.get("/members")
def search_page(request: Request) -> Response:
    allowed(request, "member.view")
    return render(request, "staff/search.html", section="members", q="", found=None)


@pages.post("/members")
def search(request: Request, session: PageSession,
           q: Annotated[str, Form(max_length=400)] = "") -> Response:
    """Posted, never a query string: what is searched for may be a card number, and a
    URL ends up in access logs, proxies and the browser's history."""
    account = allowed(request, "member.view")
    found = None
    if q.strip():
        found = desk.find(session, q[:100])
        # What was searched for may be a card number: the row says only how it was read.
        audit(session, actor=acting(request, account), action="search_member",
              now=wall_now(), ok=True,
              member_id=found.members[0].id if len(found.members) == 1 else None,
              detail={"searched_as": found.searched_as, "found": len(found.members)})
        session.commit()
        if len(found.members) == 1:
            return RedirectResponse(f"{PREFIX}/members/{found.members[0].id}",
                                    status_code=303)
    # The box is left empty: the number is not sent back to sit in the page.
    return render(request, "staff/search.html", section="members", q="", found=found)


def _member_id(raw: str) -> int:
    member_id = parse_id(raw, "member_id")
    if member_id > MAX_ID:
        raise ShunfuriError("not_found")
    return member_id


def _member_page(request: Request, member_id: int, *, status: int = 200, **extra: object
                 ) -> Response:
    account = allowed(request, "member.view")
    session = db(request)
    seen = desk.overview(session, member_id,
                         pepper=get_settings().pin_pepper.get_secret_value())
    payee_banks = desk.payee_names(session, {t.payee_id for t in seen.transfers})
    return render(request, "staff/member.html", status=status, section="members", view=seen,
                  payee_banks=payee_banks, documents=desk.ID_DOCUMENTS, account=account,
                  **{"notice": None, "new_pin": None, "new_card": None, "errors": {},
                     "typed_name": "", **extra})


@pages.get("/members/{member_id}")
def member_page(request: Request, session: PageSession, member_id: str, done: str = "") -> Response:
    target = _member_id(member_id)
    account = allowed(request, "member.view")
    members.get_member(session, target)  # not_found before anything is recorded
    audit(session, actor=acting(request, account), action="view_member",
          now=wall_now(), member_id=target)
    session.commit()
    return _member_page(request, target, notice=NOTICES.get(done))


@pages.post("/members/{member_id}/reset-pin")
def reset_pin(request: Request, session: PageSession, member_id: str,
              document: Annotated[str, Form(max_length=64)] = "",
              checked: Annotated[str, Form(max_length=8)] = "") -> Response:
    account = allowed(request, "member.reset_pin")
    target = _member_id(member_id)
    errors = {}
    if document not in desk.ID_DOCUMENTS:
        errors["document"] = "確認した本人確認書類を選んでください。"
    if checked != "yes":
        errors["checked"] = "書類の顔写真・氏名・生年月日をご本人と照合してから、チェックを入れてください。"
    if errors:
        return _member_page(request, target, status=422, errors=errors)
    settings = get_settings()
    pin = desk.reset_pin(session, target, document=document, now=wall_now(),
                         pepper=settings.pin_pepper.get_secret_value(),
                         by=acting(request, account))
    # Shown on this response only (no redirect, no-store): reloading does not show it again.
    return _member_page(request, target, new_pin=pin,
                        notice="暗証番号を再設定し、ログインのロックを解除しました。")


@pages.post("/members/{member_id}/card-lost")
def card_lost(request: Request, session: PageSession, member_id: str) -> Response:
    account = allowed(request, "member.card")
    target = _member_id(member_id)
    members.report_card_lost(session, target, now=wall_now(),
                             actor=acting(request, account))
    return RedirectResponse(f"{PREFIX}/members/{target}?done=card_lost", status_code=303)


@pages.post("/members/{member_id}/reissue-card")
def reissue_card(request: Request, session: PageSession, member_id: str) -> Response:
    account = allowed(request, "member.card")
    target = _member_id(member_id)
    card = members.reissue_card(session, target, now=wall_now(),
                                actor=acting(request, account))
    return _member_page(request, target, new_card=card.card_number,
                        notice="新しいカードを発行しました。古いカード番号は使えなくなりました。")


def _reason(raw: str) -> str:
    reason = " ".join((raw or "").split())
    if not reason:
        raise ShunfuriError("validation_error",
                            errors=[{"field": "reason", "message": "a reason is required"}])
    return reason[:REASON_MAX]


@pages.post("/members/{member_id}/suspend")
def suspend(request: Request, member_id: str,
            reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    return _suspension(request, member_id, reason, suspend=True)


@pages.post("/members/{member_id}/reinstate")
def reinstate(request: Request, member_id: str,
              reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    return _suspension(request, member_id, reason, suspend=False)


def _suspension(request: Request, member_id: str, reason: str, *, suspend: bool) -> Response:
    account = allowed(request, "member.suspend")
    target = _member_id(member_id)
    try:
        clean = _reason(reason)
    except ShunfuriError:
        field = "suspend_reason" if suspend else "reinstate_reason"
        return _member_page(request, target, status=422,
                            errors={field: "理由を入力してください（記録に残ります）。"})
    who = acting(request, account, reason=clean)
    session = db(request)
    if suspend:
        members.suspend(session, target, now=wall_now(), actor=who)
    else:
        members.reinstate(session, target, now=wall_now(),
                          pepper=get_settings().pin_pepper.get_secret_value(), actor=who)
    done = "suspended" if suspend else "reinstated"
    return RedirectResponse(f"{PREFIX}/members/{target}?done={done}", status_code=303)


@pages.post("/members/{member_id}/credit-limit")
def credit_limit(request: Request, session: PageSession, member_id: str,
                 limit: Annotated[str, Form(max_length=32)] = "",
                 reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    account = allowed(request, "member.limit")
    target = _member_id(member_id)
    try:
        amount = parse_amount(limit)
        clean = _reason(reason)
        members.set_credit_limit(session, target, credit_limit=amount,
                                 now=wall_now(),
                                 actor=acting(request, account, reason=clean))
    except ShunfuriError as exc:
        session.rollback()  # refused: its transaction ends (nothing kept, no lock held)
        if exc.code != "validation_error":
            raise
        fields = {item.get("field") for item in exc.extra.get("errors") or []}
        message = ("理由を入力してください（記録に残ります）。" if fields == {"reason"}
                   else "限度額は0〜5,000,000円で、ご利用残高と振込手続き中の金額の合計以上にしてください。")
        return _member_page(request, target, status=422, errors={"limit": message})
    return RedirectResponse(f"{PREFIX}/members/{target}?done=limit", status_code=303)


NAME_KANA_JA = ("お名前（カナ）は、カタカナ・ひらがな・半角カナで、銀行の口座名義として使える文字"
                "（半角にして30文字まで）で入力してください。")


@pages.post("/members/{member_id}/name-kana")
def name_kana(request: Request, session: PageSession, member_id: str,
              name: Annotated[str, Form(max_length=128)] = "",
              document: Annotated[str, Form(max_length=64)] = "") -> Response:
    """The desk records (or corrects) the member's name in kana from an identity
    document: from then on money goes only to and from accounts in that name."""
    account = allowed(request, "member.name")
    target = _member_id(member_id)
    errors = {}
    if document not in desk.ID_DOCUMENTS:
        errors["name_document"] = "お名前を確認した本人確認書類を選んでください。"
    if not name.strip():
        errors["name_kana"] = NAME_KANA_JA
    if errors:
        return _member_page(request, target, status=422, errors=errors, typed_name=name)
    try:
        own_name.record_name_kana(session, target, name_kana=name, now=wall_now(),
                                  actor=acting(request, account, id_document=document))
    except ShunfuriError as exc:
        session.rollback()  # refused: its transaction ends (nothing kept, no lock held)
        if exc.code != "validation_error":
            raise
        return _member_page(request, target, status=422, errors={"name_kana": NAME_KANA_JA},
                            typed_name=name)
    return RedirectResponse(f"{PREFIX}/members/{target}?done=name_kana", status_code=303)
