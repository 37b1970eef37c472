"""The staff console's `Site`: its own cookie and login under `/staff/`, the role check
every page makes, its navigation, and page rendering. Sessions, CSRF, headers and
error handling are `web.security`'s, exactly as for the member site; a member's
session cookie is another cookie and means nothing here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from shunfuri.clock import wall_now
from shunfuri.db.models import StaffAccount
from shunfuri.db.session import session_factory
from shunfuri.errors import ShunfuriError
from shunfuri.services.staff import accounts as staff
from shunfuri.services.staff.audit import Actor, audit
from shunfuri.settings import get_settings
from web.security import Site, csrf_token, principal, route_class
from web.site import environment

PREFIX = "/staff"
ROLES_JA = {"desk": "窓口", "operator": "オペレーター", "supervisor": "責任者"}
ACTIONS_JA = {
    "create_member": "会員登録", "view_member": "会員照会", "search_member": "会員検索", "reset_pin": "暗証番号の再設定",
    "suspend": "利用停止", "reinstate": "利用再開", "report_card_lost": "カード紛失・盗難の登録",
    "reissue_card": "カード再発行", "set_credit_limit": "限度額の変更",
    "set_web_id": "Web-ID設定（会員）", "staff_key_refused": "スタッフ用キーの拒否",
    "view_doubts": "要確認の一覧", "view_transfer": "振込の照会",
    "inquire_transfer": "銀行への照会", "resend_transfer": "銀行への照会と再送",
    "staff_login": "スタッフのログイン", "staff_totp_enrol": "確認コードの登録",
    "staff_create": "スタッフの登録", "staff_refused": "権限のない画面・操作",
}


def action_ja(action: str) -> str:
    return ACTIONS_JA.get(action, action)


def _load(kinds: tuple[str, ...]):  # type: ignore[no-untyped-def]
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
    NavItem(f"{PREFIX}/audit", "操作記録", "audit", "audit.view"),
    NavItem(f"{PREFIX}/accounts", "スタッフ管理", "accounts", "staff.manage"),
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

    return render(request, "staff/refusal.html", status=error.status, code=error.code,
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
    with session_factory()() as session:
        audit(session, actor=Actor(f"staff:{account.login_id}", source=source(request)),
              action="staff_refused", now=wall_now(), ok=False,
              detail={"role": account.role, "needs": permission,
                      "method": request.method, "path": request.url.path[:200]})
        session.commit()
    raise ShunfuriError("role_forbidden")


def acting(request: Request, account: StaffAccount, *, reason: str | None = None,
           **detail: object) -> Actor:
    return staff.actor(account, source(request), reason=reason, **detail)
