"""Transfers: accept (202), read with long-poll, list, cancel."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.deps import CurrentMember, NowDep, SessionDep, TokenDep
from api.hotpath import in_session
from api.schemas.transfers import Status, TransferIn, TransferOut, TransferPage
from api.waiter import TransferWaiter
from shunfuri import metrics
from shunfuri.broker import get_redis, publish_transfer_events, request_drain_async, send_task
from shunfuri.clock import wall_now
from shunfuri.errors import ShunfuriError
from shunfuri.services import transfers
from shunfuri.settings import get_settings

log = logging.getLogger("shunfuri.api.transfers")
router = APIRouter(tags=["transfers"])

_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
TransferId = Annotated[str, Path(min_length=1, max_length=64)]


def _submit(
    session: Session, token: str, body: TransferIn, now: datetime, key: str | None
) -> transfers.Accepted:
    return transfers.submit(
        session, token=token, payee_id=body.payee_id, amount=body.amount,
        idempotency_key=key, now=now, wall=wall_now(),
    )


async def _wake_worker() -> None:
    """After the commit: nothing here may turn an accepted transfer into an error."""
    try:
        if await request_drain_async("instant"):
            # Rare (a busy drain lives on, handing over to its successor): the producer is sync.
            await run_in_threadpool(send_task, "transfers.drain_instant", queue="instant")
    except Exception as exc:  # noqa: BLE001 - Redis, kombu, Celery: any of them may fail here
        # Committed already: the recovery sweep will find it within seconds.
        log.warning("could not wake a worker (%s: %s); recovery sweep will",
                    type(exc).__name__, exc)


@router.post("/v1/transfers", status_code=202, response_model=TransferOut)
async def create_transfer(
    body: TransferIn,
    token: TokenDep,
    now: NowDep,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", json_schema_extra={"pattern": _KEY.pattern})
    ] = None,
) -> Response:
    if idempotency_key is not None and not _KEY.match(idempotency_key):
        raise ShunfuriError(
            "validation_error",
            detail="Idempotency-Key must be 1-255 printable ASCII characters, no spaces.",
            errors=[{"field": "Idempotency-Key", "message": "invalid"}],
        )
    result = await in_session(_submit, token, body, now, idempotency_key)
    if result.created:
        metrics.ACCEPTED.labels(decision=result.transfer["decision"]).inc()
        await _wake_worker()
    return _json(result.transfer, status_code=202)


def _json(view: dict, status_code: int = 200) -> Response:
    """A transfer's view, already in the shape of `TransferOut` (`transfers.view` builds
    it), serialised directly: validating it against the model again is work these two
    hot endpoints need not do on every request."""
    body = json.dumps(view, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(body, status_code=status_code, media_type="application/json")


@router.get("/v1/transfers", response_model=TransferPage)
def list_transfers(
    member: CurrentMember,
    session: SessionDep,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> dict:
    return transfers.list_for(
        session, member_id=member.id, status=status, limit=limit, cursor=cursor
    )


def _read(session: Session, token: str, transfer_id: str) -> dict:
    transfers.autocommit(session)  # a single read: no BEGIN / ROLLBACK round trips
    return transfers.read_with_token(session, token=token, transfer_id=transfer_id, wall=wall_now())


@router.get("/v1/transfers/{transfer_id}", response_model=TransferOut)
async def get_transfer(
    transfer_id: TransferId,
    token: TokenDep,
    wait: Annotated[float, Query(ge=0, le=30, description="Seconds to hold for a change")] = 0,
) -> Response:
    """`?wait=S` holds the answer until the status changes or S seconds pass; the wake-up
    comes from the worker's event, and no database connection is held meanwhile."""
    if wait <= 0:
        return _json(await in_session(_read, token, transfer_id))
    # Watch before reading, so a change between the read and the wait is not missed.
    async with waiter().watch(transfer_id) as changed:
        current = await in_session(_read, token, transfer_id)
        if current["status"] in transfers.FINAL:
            return _json(current)
        try:
            async with asyncio.timeout(wait):
                await changed.event.wait()
        except TimeoutError:
            return _json(current)
    if changed.view:
        # The member was authorised for this transfer by the read above.
        return Response(changed.view, media_type="application/json")
    return _json(await in_session(_read, token, transfer_id))


@router.post("/v1/transfers/{transfer_id}/cancel", response_model=TransferOut)
def cancel_transfer(
    transfer_id: TransferId, member: CurrentMember, session: SessionDep, now: NowDep
) -> dict:
    result = transfers.cancel(
        session, member_id=member.id, transfer_id=transfer_id, now=now, wall=wall_now()
    )
    publish_transfer_events(get_redis(), [(transfer_id, result)])
    return result


_waiter: TransferWaiter | None = None


def waiter() -> TransferWaiter:
    global _waiter
    if _waiter is None:
        _waiter = TransferWaiter(get_settings().resolved_broker_url)
    return _waiter


async def close_waiter() -> None:
    global _waiter
    if _waiter is not None:
        await _waiter.close()
        _waiter = None
