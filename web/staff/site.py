"""The staff console's `Site`: its own cookie and login under `/staff/`, the role check
every page makes, its navigation, and page rendering. Sessions, CSRF, headers and
error handling are `web.security`'s, exactly as for the member site; a member's
session cookie is another cookie and means nothing here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from shunfuri import catalogue
from shunfuri.clock import wall_now
from shunfuri.db.models import StaffAccount
from shunfuri.errors import ShunfuriError
from shunfuri.services.staff import accounts as staff
from shunfuri.services.staff.audit import Actor, audit
from shunfuri.settings import get_settings
from web.db import db
from web.security import (
    LoginRequired,
    Site,
    csrf_token,
    principal,
    production,
    route_class,
    session_token,
)
from web.site import environment

PREFIX = "/staff"
ROLES_JA = {"desk": "窓口", "operator": "オペレーター", "screener": "審査担当",
            "supervisor": "責任者"}
ACTIONS_JA = {
    "create_member": "会員登録", "view_member": "会員照会", "search_member": "会員検索", "reset_pin": "暗証番号の再設定",
    "suspend": "利用停止", "reinstate": "利用再開", "report_card_lost": "カード紛失・盗難の登録",
    "reissue_card": "カード再発行", "set_credit_limit": "限度額の変更",
    "set_web_id": "Web-ID設定（会員）", "staff_key_refused": "スタッフ用キーの拒否",
    "set_due_day": "返済日の変更", "set_rate": "年率の変更",
    "view_doubts": "要確認の一覧", "view_transfer": "振込の照会",
    "inquire_transfer": "銀行への照会", "resend_transfer": "銀行への照会と再送",
    "inquire_repayment": "銀行への照会（返済）", "resend_repayment": "銀行への照会と再送（返済）",
    "staff_login": "スタッフのログイン", "staff_totp_enrol": "確認コードの登録",
    "staff_create": "スタッフの登録", "staff_refused": "権限のない画面・操作",
    "staff_login_lockout": "ログインの一時停止（警告）",
    "staff_password_change": "パスワードの変更", "staff_disable": "スタッフの無効化",
    "staff_enable": "スタッフの再有効化", "staff_totp_reset": "確認コードのリセット",
    "set_name_kana": "お名前（カナ）の登録", "add_payee": "振込先口座の登録（会員）",
    "view_application": "お申し込みの照会（審査）", "screener_approve": "お申し込みの承認",
    "screener_decline": "お申し込みの否決", "view_credit_review": "途上与信の照会",
    "credit_review_suspend": "途上与信による利用停止", "credit_review_lift": "利用停止の解除（途上与信）",
    "credit_review_keep": "利用停止の継続（途上与信）", "send_income_proof": "収入証明書の提出（会員）",
}
# The staff console's own device cookie (OWASP's "device cookie"): which browsers have
# signed in as which staff member. Path /staff, never sent to the member site; the
# `__Secure-` prefix in production (`__Host-` would need Path=/).
DEVICE_COOKIE = "shunfuri_staff_device"
DEVICE_MAX_AGE = 180 * 24 * 3600


def action_ja(action: str) -> str:
    return ACTIONS_JA.get(action, action)


def _load(kinds: tuple[str, ...]):
    def load(session: Session, token: str, wall: datetime) -> StaffAccount:
        return staff.account_for_session(
            session, token=token, now=wall, ttl_seconds=get_settings().token_ttl_seconds,
            kinds=kinds)

    return load


STAFF_SITE = Site(name="staff", cookie="shunfuri_staff", anon_cookie="shunfuri_staff_form",
                  login_path=f"{PREFIX}/login", load=_load(("full",)))
# The same cookie after the password, before the first one-time code: the enrolment
# page only. Same `name`, so the CSRF tokens are the same.
ENROL_SITE = Site(name="staff", cookie="shunfuri_staff", anon_cookie="shunfuri_staff_form",
                  login_path=f"{PREFIX}/login", load=_load(("enrol",)))
# The password change page: a `password` session (a password a supervisor drew, to be
# changed before anything else) or a full one.
PASSWORD_SITE = Site(name="staff", cookie="shunfuri_staff", anon_cookie="shunfuri_staff_form",
                     login_path=f"{PREFIX}/login", load=_load(("password", "full")))


def device_cookie_name() -> str:
    return f"__Secure-{DEVICE_COOKIE}" if production() else DEVICE_COOKIE


def device_token(request: Request) -> str | None:
    token = request.cookies.get(device_cookie_name())
    return token if token and len(token) <= 128 else None


def set_device_cookie(response: Response, token: str | None) -> None:
    if token:
        response.set_cookie(device_cookie_name(), token, max_age=DEVICE_MAX_AGE,
                            path=PREFIX, httponly=True, samesite="strict",
                            secure=production())


def stage_of(request: Request) -> str | None:
    """The kind of the visitor's live staff session (`password`, `enrol`, `full`)."""
    token = session_token(request, STAFF_SITE)
    if token is None:
        return None
    session = db(request)
    return staff.session_kind(session, token=token, now=wall_now())


