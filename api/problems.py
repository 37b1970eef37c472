"""RFC 9457 problem details for every refusal, so no client input ever yields a bare 500."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from shunfuri import catalogue
from shunfuri.errors import ShunfuriError

log = logging.getLogger("shunfuri.api")

PROBLEM = "application/problem+json"
_HTTP_CODES = {
    401: "not_authenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    413: "payload_too_large", 415: "unsupported_media_type", 429: "too_many_requests",
}


class Problem(BaseModel):
    """RFC 9457 problem details as this API sends them; some codes add fields (`errors`,
    `retry_at`, `available`, ...)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    code: str
    detail: str
    detail_ja: str
    errors: list[dict[str, str]] | None = None


def _documented(description: str) -> dict[str, Any]:
    return {
        "model": Problem,
        "description": description,
        "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


# The refusals any operation may answer with, for the OpenAPI document (`FastAPI(responses=)`);
# a route documents its own where they differ.
RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _documented("not_authenticated, token_expired or invalid_credentials"),
    403: _documented("forbidden (staff key), account_suspended or card_reported_lost"),
    404: _documented("not_found: nothing of yours at this id"),
    409: _documented("insufficient_credit, idempotency_key_reused, not_cancellable (with "
                     "`in_doubt` when the bank may have paid), web_id_taken, or "
                     "not_in_doubt (staff)"),
    413: _documented("payload_too_large: refused before parsing"),
    422: _documented("validation_error (with `errors`), unknown_bank, unknown_branch, "
                     "invalid_amount, invalid_holder_name"),
    423: _documented("account_locked"),
    429: _documented("too_many_requests or too_many_attempts (login); see Retry-After"),
    503: _documented("service_closed (with retry_at), database_unavailable or overloaded "
                     "(instant transfers only; nothing was stored); see Retry-After; "
                     "bank_unavailable (staff inquiries)"),
}


# Refusals whose `retry_after` goes into the Retry-After header (not the body).
_RETRY_AFTER = ("too_many_requests", "too_many_attempts", "service_closed", "overloaded")


def problem_response(error: ShunfuriError, headers: dict[str, str] | None = None) -> JSONResponse:
    """The refusal's problem body and status, both looked up in the catalogue."""
    return JSONResponse(catalogue.problem(error), status_code=catalogue.status(error),
                        media_type=PROBLEM, headers=headers)


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body",)]
        # Never echo the rejected input back: it may be a PIN or a password.
        out.append({"field": ".".join(loc) or "body", "message": err.get("msg", "invalid")})
    return out


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at this path. FastAPI has a route per method, and
    the router's own 405 names only the first route whose path matched."""
    methods: set[str] = set()
    for route in _routes(request.app.router):
        served = getattr(route, "methods", None)
        if served and route.matches(request.scope)[0] is not Match.NONE:
            methods |= served
    return ", ".join(sorted(methods))


def _routes(router: Any) -> Iterator[Any]:
    for route in router.routes:
        included = getattr(route, "original_router", None)  # an included APIRouter
        if included is not None:
            yield from _routes(included)
        else:
            yield route


def install(
    app: FastAPI, pages: Callable[[Request, str], Response | None] | None = None
) -> None:
    """`pages(request, code)` may answer a browser's request for a path no route serves
    with an HTML page instead of problem JSON (None: it is not a page request)."""

    @app.exception_handler(ShunfuriError)
    async def _shunfuri(_: Request, exc: ShunfuriError) -> JSONResponse:
        headers = {}
        if exc.code in _RETRY_AFTER and "retry_after" in exc.extra:
            # A header, not a body field; the words may still cite it.
            exc.facts.setdefault("retry_after", exc.extra.pop("retry_after"))
            headers["Retry-After"] = str(exc.facts["retry_after"])
        if exc.code == "operations_token_required":
            headers["WWW-Authenticate"] = 'Bearer realm="shunfuri-operations"'  # RFC 6750
        return problem_response(exc, headers or None)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(ShunfuriError("validation_error", errors=_field_errors(exc)))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = _HTTP_CODES.get(exc.status_code)
        if code is None:
            code = "validation_error" if exc.status_code < 500 else "internal_error"
        page = pages(request, code) if pages is not None else None
        if page is not None:
            return page
        error = ShunfuriError(code)
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": _allowed_methods(request)}
        response = problem_response(error, headers)
        response.status_code = exc.status_code if code != "validation_error" else 422
        return response

    @app.exception_handler(OperationalError)
    async def _db_down(_: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", type(exc.orig).__name__)
        return problem_response(ShunfuriError("database_unavailable"), {"Retry-After": "2"})

    @app.exception_handler(PoolTimeout)
    async def _db_busy(_: Request, exc: PoolTimeout) -> JSONResponse:
        # Every pooled connection stayed busy for the pool's timeout: an overloaded
        # process, not a fault in the request; the client may try again shortly.
        log.warning("no database connection free: %s", exc)
        return problem_response(ShunfuriError("database_unavailable"), {"Retry-After": "2"})

    @app.exception_handler(DBAPIError)
    async def _db_error(_: Request, exc: DBAPIError) -> JSONResponse:
        if exc.connection_invalidated:
            return problem_response(ShunfuriError("database_unavailable"), {"Retry-After": "2"})
        log.exception("database error")
        return problem_response(ShunfuriError("internal_error"))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error: %s", type(exc).__name__)
        return problem_response(ShunfuriError("internal_error"))
