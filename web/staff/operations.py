"""The operator's pages: the queue at a glance (refreshing by itself), transfers and
repayments in doubt, and asking the bank about one."""

from __future__ import annotations

import time
from typing import Annotated

import httpx
from fastapi import Path, Request
from fastapi.responses import Response

from shunfuri.clock import get_clock, wall_now
from shunfuri.errors import ShunfuriError
from shunfuri.gateway.http import shared
from shunfuri.services.operations import queue_view
from shunfuri.services.orders import doubts, kinds
from shunfuri.settings import get_settings
from web.db import PageSession, db
from web.staff.chart import chart
from web.staff.site import acting, allowed, render, router

pages = router()

OrderId = Annotated[str, Path(min_length=1, max_length=64)]
# Each kind of order has its staff URLs (`/staff/transfers/...`, `/staff/repayments/...`).
KindPath = Annotated[str, Path(pattern="^(" + "|".join(k.path for k in kinds.KINDS.values())
                                         + ")$")]
KIND_PATHS = {k.name: k.path for k in kinds.KINDS.values()}
REFRESH_SECONDS = 10


def bank_health() -> dict:
    """The bank simulator's /healthz, with how long it took; never raises."""
    url = get_settings().bank_url.rstrip("/") + "/healthz"
    started = time.perf_counter()
    try:
        answer = httpx.get(url, timeout=2.0)
        ok = answer.status_code == 200
        detail = f"HTTP {answer.status_code}"
    except httpx.HTTPError as exc:
        ok, detail = False, type(exc).__name__
    return {"ok": ok, "detail": detail, "ms": round((time.perf_counter() - started) * 1000)}


def _board(request: Request) -> dict:
    now, wall = get_clock().now(), wall_now()
    session = db(request)
    seen = queue_view.board(session, now=now, wall=wall)
    return {"board": seen, "chart": chart(seen.latency, now=now), "bank": bank_health(),
            "now": now, "refresh": REFRESH_SECONDS}


@pages.get("/queue")
def queue(request: Request) -> Response:
    allowed(request, "queue.view")
    return render(request, "staff/queue.html", section="queue", **_board(request))


@pages.get("/queue/live")
def queue_live(request: Request) -> Response:
    """The live part of the queue page alone, for staff-refresh.js to swap in."""
    allowed(request, "queue.view")
    return render(request, "staff/_queue_live.html", **_board(request))


@pages.get("/doubts")
def doubt_list(request: Request, session: PageSession) -> Response:
    allowed(request, "transfer.inquire")
    wall = wall_now()
    found = [d.as_dict(wall) for d in doubts.list_doubts(session, limit=200)]
    return render(request, "staff/doubts.html", section="doubts", doubts=found, result=None,
                  kind_paths=KIND_PATHS)


@pages.post("/{kind_path}/{order_id}/inquire")
def inquire(request: Request, kind_path: KindPath, order_id: OrderId) -> Response:
    return _ask(request, order_id, kind=_kind(kind_path), resend=False)


@pages.post("/{kind_path}/{order_id}/resend")
def resend(request: Request, kind_path: KindPath, order_id: OrderId) -> Response:
    return _ask(request, order_id, kind=_kind(kind_path), resend=True)


def _kind(path: str) -> kinds.OrderKind:
    return next(k for k in kinds.KINDS.values() if k.path == path)


def _ask(request: Request, order_id: str, *, kind: kinds.OrderKind, resend: bool) -> Response:
    """Ask the bank about one order in doubt, a transfer or a repayment (each row of the
    page posts to its own kind), and show the answer above the list."""
    account = allowed(request, "transfer.inquire")
    settings = get_settings()
    wall = wall_now()
    result: dict = {"id": order_id, "kind": kind.name, "resend": resend, "refused": None}
    session = db(request)
    try:
        resolved = doubts.inquire(
            session, shared(settings.bank_url), transfer_id=order_id,
            now=get_clock().now(), wall=wall, actor=acting(request, account),
            budget=settings.doubt_budget, resend=resend, kind=kind)
        result.update(bank=resolved.bank, order=resolved.transfer)
    except ShunfuriError as exc:
        session.rollback()  # refused: its transaction ends (nothing kept, no lock held)
        if exc.code not in ("bank_unavailable", "not_in_doubt", "not_found"):
            raise
        result["refused"] = exc.code
    found = [d.as_dict(wall) for d in doubts.list_doubts(session, limit=200)]
    return render(request, "staff/doubts.html", section="doubts", doubts=found, result=result,
                  kind_paths=KIND_PATHS)