STAGE_PAGES = {"password": f"{PREFIX}/password", "enrol": f"{PREFIX}/enrol", "full": f"{PREFIX}/"}


def staged(request: Request, site: Site) -> StaffAccount | Response:
    """The account of a session `site` admits; a live session of another kind is sent to
    its own page instead of being logged out (a full one to the top)."""
    try:
        return principal(request, site)
    except LoginRequired:
        stage = stage_of(request)
        if stage is None:
            raise
        return RedirectResponse(STAGE_PAGES[stage], status_code=303)


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str
    section: str
    permission: str


NAV = [
    NavItem(f"{PREFIX}/", "トップ", "home", ""),
    NavItem(f"{PREFIX}/members", "会員検索", "members", "member.view"),
    NavItem(f"{PREFIX}/queue", "振込キュー", "queue", "queue.view"),
    NavItem(f"{PREFIX}/doubts", "要確認の振込", "doubts", "transfer.inquire"),
    NavItem(f"{PREFIX}/applications", "審査", "applications", "application.review"),
    NavItem(f"{PREFIX}/audit", "操作記録", "audit", "audit.view"),
    NavItem(f"{PREFIX}/accounts", "スタッフ管理", "accounts", "staff.manage"),
    NavItem(f"{PREFIX}/password", "パスワード変更", "password", ""),
]


def nav_for(account: StaffAccount | None) -> list[NavItem]:
    if account is None:
        return []
    return [i for i in NAV if not i.permission or staff.may(account.role, i.permission)]


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    account = getattr(request.state, "principal", None)
    if not isinstance(account, StaffAccount) or getattr(request.state, "enrolling", False):
        account = None  # not signed in, or only half (the enrolment page): no menu
    page = environment().get_template(template).render(
        request=request, staff=account, nav=nav_for(account),
        can=lambda permission: account is not None and staff.may(account.role, permission),
        roles_ja=ROLES_JA, action_ja=action_ja, section=context.pop("section", ""),
        csrf_field="csrf_token", csrf_token=csrf_token(request, STAFF_SITE), **context,
    )
    return HTMLResponse(page, status_code=status)


def render_error(request: Request, error: ShunfuriError, **context: Any) -> Response:
    from web.errors import detail_ja, title_ja

    return render(request, "staff/refusal.html", status=catalogue.status(error), code=error.code,
                  title=title_ja(error.code), detail=detail_ja(error), **context)


def router(site: Site = STAFF_SITE) -> APIRouter:
    return APIRouter(prefix=PREFIX, route_class=route_class(site, render_error))


def source(request: Request) -> str | None:
    return request.client.host if request.client else None


def signed_in(request: Request) -> StaffAccount:
    return principal(request, STAFF_SITE)


def allowed(request: Request, permission: str) -> StaffAccount:
    """The signed-in staff member, if their role has `permission`; otherwise the refusal
    is audited and the page says so (403)."""
    account = signed_in(request)
    if staff.may(account.role, permission):
        return account
    session = db(request)
    audit(session, actor=Actor(f"staff:{account.login_id}", source=source(request)),
          action="staff_refused", now=wall_now(), ok=False,
          detail={"role": account.role, "needs": permission,
                  "method": request.method, "path": request.url.path[:200]})
    session.commit()
    raise ShunfuriError("role_forbidden")


def acting(request: Request, account: StaffAccount, *, reason: str | None = None,
           **detail: object) -> Actor:
    return staff.actor(account, source(request), reason=reason, **detail)
