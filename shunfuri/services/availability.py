"""The availability answer that `GET /v1/availability` and `shunfuri quote` share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shunfuri.domain.banks import get_bank
from shunfuri.domain.instants import iso_jst, to_jst
from shunfuri.domain.windows import quote
from shunfuri.errors import ShunfuriError

# Quotes are for the calendar the holiday tables know; far years only reach date
# overflows (year 9999 has no "next business day"), so they are refused up front.
SUPPORTED_YEARS = range(1970, 2200)
OUT_OF_RANGE = (
    f"at must lie between {SUPPORTED_YEARS.start} and {SUPPORTED_YEARS.stop - 1} (Japan time)"
)


def quote_json(bank_code: str, at: datetime) -> dict[str, Any]:
    """`{"bank_code", "bank_name", "decision", "settle_at", "retry_at"}`, instants in +09:00.

    Raises `ShunfuriError("unknown_bank")` for a code outside the Zengin master and
    `validation_error` for an instant outside `SUPPORTED_YEARS`.
    """
    bank = get_bank(bank_code)
    if to_jst(at).year not in SUPPORTED_YEARS:
        raise ShunfuriError("validation_error", errors=[{"field": "at", "message": OUT_OF_RANGE}])
    result = quote(bank, at)
    return {
        "bank_code": bank.code,
        "bank_name": bank.name,
        "decision": result.decision,
        "settle_at": iso_jst(result.settle_at),
        "retry_at": iso_jst(result.retry_at),
    }
