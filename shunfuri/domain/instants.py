"""Parsing and presenting instants: stored in UTC, decided and shown in JST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import overload

JST = timezone(timedelta(hours=9), "JST")

INSTANT_FORMAT_HINT = (
    "ISO 8601, e.g. 2026-11-30T21:00:00+09:00 (an instant without an offset is read as JST)"
)


class InvalidInstant(ValueError):
    def __init__(self, raw: str) -> None:
        super().__init__(f"cannot read {raw!r} as an instant; expected {INSTANT_FORMAT_HINT}")
        self.raw = raw


def parse_instant(raw: str) -> datetime:
    """Read an ISO 8601 instant; a naive one is Japan time, as members and staff mean it."""
    text = raw.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInstant(raw) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=JST)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+09:00 has no UTC counterpart
        raise InvalidInstant(raw) from None


@overload
def aware(value: datetime) -> datetime: ...
@overload
def aware(value: None) -> None: ...
def aware(value: datetime | None) -> datetime | None:
    """A stored instant as an aware UTC one: everything is stored in UTC, so a naive
    value (a `timestamp` column, a value built in a test) is read as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def to_jst(value: datetime) -> datetime:
    return aware(value).astimezone(JST)


def iso_jst(value: datetime | None) -> str | None:
    return None if value is None else to_jst(value).isoformat()
