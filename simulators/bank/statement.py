"""The bank's statement: what it booked, day by day, page by page, as a bank's statement
API (or a Zengin result file per day) gives it to its customer.

A day is the bank's booking day in Japan (Asia/Tokyo) by the bank's own clock (the
simulator's is real time, whatever business time the system runs on). A day's lines are
its payments, then its collections, each in id order; a page ends with the cursor of its
last line (`payment/<id>`, `collection/<id>`), from which the next page goes on. Both
payments and refusals are lines (`status` says which), as on a result file."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Date, cast, func, select, union
from sqlalchemy.engine import Engine

from simulators.bank.books import COLLECTIONS, PAYMENTS, Book

JST = ZoneInfo("Asia/Tokyo")
BOOKS = (PAYMENTS, COLLECTIONS)
MAX_PAGE = 5000


class BadCursor(ValueError):
    """A cursor this bank never gave."""


def _booking_day(book: Book):  # type: ignore[no-untyped-def]
    return cast(func.timezone("Asia/Tokyo", book.table.c.paid_at), Date)


def days(engine: Engine) -> list[date]:
    """Every day with at least one line, oldest first."""
    query = union(*(select(_booking_day(b).label("day")) for b in BOOKS))
    with engine.connect() as conn:
        return sorted(conn.scalars(query))


def page(engine: Engine, day: date, after: str | None, limit: int) -> tuple[list[dict], str | None]:
    """Up to `limit` lines of `day` after the cursor `after`, and the cursor of the last
    line when more may follow (None: the day ends here)."""
    start = datetime.combine(day, time(), JST)
    end = start + timedelta(days=1)
    position, after_id = _position(after)
    lines: list[dict] = []
    for book in BOOKS[position:]:
        table, key = book.table, book.table.c[book.key]
        query = (select(table).where(table.c.paid_at >= start, table.c.paid_at < end)
                 .order_by(key).limit(limit - len(lines) + 1))
        if after_id is not None:
            query = query.where(key > after_id)
        after_id = None  # the next book starts at its beginning
        with engine.connect() as conn:
            rows = conn.execute(query).all()
        lines += [_line(book, row._mapping) for row in rows]
        if len(lines) > limit:
            lines = lines[:limit]
            return lines, f"{lines[-1]['kind']}/{lines[-1]['id']}"
    return lines, None


def _position(cursor: str | None) -> tuple[int, str | None]:
    if cursor is None:
        return 0, None
    kind, _, order_id = cursor.partition("/")
    for position, book in enumerate(BOOKS):
        if book.kind == kind and order_id:
            return position, order_id
    raise BadCursor(cursor)


def _line(book: Book, row: dict) -> dict:
    return {"kind": book.kind, "id": row[book.key], "amount": row["amount"],
            "bank_code": row["bank_code"], "status": row["status"], "code": row["code"],
            "reference": row["reference"], "booked_at": row["paid_at"].isoformat()}
