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

# `at` as the OpenAPI document states it: an ISO 8601 date and time in years 1971-2198
# (inside SUPPORTED_YEARS whatever the offset), with or without an offset. The parser
# takes more (a bare date, 29 February); the pattern says what is sure to be quoted.
_YEAR = "(?:197[1-9]|19[89][0-9]|20[0-9]{2}|21[0-8][0-9]|219[0-8])"
_MONTH_DAY = ("(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
              "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))")
_TIME = "(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\\.[0-9]{1,6})?)?"
_OFFSET = "(?:[Zz]|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?)?"
AT_PATTERN = f"^{_YEAR}-{_MONTH_DAY}[Tt ]{_TIME}{_OFFSET}$"


def quote_json(bank_code: str, at: datetime) -> dict[str, Any]:
    """`{"bank_code", "bank_name", "decision", "settle_at", "retry_at"}`, instants in +09:00.

    Raises `ShunfuriError("unknown_bank")` for a code outside the Zengin master and
    `validation_error` for an instant outside `SUPPORTED_YEARS`.
    """
    bank = get_bank(bank_code)
    try:
        year = to_jst(at).year
    except OverflowError:  # 9999-12-31T23:59Z has no Japan-time counterpart
        year = None
    if year not in SUPPORTED_YEARS:
        raise ShunfuriError("validation_error", errors=[{"field": "at", "message": OUT_OF_RANGE}])
    result = quote(bank, at)
    return {
        "bank_code": bank.code,
        "bank_name": bank.name,
        "decision": result.decision,
        "settle_at": iso_jst(result.settle_at),
        "retry_at": iso_jst(result.retry_at),
    }
