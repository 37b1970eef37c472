"""What every site of the project shares: the session cookie, CSRF tokens, security
headers and error pages, parametrised by a `Site` (the member site, and the staff
console under /staff/ with its own cookie, login page and session loader).

**Sessions** are server-side: the cookie holds a random token whose SHA-256 is a row
in the database (`auth_sessions`, the same table as the API's tokens), so logging out,
suspension, a lock or a lost-card report end a web session exactly as they end a token.
The cookie is `HttpOnly`, `SameSite=Lax`, and `Secure` with the `__Host-` name prefix in
production. The member site also keeps a *device cookie* (OWASP's), with the same
attributes and a long life, that marks the browser as one the member has logged in from.

**CSRF**: a synchroniser token, HMAC-SHA256 of the session cookie (or, before login,
of a random anonymous cookie) under a key derived from the server's pepper. Every
unsafe request of a site's routes is checked before its endpoint runs (the route
class adds the check, so no form can forget it). Why not a library: starlette-csrf
reads the token only from a header (forms without JavaScript cannot send one);
asgi-csrf and fastapi-csrf-protect are double-submit cookies that are not bound to
the server-side session. Binding the token to the session is OWASP's first choice and
takes a dozen lines here.

**Headers**: a Content-Security-Policy with no inline scripts or styles and
`frame-ancestors 'none'`, `Cache-Control: no-store`, nosniff, a same-origin referrer.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from shunfuri.clock import wall_now
from shunfuri.errors import ShunfuriError
from shunfuri.settings import get_settings
from web.db import db, page_session, releasing

log = logging.getLogger("shunfuri.web")

CSRF_FIELD = "csrf_token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)


@dataclass(frozen=True)
class Site:
    """One site's security settings.

    `load(session, token, wall)` returns the principal behind a session token or raises
    a `ShunfuriError` (`not_authenticated` / `token_expired` send the visitor to
    `login_path`; any other code is shown as a refusal page).
    """

    name: str
    cookie: str
    anon_cookie: str
    login_path: str
    load: Callable[[Session, str, datetime], Any]

    def cookie_name(self, anonymous: bool = False) -> str:
        name = self.anon_cookie if anonymous else self.cookie
        # `__Host-` cookies must be Secure, host-only and Path=/: no subdomain can set them.
        return f"__Host-{name}" if production() else name


def production() -> bool:
    return get_settings().env == "production"


class Redirect(Exception):  # a signal, not an error
    """The page is not for this visitor now; they go to `location` (303) instead."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


class LoginRequired(Exception):  # a signal to redirect, not an error
    """The page needs a live session; the visitor goes to the login page."""

    def __init__(self, expired: bool = False) -> None:
        super().__init__("login required")
        self.expired = expired


# --- the session cookie ------------------------------------------------------------------


def session_token(request: Request, site: Site) -> str | None:
    token = request.cookies.get(site.cookie_name())
    return token if token and len(token) <= 128 else None


def set_session_cookie(response: Response, site: Site, token: str) -> None:
    response.set_cookie(
        site.cookie_name(), token, httponly=True, samesite="lax", secure=production(), path="/"
    )
    response.delete_cookie(site.cookie_name(anonymous=True), path="/")


def clear_session_cookie(response: Response, site: Site) -> None:
    response.delete_cookie(
        site.cookie_name(), path="/", httponly=True, samesite="lax", secure=production()
    )


# --- the device cookie (the member site's: `shunfuri.services.members.devices`) ------------------

DEVICE_COOKIE = "shunfuri_device"


def device_cookie_name() -> str:
    return f"__Host-{DEVICE_COOKIE}" if production() else DEVICE_COOKIE


def device_token(request: Request) -> str | None:
    token = request.cookies.get(device_cookie_name())
    return token if token and len(token) <= 128 else None


def set_device_cookie(response: Response, token: str, max_age: int) -> None:
    """Long-lived and apart from the session cookie: logging out keeps this browser
    known, so a stranger's failures never lock it out."""
    response.set_cookie(device_cookie_name(), token, max_age=max_age, httponly=True,
                        samesite="lax", secure=production(), path="/")


