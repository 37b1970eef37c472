"""Liveness, readiness and metrics for operators and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST

from shunfuri import metrics
from shunfuri.services import readiness

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
    return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)
