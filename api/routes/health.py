"""Liveness, readiness and metrics for operators and orchestrators.

`/healthz` and plain `/readyz` are for anyone (load balancers ask them without a
credential). `/metrics` and `/readyz?deep=true` are not for strangers: they tell how busy
the system is and make a worker do work, so they need the operators' credential,
`Authorization: Bearer <SHUNFURI_METRICS_TOKEN>` - what a Prometheus scrape config sends
(`authorization: {credentials_file: ...}`) to every host it scrapes. Without the setting
they are open in development and refused to everyone in production.
"""

from __future__ import annotations

import hmac
import logging

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST

from api.deps import SettingsDep
from shunfuri import catalogue, metrics
from shunfuri.clock import get_clock
from shunfuri.db.session import session_factory
from shunfuri.errors import ShunfuriError
from shunfuri.services.operations import queue_view, readiness
from shunfuri.services.orders import doubts
from shunfuri.settings import Settings

router = APIRouter(tags=["operations"])
_CREDENTIAL = {"description": "operations_token_required: send `Authorization: Bearer` with "
                              "SHUNFURI_METRICS_TOKEN",
               "content": {"application/problem+json": {}}}


def operators_only(request: Request, settings: Settings) -> None:
    """Refuse anyone without the operations token (constant-time compare)."""
    token = settings.metrics_token
    if token is None and settings.env != "production":
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    expected = token.get_secret_value().encode() if token is not None else b""
    if not (expected and scheme.lower() == "bearer"
            and hmac.compare_digest(given.strip().encode(), expected)):
        raise ShunfuriError("operations_token_required")


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", responses={
    401: _CREDENTIAL,
    503: {"description": "not_ready: the database or the broker is not answering",
          "content": {"application/json": {}}},
})
def readyz(request: Request, settings: SettingsDep, deep: bool = False) -> JSONResponse:
    """Database and broker; `deep=true` also a round trip through a worker (operators)."""
    if deep:
        operators_only(request, settings)
    checks = readiness.check(deep=deep)
    ok = all(c["ok"] for c in checks.values())
    body = {"status": "ready" if ok else "not_ready", "checks": checks}
    if not ok:
        body.update(code="not_ready", detail=catalogue.entry("not_ready").detail)
    return JSONResponse(body, status_code=200 if ok else 503)


@router.get("/metrics", response_class=PlainTextResponse, responses={401: _CREDENTIAL})
def prometheus(request: Request, settings: SettingsDep) -> Response:
    operators_only(request, settings)
    return Response(metrics.render(_doubt_gauges()), media_type=CONTENT_TYPE_LATEST)


def _doubt_gauges() -> dict[str, tuple[str, float]]:
    """Doubts and stalls (the alert rules' inputs: docs/operations.md), read from the
    database at scrape time; left out (logged) if it does not answer, so /metrics still
    serves the process metrics during a database outage."""
    try:
        with session_factory()() as session:
            found = doubts.counts(session)
            waiting = queue_view.waiting_oldest(session, now=get_clock().now())
    except Exception as exc:  # noqa: BLE001 - a scrape must not fail with the database
        logging.getLogger("shunfuri.api").warning("doubt gauges skipped: %s", type(exc).__name__)
        return {}
    return {
        "shunfuri_transfers_instant_waiting_oldest_seconds": (
            "Business seconds the oldest instant transfer has waited unsent (a stalled drain)",
            waiting["instant"]),
        "shunfuri_transfers_due_waiting_oldest_seconds": (
            "Business seconds the oldest due transfer has waited unsent (a stalled batch)",
            waiting["due"]),
        "shunfuri_transfers_needs_attention": (
            "Transfers in doubt past the retry budget, waiting for staff (hold kept)",
            found["needs_attention"]),
        "shunfuri_transfers_in_doubt": (
            "Transfers sent whose answer went missing, being asked about (hold kept)",
            found["in_doubt"]),
    }
