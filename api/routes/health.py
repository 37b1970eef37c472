"""Liveness, readiness and metrics for operators and orchestrators."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST

from shunfuri import metrics
from shunfuri.clock import get_clock
from shunfuri.db.session import session_factory
from shunfuri.services import doubts, queue_view, readiness

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", responses={
    503: {"description": "not_ready: the database or the broker is not answering",
          "content": {"application/json": {}}},
})
def readyz(deep: bool = False) -> JSONResponse:
    checks = readiness.check(deep=deep)
    ok = all(c["ok"] for c in checks.values())
    body = {"status": "ready" if ok else "not_ready", "checks": checks}
    if not ok:
        body.update(code="not_ready", detail="A dependency is not answering; retry shortly.")
    return JSONResponse(body, status_code=200 if ok else 503)


@router.get("/metrics", response_class=PlainTextResponse)
def prometheus() -> Response:
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
