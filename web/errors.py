"""Refusals as pages: what happened and what to do, from the error catalogue.

The text is the catalogue's `detail_ja` (one source for the API and the pages), with
the entry's page title (`title_ja`) and its `remedies_ja`, where a page can say more than
a JSON field: how to get a PIN reset in person, what to do about a lost card. A few
codes' `detail_ja` names API fields (`errors`, `Retry-After`, `retry_at`); their pages say
it in words (`page_ja`, or below where the words need the refusal's values).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from shunfuri import catalogue
from shunfuri.errors import ShunfuriError
from web.filters import jst, wait_ja


def title_ja(code: str) -> str:
    return catalogue.entry(code).title_ja


def detail_ja(error: ShunfuriError) -> str:
    code = error.code
    own = catalogue.VARIANTS.get(error.key)
    if code == "too_many_requests" and own is not None and own.detail_ja is not None:
        return catalogue.words(error)[1]  # a limit that says its own words (applicant's pages)
    if code == "too_many_requests":
        wait = error.extra.get("retry_after")
        seconds = f"{wait}秒ほど" if wait else "しばらく"
        return f"短い時間に何度もログインが試されました。{seconds}待ってから、もう一度お試しください。"
    if code == "too_many_attempts":
        return (
            "ログインに続けて失敗したため、このブラウザからのログインを一時的にお休みしています。"
            f"{wait_ja(error.extra.get('retry_after'))}ほど待ってから、もう一度お試しください。"
            "以前にログインしたことのあるブラウザやアプリからは、そのままログインできます。"
        )
    if code == "service_closed":
        retry_at = error.extra.get("retry_at")
        when = f"{jst(retry_at)}以降に" if retry_at else "再開後に"
        return (
            "瞬フリは毎週月曜日の0:00〜7:00と、1月1日の終日はお休みしています。"
            f"{when}お申し込みください。"
        )
    # A page says its code's own sentence; a page that wants a raise site's precise words
    # passes them as `detail` (`catalogue.words(error)[1]`).
    found = catalogue.entry(error.code)
    return found.page_ja if found.page_ja is not None else found.detail_ja


def error_page(request: Request, error: ShunfuriError, *, detail: str | None = None,
               **context: Any) -> Response:
    """The refusal's page; `detail` says it in the page's own words instead, and a
    `back=(href, label)` in `context` is the way on it offers."""
    from web.site import render

    # The applicant's pages keep their own header and menu on a refusal.
    applying = request.url.path.startswith(("/apply", "/shindan"))
    context.setdefault("layout", "apply_base.html" if applying else "base.html")
    headers = {}
    if "retry_after" in error.extra:
        headers["Retry-After"] = str(error.extra["retry_after"])
    response = render(
        request,
        "refusal.html",
        status=catalogue.status(error),
        code=error.code,
        title=title_ja(error.code),
        detail=detail or detail_ja(error),
        remedies=list(catalogue.entry(error.key).remedies_ja),
        **context,
    )
    response.headers.update(headers)
    return response


def wants_html(request: Request) -> bool:
    """A browser asking for a page outside the API's paths (for 404s the router raises)."""
    path = request.url.path
    if path.startswith(("/v1/", "/docs", "/openapi", "/redoc", "/metrics", "/healthz",
                        "/readyz", "/static/")):
        return False
    return "text/html" in request.headers.get("accept", "")


def page_for(request: Request, code: str) -> Response | None:
    """A page for a browser asking for a path no route serves; None for API clients."""
    from web.security import secure_headers

    if not wants_html(request):
        return None
    response = error_page(request, ShunfuriError(code))
    secure_headers(response)
    return response
