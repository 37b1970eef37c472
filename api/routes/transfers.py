"""Transfers: accept (202), read with long-poll, list, cancel."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import UTC, datetime
from typing import Annotated

import redis
from fastapi import APIRouter, Header, Path, Query
from starlette.concurrency import run_in_threadpool

from api.deps import CurrentMember, NowDep, SessionDep
from api.schemas_transfers import Status, TransferIn, TransferOut, TransferPage
from api.waiter import TransferWaiter
from shunfuri import metrics
from shunfuri.broker import get_redis, publish_transfer_events, request_drain
from shunfuri.errors import ShunfuriError
from shunfuri.services import transfers
from shunfuri.settings import get_settings

log = logging.getLogger("shunfuri.api.transfers")
router = APIRouter(tags=["transfers"])

_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
TransferId = Annotated[str, Path(min_length=1, max_length=64)]


def _wall() -> datetime:
    return datetime.now(UTC)


@router.post("/v1/transfers", status_code=202, response_model=TransferOut)
def create_transfer(
    body: TransferIn,
    member: CurrentMember,
    session: SessionDep,
    now: NowDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> dict:
    if idempotency_key is not None and not _KEY.match(idempotency_key):
        raise ShunfuriError(
            "validation_error",
            detail="Idempotency-Key must be 1-255 printable ASCII characters, no spaces.",
            errors=[{"field": "Idempotency-Key", "message": "invalid"}],
        )
    result = transfers.accept(
        session, member=member, payee_id=body.payee_id, amount=body.amount,
        idempotency_key=idempotency_key, now=now, wall=_wall(),
    )
    if result.created:
        metrics.ACCEPTED.labels(decision=result.transfer["decision"]).inc()
        try:
            request_drain("instant")
        except redis.RedisError as exc:
            # Committed already: the recovery sweep will find it within seconds.
            log.warning("could not wake a worker (%s); recovery sweep will", exc)
    return result.transfer


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


@router.get("/v1/transfers/{transfer_id}", response_model=TransferOut)
async def get_transfer(
    transfer_id: TransferId,
    member: CurrentMember,
    session: SessionDep,
    wait: Annotated[float, Query(ge=0, le=30, description="Seconds to hold for a change")] = 0,
) -> dict:
    def read() -> dict:
        try:
            return transfers.get(session, member_id=member.id, transfer_id=transfer_id)
        finally:
            session.rollback()  # give the connection back while we wait

    first = await run_in_threadpool(read)
    if wait <= 0 or first["status"] in transfers.FINAL:
        return first
    async with waiter().watch(transfer_id) as changed:
        current = await run_in_threadpool(read)
        if current["status"] != first["status"]:
            return current
        try:
            await asyncio.wait_for(changed.wait(), timeout=wait)
        except TimeoutError:
            pass
    return await run_in_threadpool(read)


@router.post("/v1/transfers/{transfer_id}/cancel", response_model=TransferOut)
def cancel_transfer(
    transfer_id: TransferId, member: CurrentMember, session: SessionDep, now: NowDep
) -> dict:
    result = transfers.cancel(
        session, member_id=member.id, transfer_id=transfer_id, now=now, wall=_wall()
    )
    publish_transfer_events(get_redis(), [(transfer_id, "cancelled")])
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
