"""`GET /v1/availability`: what a transfer to this bank would get, now or at `at` (no auth)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import NowDep
from api.schemas.common import rule
from shunfuri.domain.instants import INSTANT_FORMAT_HINT, InvalidInstant, parse_instant
from shunfuri.domain.normalise import BANK_CODE_PATTERN
from shunfuri.errors import ShunfuriError
from shunfuri.services.transfers.availability import AT_PATTERN, quote_json

router = APIRouter(tags=["availability"])

# An unencoded `+09:00` in a query string arrives as ` 09:00` (a `+` is a space in a
# query); read that offset back rather than refusing what the user plainly meant.
_SPACED_OFFSET = re.compile(r"(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$")


def _read_at(raw: str) -> datetime:
    try:
        return parse_instant(raw)
    except InvalidInstant:
        repaired = _SPACED_OFFSET.sub(r"\1+\2", raw.strip())
        if repaired == raw.strip():
            raise
        return parse_instant(repaired)


class Availability(BaseModel):
    bank_code: str
    bank_name: str
    decision: Literal["instant", "scheduled", "closed"]
    settle_at: str | None
    retry_at: str | None


@router.get(
    "/v1/availability",
    response_model=Availability,
    summary="Quote a transfer to a bank: instant, scheduled (settle_at) or closed (retry_at)",
)
def availability(
    now: NowDep,
    bank_code: Annotated[str, Query(description="4-digit Zengin bank code",
                                    json_schema_extra=rule(BANK_CODE_PATTERN))],
    at: Annotated[
        str | None, Query(description=f"Instant to quote; default now. {INSTANT_FORMAT_HINT}",
                          json_schema_extra=rule(AT_PATTERN))
    ] = None,
) -> dict[str, Any]:
    when = now
    if at is not None:
        try:
            when = _read_at(at)
        except (InvalidInstant, OverflowError):
            raise ShunfuriError(
                "validation_error",
                errors=[{"field": "at", "message": f"expected {INSTANT_FORMAT_HINT}"}],
            ) from None
    return quote_json(bank_code, when)
