"""A transfer's status page (followed live), the history, and cancelling a scheduled one."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from shunfuri.clock import get_clock, wall_now
from shunfuri.db.session import autocommit
from shunfuri.domain.orders import RESTING
from shunfuri.errors import ShunfuriError
from shunfuri.services.members import payees
from shunfuri.services.transfers import accept as transfers
from shunfuri.services.transfers import reads as transfer_reads
from web import live
from web.db import PageSession, released
from web.filters import STATUS, status_label
from web.site import SignedIn, current_member, environment, render
from web.site import router as site_router

router = site_router()

TransferId = Annotated[str, Path(min_length=1, max_length=64)]
PAGE = 20


def _transfer(session: Session, member_id: int, transfer_id: str) -> dict:
    with released(session):  # also the panel's long-poll read
        autocommit(session)
        return transfer_reads.get(session, member_id=member_id, transfer_id=transfer_id)


def _payee(session: Session, member_id: int, payee_id: int):
    try:
        return payees.get_payee(session, member_id=member_id, payee_id=payee_id)
    except ShunfuriError:
        return None


@router.get("/transfers/{transfer_id}")
def transfer_page(request: Request, session: PageSession, member: SignedIn,
                  transfer_id: TransferId, cancelled: str = "") -> Response:
    transfer = _transfer(session, member.id, transfer_id)
    notice = "お振込みの予約を取り消しました。" if cancelled else None
    return render(
        request, "transfer_status.html", section="history", t=transfer,
        payee=_payee(session, member.id, transfer["payee_id"]), notice=notice,
        following=transfer["status"] not in RESTING,
    )


@router.get("/transfers/{transfer_id}/panel")
async def transfer_panel(
    request: Request, session: PageSession, transfer_id: TransferId,
    wait: Annotated[float, Query(ge=0, le=30)] = 0,
) -> Response:
    """The status panel alone (for the page's script): held until the transfer changes
    or `wait` seconds pass, like `GET /v1/transfers/{id}?wait=`."""
    from starlette.concurrency import run_in_threadpool

    member = await run_in_threadpool(current_member, request)
    transfer = await live.wait_for_change(
        transfer_id, lambda: _transfer(session, member.id, transfer_id), seconds=wait,
        settled=lambda t: t["status"] in RESTING,
    )
    html = environment().get_template("_status_panel.html").render(
        t=transfer, following=transfer["status"] not in RESTING, status_label=status_label,
    )
    return HTMLResponse(html)


@router.get("/transfers")
def history(
    request: Request, session: PageSession, member: SignedIn,
    status: Annotated[str, Query(max_length=32)] = "",
    cursor: Annotated[str, Query(max_length=512)] = "",
) -> Response:
    chosen = status if status in transfers.STATUSES or status in STATUS else ""
    page = transfer_reads.list_for(session, member_id=member.id, status=chosen or None,
                              limit=PAGE, cursor=cursor or None)
    known = {p.id: p for p in payees.list_payees(session, member_id=member.id)}
    return render(
        request, "transfers.html", section="history", page=page, status_filter=chosen,
        payees=known, first_page=not cursor,
    )


@router.get("/transfers/{transfer_id}/cancel")
def cancel_page(request: Request, session: PageSession, member: SignedIn,
                transfer_id: TransferId) -> Response:
    transfer = _transfer(session, member.id, transfer_id)
    if transfer["status"] != "scheduled":
        raise ShunfuriError("not_cancellable", transfer_status=transfer["status"])
    return render(request, "cancel_confirm.html", section="history", t=transfer,
                  payee=_payee(session, member.id, transfer["payee_id"]))


@router.post("/transfers/{transfer_id}/cancel")
def cancel(request: Request, session: PageSession,
           member: SignedIn, transfer_id: TransferId) -> Response:
    transfers.cancel(session, member_id=member.id, transfer_id=transfer_id,
                     now=get_clock().now(), wall=wall_now())
    return RedirectResponse(f"/transfers/{transfer_id}?cancelled=1", status_code=303)