def principal(request: Request, site: Site) -> Any:
    """The signed-in principal of this request (cached on it), or `LoginRequired`."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    token = session_token(request, site)
    if token is None:
        raise LoginRequired()
    session = db(request)
    try:
        found = site.load(session, token, wall_now())
        session.expunge(found)
    except ShunfuriError as exc:
        if exc.code in ("not_authenticated", "token_expired"):
            raise LoginRequired(expired=True) from None
        request.state.drop_session = True
        raise
    finally:
        # Detached, and the connection given back: the member site loads the principal in
        # a dependency, a thread-pool hop before the endpoint (`web.db`'s note). Pages load
        # it before they read or write anything, so nothing of theirs is rolled back.
        session.rollback()
    request.state.principal = found
    return found


# --- CSRF ----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _csrf_key(pepper: str) -> bytes:
    return hmac.new(pepper.encode(), b"shunfuri web csrf v1", hashlib.sha256).digest()


def _binding(request: Request, site: Site) -> str | None:
    return (
        session_token(request, site)
        or request.cookies.get(site.cookie_name(anonymous=True))
        or getattr(request.state, "new_anon", None)
    )


def csrf_token(request: Request, site: Site) -> str:
    """The token forms of this page carry (bound to this visitor's cookie)."""
    binding = _binding(request, site)
    if binding is None:  # a page rendered outside a site route: give it a cookie now
        binding = request.state.new_anon = secrets.token_urlsafe(24)
    key = _csrf_key(get_settings().pin_pepper.get_secret_value())
    return hmac.new(key, f"{site.name}|{binding}".encode(), hashlib.sha256).hexdigest()


def _csrf_dependency(site: Site) -> Callable[[Request], Coroutine[Any, Any, None]]:
    async def check(request: Request) -> None:
        if request.method not in UNSAFE:
            return
        sent = ""
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else ""
        if _binding(request, site) is None or not hmac.compare_digest(
            sent.encode(), csrf_token(request, site).encode()
        ):
            raise ShunfuriError("csrf_failed")

    return check


# --- the route class: CSRF, headers, HTML errors -----------------------------------------


def route_class(site: Site, render_error: Callable[..., Response]) -> type[APIRoute]:
    """An `APIRoute` for `site`'s routers: checks CSRF on unsafe methods, sets the
    security headers and answers refusals with pages instead of problem JSON."""

    class SiteRoute(APIRoute):
        def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
            methods = {m.upper() for m in (kwargs.get("methods") or ())}
            deps = [Depends(page_session), *(kwargs.get("dependencies") or [])]
            if methods & UNSAFE:
                deps = [Depends(_csrf_dependency(site)), *deps]
            kwargs["dependencies"] = deps
            kwargs["include_in_schema"] = False  # pages are not part of the JSON API
            super().__init__(path, releasing(endpoint), **kwargs)

        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            original = super().get_route_handler()

            async def handler(request: Request) -> Response:
                if _binding(request, site) is None:
                    request.state.new_anon = secrets.token_urlsafe(24)
                try:
                    response = await original(request)
                except LoginRequired as exc:
                    response = login_redirect(request, site, expired=exc.expired)
                except Redirect as exc:
                    response = RedirectResponse(exc.location, status_code=303)
                except ShunfuriError as exc:
                    response = render_error(request, exc)
                except RequestValidationError:
                    response = render_error(request, ShunfuriError("validation_error"))
                except Exception:
                    # The database being down, a bug: a page that says so, never a trace.
                    log.exception("page %s failed", request.url.path)
                    response = render_error(request, ShunfuriError("internal_error"))
                if getattr(request.state, "drop_session", False):
                    clear_session_cookie(response, site)
                new_anon = getattr(request.state, "new_anon", None)
                if new_anon and not session_token(request, site):
                    response.set_cookie(
                        site.cookie_name(anonymous=True), new_anon, httponly=True,
                        samesite="lax", secure=production(), path="/",
                    )
                secure_headers(response)
                return response

            return handler

    return SiteRoute


def login_redirect(request: Request, site: Site, *, expired: bool) -> Response:
    target = request.url.path
    if request.url.query and request.method == "GET":
        target += "?" + request.url.query
    query = f"?next={quote(target, safe='')}" if request.method == "GET" and target != "/" else ""
    if expired:
        query += ("&" if query else "?") + "expired=1"
    response = RedirectResponse(site.login_path + query, status_code=303)
    if expired:
        clear_session_cookie(response, site)
    return response


def safe_next(value: str | None, default: str = "/") -> str:
    """Only a path on this site: never `//host` or a scheme (an open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


def secure_headers(response: Response) -> None:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["Cache-Control"] = "no-store"
    if production():
        headers["Strict-Transport-Security"] = "max-age=31536000"
