"""The applicant's follow-up token in this browser: an HttpOnly cookie scoped to the
application's own pages (`Path=/apply/<id>`), so it is sent to nothing else of the site,
and a browser can follow several applications, each with its own cookie.

The token is shown once on the page after the submission, for the applicant to keep (it
opens the application from another device: the 続きから form). Which visit is "once" is
told by a second, short-lived cookie on the same path, set with the token and cleared by
the page that shows it; a reload then no longer shows it.

Cookies are `HttpOnly`, `SameSite=Lax`, and in production `Secure` with the `__Secure-`
prefix (`__Host-` requires `Path=/`, which would send the token to every page).
"""

from __future__ import annotations

import re
import unicodedata

from fastapi import Request, Response

from shunfuri.domain.normalise import DASHES
from web.security import production

TOKEN_COOKIE = "shunfuri_application"  # noqa: S105 - a cookie name
SHOW_COOKIE = "shunfuri_application_new"
TOKEN_AGE = 30 * 86_400  # longer than any application stays open (14 days from a decision)
SHOW_AGE = 600
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,128}$")
_ID_SHAPE = re.compile(r"^[0-9a-f-]{1,36}$")


def address_of(request: Request) -> str:
    """The client's address, the rate limits' key (as the API's `client_address`)."""
    return request.client.host if request.client else "unknown"


def _name(base: str) -> str:
    return f"__Secure-{base}" if production() else base


def path_of(application_id: str) -> str:
    return f"/apply/{application_id}"


def token_of(request: Request) -> str | None:
    token = request.cookies.get(_name(TOKEN_COOKIE))
    return token if token and _TOKEN_SHAPE.match(token) else None


def to_show(request: Request) -> bool:
    return request.cookies.get(_name(SHOW_COOKIE)) == "1"


def keep(response: Response, application_id: str, token: str, *, show: bool) -> None:
    """Keep `token` for this application's pages; `show`: the next page shows it once."""
    path = path_of(application_id)
    response.set_cookie(_name(TOKEN_COOKIE), token, max_age=TOKEN_AGE, path=path,
                        httponly=True, samesite="lax", secure=production())
    if show:
        response.set_cookie(_name(SHOW_COOKIE), "1", max_age=SHOW_AGE, path=path,
                            httponly=True, samesite="lax", secure=production())


def shown(response: Response, application_id: str) -> None:
    response.delete_cookie(_name(SHOW_COOKIE), path=path_of(application_id), httponly=True,
                           samesite="lax", secure=production())


def typed_id(raw: str) -> str:
    """A receipt number as typed: full-width, spaces and upper case are fine."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw or "")).lower()
    text = "".join("-" if ch in DASHES else ch for ch in text)
    return text if _ID_SHAPE.match(text) else ""


def typed_token(raw: str) -> str:
    """A follow-up code as typed or pasted: spaces and line breaks (the page shows it in
    groups) are dropped; the code itself never contains one."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw or ""))
    return text if _TOKEN_SHAPE.match(text) else ""


def grouped(token: str, size: int = 4) -> str:
    """The code in groups of four, easier to copy by hand."""
    return " ".join(token[i:i + size] for i in range(0, len(token), size))
