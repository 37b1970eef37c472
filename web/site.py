"""The member site: its `Site` settings, navigation, templates and page rendering."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy.orm import Session

from shunfuri.db.models import Member
from shunfuri.services.credit_review import stops
from shunfuri.services.members import tokens
from shunfuri.settings import get_settings
from web import filters
from web.security import Redirect, Site, csrf_token, principal, route_class

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _load_member(session: Session, token: str, wall: datetime) -> Member:
    return tokens.member_for_web_session(
        session, token=token, now=wall, ttl_seconds=get_settings().token_ttl_seconds
    )


MEMBER_SITE = Site(
    name="member",
    cookie="shunfuri_session",
    anon_cookie="shunfuri_form",
    login_path="/login",
    load=_load_member,
)


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str
    section: str  # a page marks its section as current in the navigation


# The member site's menu; the layout wraps it on a phone, so it has room.
NAV: list[NavItem] = [
    NavItem("/", "トップ", "home"),
    NavItem("/transfer", "瞬フリ（お借入れ）", "transfer"),
    NavItem("/repay", "ご返済", "repay"),
    NavItem("/dues", "返済予定", "dues"),
    NavItem("/statement", "ご利用明細", "statement"),
    NavItem("/transfers", "お取引履歴", "history"),
    NavItem("/payees", "振込先口座", "payees"),
    NavItem("/settings/web-id", "Web-ID設定", "settings"),
    NavItem("/settings/mail", "メール設定", "mail"),
]


# While the ongoing review (途上与信) has stopped a member's new advances, their session is
# restricted to these pages: the suspended page, sending new income proof, repaying and
# what they need to repay (what is due, the statement). Decided per request from the
# member row, so a stop recorded (or lifted) mid-session applies at the next page.
STOPPED_NAV: list[NavItem] = [
    NavItem("/suspended", "ご利用停止のお知らせ", "suspended"),
    NavItem("/repay", "ご返済", "repay"),
    NavItem("/dues", "返済予定", "dues"),
    NavItem("/statement", "ご利用明細", "statement"),
]
_STOPPED_READS = frozenset({"/dues", "/statement", "/statement.csv"})


def stopped_may(method: str, path: str) -> bool:
    """Whether a member stopped by the review may open this page."""
    if path in ("/suspended", "/suspended/income", "/repay"):
        return True
    if path.startswith(("/repay/", "/repayments/")):
        return True
    return method == "GET" and path in _STOPPED_READS


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    filters.install(env)
    return env


def render(
    request: Request, template: str, *, status: int = 200, site: Site = MEMBER_SITE,
    **context: Any,
) -> HTMLResponse:
    member = getattr(request.state, "principal", None)
    page = environment().get_template(template).render(
        request=request,
        member=member,
        nav=[] if member is None else STOPPED_NAV if stops.is_stopped(member) else NAV,
        section=context.pop("section", ""),
        csrf_field="csrf_token",
        csrf_token=csrf_token(request, site),
        **context,
    )
    return HTMLResponse(page, status_code=status)


def render_error(request: Request, error: Any) -> Response:
    from web.errors import error_page

    return error_page(request, error)


def router() -> APIRouter:
    """A router for member pages: CSRF-checked, secured, errors as pages."""
    return APIRouter(route_class=route_class(MEMBER_SITE, render_error))


def current_member(request: Request) -> Member:
    """The signed-in member; a member stopped by the ongoing review is sent to the
    suspended page from any page they may not open (`stopped_may`)."""
    member = principal(request, MEMBER_SITE)
    if stops.is_stopped(member) and not stopped_may(request.method, request.url.path):
        raise Redirect("/suspended")
    return member


SignedIn = Annotated[Member, Depends(current_member)]
