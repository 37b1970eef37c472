"""Transfers: accept (202; with `Prefer: wait`, the settled answer), read, list, cancel."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from typing import Annotated

import orjson
from fastapi import APIRouter, Header, Path, Query, Request, Response
from sqlalchemy.orm import Session

from api.deps import CurrentMember, NowDep, SessionDep, TokenDep
from api.prefer import applied, wait_seconds
from api.schemas.transfers import Status, TransferIn, TransferOut, TransferPage
from api.waiter import Watch
from shunfuri import metrics
from shunfuri.clock import wall_now
from shunfuri.db.session import autocommit
from shunfuri.domain.orders import RESTING
from shunfuri.errors import ShunfuriError
from shunfuri.services import effects
from shunfuri.services.transfers import accept as transfers
from shunfuri.services.transfers import reads as transfer_reads
from shunfuri.services.transfers.admission import GATE

router = APIRouter(tags=["transfers"])

_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
TransferId = Annotated[str, Path(min_length=1, max_length=64)]


def _submit(
    session: Session, token: str, body: TransferIn, now: datetime, key: str | None,
    transfer_id: str | None,
) -> tuple[transfers.Accepted, list[effects.Effect]]:
    # The acceptance's after-commit effects (counter, wake-up) are run by `_accept` on
    # the event loop, not inside the session, where a Redis call would block the loop.
    after = effects.defer(session)
    try:
        return transfers.submit(
            session, token=token, payee_id=body.payee_id, amount=body.amount,
            idempotency_key=key, now=now, wall=wall_now(), transfer_id=transfer_id,
            admit=GATE.refusal,
        ), after
    except ShunfuriError as refused:
        if refused.code == "overloaded":
            metrics.REFUSED_OVERLOADED.inc()
        raise



_TRANSFER = {"application/json": {"schema": {"$ref": "#/components/schemas/TransferOut"}}}
_APPLIED = {"Preference-Applied": {
    "description": "`wait=N`: the wait this answer honoured (sent when `Prefer: wait` was)",
    "schema": {"type": "string"},
}}
_PREFER = (
    "RFC 7240. `wait=N` (seconds, at most 30; more is shortened to 30): hold the answer "
    "until the transfer is final, scheduled or handed to staff (`needs_attention`) - 201 "
    "(200 for an idempotent replay) with the transfer - or N seconds have passed: 202 "
    "with its current state. Either way "
    "`Preference-Applied: wait=N`. Without it (or with a wait this API cannot use) the "
    "answer is 202 at once."
)


@router.post(
    "/v1/transfers", status_code=202, response_model=TransferOut,
    responses={
        202: {"description": "Accepted: the transfer as it stands", "headers": _APPLIED},
        201: {"description": "With `Prefer: wait`: the new transfer, final or scheduled",
              "content": _TRANSFER, "headers": _APPLIED},
        200: {"description": "With `Prefer: wait`: an idempotent replay's transfer, final "
              "or scheduled", "content": _TRANSFER, "headers": _APPLIED},
    },
)
async def create_transfer(
    request: Request,
    body: TransferIn,
    token: TokenDep,
    now: NowDep,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", json_schema_extra={"pattern": _KEY.pattern})
    ] = None,
    prefer: Annotated[str | None, Header(alias="Prefer", description=_PREFER)] = None,
) -> Response:
    if idempotency_key is not None and not _KEY.match(idempotency_key):
        raise ShunfuriError(
            "validation_error:idempotency_key",
            errors=[{"field": "Idempotency-Key", "message": "invalid"}],
        )
    state = request.app.state
    wait = wait_seconds(prefer)
    if wait is None:
        result = await _accept(state, token, body, now, idempotency_key, None)
        return _json(result.transfer, status_code=202)
    # Watch the new transfer's id before it exists: a worker may settle it before this
    # coroutine runs again, and its event must not be missed.
    transfer_id = transfers.new_transfer_id()
    async with state.waiter.watch(transfer_id) as changed:
        result = await _accept(state, token, body, now, idempotency_key, transfer_id)
        if result.transfer["id"] == transfer_id:
            return await _when_resting(changed, result.transfer, wait, done=201)
    # An idempotent replay: the earlier transfer, watched from a fresh read of it.
    replayed = result.transfer["id"]
    async with state.waiter.watch(replayed) as changed:
        current = await state.db.run(_read, token, replayed)
        return await _when_resting(changed, current, wait, done=200)


async def _accept(
    state, token: str, body: TransferIn, now: datetime, key: str | None,
    transfer_id: str | None,
) -> transfers.Accepted:
    result, after = await state.db.run(_submit, token, body, now, key, transfer_id)
    await effects.run_async(after, state.redis)  # never raises: the 202 stands
    return result


async def _when_resting(changed: Watch, view: dict, wait: int, *, done: int) -> Response:
    """`view` once its transfer rests (`done`), or its latest state after `wait` s (202)."""
    headers = applied(wait)
    if view["status"] in RESTING:
        return _json(view, status_code=done, headers=headers)
    latest: bytes | None = None
    try:
        async with asyncio.timeout(wait):
            while True:
                await changed.event.wait()
                changed.event.clear()
                latest = changed.view
                if latest is not None and orjson.loads(latest)["status"] in RESTING:
                    return Response(latest, status_code=done, headers=headers,
                                    media_type="application/json")
    except TimeoutError:
        if latest is not None:
            return Response(latest, status_code=202, headers=headers,
                            media_type="application/json")
        return _json(view, status_code=202, headers=headers)


def _json(view: dict, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A transfer's view, already in the shape of `TransferOut` (`transfers.view` builds
    it), serialised directly: validating it against the model again is work these two
    hot endpoints need not do on every request. orjson: ~25x less CPU than `json.dumps`
    for this dict (`python -m loadtests.bench.json_codec`), the same bytes."""
    return Response(orjson.dumps(view), status_code=status_code, headers=headers,
                    media_type="application/json")


@router.get("/v1/transfers", response_model=TransferPage)
def list_transfers(
    member: CurrentMember,
    session: SessionDep,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> dict:
    return transfer_reads.list_for(
        session, member_id=member.id, status=status, limit=limit, cursor=cursor
    )


def _read(session: Session, token: str, transfer_id: str) -> dict:
    autocommit(session)  # a single read: no BEGIN / ROLLBACK round trips
    return transfer_reads.read_with_token(session, token=token, transfer_id=transfer_id,
                                          wall=wall_now())


@router.get("/v1/transfers/{transfer_id}", response_model=TransferOut)
async def get_transfer(
    request: Request,
    transfer_id: TransferId,
    token: TokenDep,
    wait: Annotated[float, Query(ge=0, le=30, description="Seconds to hold for a change")] = 0,
) -> Response:
    """`?wait=S` holds the answer until the status changes or S seconds pass; the wake-up
    comes from the worker's event, and no database connection is held meanwhile."""
    state = request.app.state
    if wait <= 0:
        return _json(await state.db.run(_read, token, transfer_id))
    # Watch before reading, so a change between the read and the wait is not missed.
    async with state.waiter.watch(transfer_id) as changed:
        current = await state.db.run(_read, token, transfer_id)
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
    return _json(await state.db.run(_read, token, transfer_id))


@router.post("/v1/transfers/{transfer_id}/cancel", response_model=TransferOut)
def cancel_transfer(
    transfer_id: TransferId, member: CurrentMember, session: SessionDep, now: NowDep
) -> dict:
    return transfers.cancel(
        session, member_id=member.id, transfer_id=transfer_id, now=now, wall=wall_now()
    )
