"""Orders as the bank reads, records and answers them: each order of a batch on its own,
paid once per id (a repeat is answered from the record), looked up by id."""

from __future__ import annotations

import secrets
import threading
from datetime import datetime

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from shunfuri.clock import wall_now
from simulators.bank.books import PERMANENT_ERRORS, Book
from simulators.faults import Stats


class Payment(BaseModel):
    """One order as the bank reads it; `transfer_id` is the order's id whatever its
    book (a collection's `repayment_id` is read into it)."""

    transfer_id: str = Field(min_length=1, max_length=36)
    amount: int = Field(gt=0)
    bank_code: str
    branch_code: str
    account_type: str
    account_number: str
    holder_name: str


class PaymentBatch(BaseModel):
    # Items are read one by one (`Payment`): one unreadable order is refused alone.
    payments: list[dict] = Field(max_length=5000)


class CollectionBatch(BaseModel):
    collections: list[dict] = Field(max_length=5000)


class InquiryBatch(BaseModel):
    transfer_ids: list[str] = Field(max_length=5000)


class CollectionInquiryBatch(BaseModel):
    repayment_ids: list[str] = Field(max_length=5000)


class _Known:
    """A recorded row read back under the generic name `transfer_id`."""

    __slots__ = ("transfer_id", "amount", "status", "code", "reference", "paid_at")

    def __init__(self, book: Book, row: object) -> None:
        mapping = row._mapping  # type: ignore[attr-defined]
        self.transfer_id = mapping[book.key]
        for name in self.__slots__[1:]:
            setattr(self, name, mapping[name])


class Record:
    """The bank's record of orders in its database: one writer at a time, which keeps
    "pay once" trivially true."""

    def __init__(self, engine: Engine, stats: Stats) -> None:
        self.engine = engine
        self.stats = stats
        self.lock = threading.Lock()

    def record(self, book: Book, raw: list[dict]) -> list[dict]:
        """Pay (or refuse) each order not yet known; answer known ones from the record."""
        now = wall_now()
        batch = [_read(_as_payment(book, item)) for item in raw]
        ids = [p.transfer_id if isinstance(p, Payment) else p["transfer_id"] for p in batch]
        with self.lock, self.engine.begin() as conn:
            known: dict = _known_rows(conn, book, [i for i in ids if i is not None])
            new_rows: list[dict] = []
            results: list[dict] = []
            repeats: list[str] = []
            for p in batch:
                if isinstance(p, dict):
                    self.stats.refused_invalid += 1
                    result = _refuse_invalid(p, known, new_rows, now)
                else:
                    result = _decide(p, known, new_rows, repeats, now)
                if result is not None:
                    results.append(result)
            if new_rows:
                conn.execute(book.table.insert(), [_row_out(book, r) for r in new_rows])
            if repeats:
                conn.execute(
                    book.table.update()
                    .where(book.table.c[book.key].in_(repeats))
                    .values(requests=book.table.c.requests + 1)
                )
        return [_on_wire(book, r) for r in results]

    def look_up(self, book: Book, ids: list[str]) -> list[dict]:
        with self.engine.connect() as conn:
            known = _known_rows(conn, book, ids)
        out = []
        for order_id in ids:
            row = known.get(order_id)
            if row is None:
                out.append({"transfer_id": order_id, "status": "not_found"})
            else:
                out.append({**_result(row.transfer_id, row.status, row.code, row.reference),
                            "amount": row.amount, "paid_at": row.paid_at.isoformat()})
        return [_on_wire(book, r) for r in out]


def _known_rows(conn: Connection, book: Book, ids: list[str]) -> dict[str, _Known]:
    column = book.table.c[book.key]
    rows = conn.execute(select(book.table).where(column.in_(ids)))
    return {k.transfer_id: k for k in (_Known(book, row) for row in rows)}


def _read(item: object) -> Payment | dict:
    try:
        return Payment.model_validate(item)
    except ValidationError:
        return _invalid(item)


def _decide(p: Payment, known: dict, new_rows: list, repeats: list,
            now: datetime) -> dict | None:
    row = known.get(p.transfer_id)
    if row is True:
        return None  # the same id again in one batch: paid and answered once, at its first
    if row is not None:
        repeats.append(p.transfer_id)
        return _result(row.transfer_id, row.status, row.code, row.reference)
    code = PERMANENT_ERRORS.get(p.account_number)
    status = "rejected" if code else "paid"
    reference = None if code else "B" + secrets.token_hex(8)
    new_rows.append(
        dict(transfer_id=p.transfer_id, amount=p.amount, bank_code=p.bank_code,
             account_number=p.account_number, status=status, code=code,
             reference=reference, paid_at=now, requests=1)
    )
    known[p.transfer_id] = True  # a repeat inside one batch is still one payment
    return _result(p.transfer_id, status, code, reference)


def _invalid(raw: object) -> dict:
    """The recordable parts of an order the bank cannot read (`transfer_id` None when it
    has no usable id), cut to the columns' sizes."""
    item = raw if isinstance(raw, dict) else {}
    transfer_id, amount = item.get("transfer_id"), item.get("amount")
    usable_id = isinstance(transfer_id, str) and 0 < len(transfer_id) <= 36
    whole = isinstance(amount, int) and not isinstance(amount, bool) and 0 <= amount < 2**62
    return dict(
        transfer_id=transfer_id if usable_id else None,
        amount=amount if whole else 0,
        bank_code=str(item.get("bank_code", ""))[:4],
        account_number=str(item.get("account_number", ""))[:7],
    )


def _refuse_invalid(order: dict, known: dict, new_rows: list, now: datetime) -> dict | None:
    """Record and answer the refusal of an unreadable order; one without an id cannot
    be keyed, so it is left out of the answer (the sender sees it as unanswered)."""
    transfer_id = order["transfer_id"]
    if transfer_id is None:
        return None
    row = known.get(transfer_id)
    if row is True:
        return None
    if row is not None:
        return _result(row.transfer_id, row.status, row.code, row.reference)
    known[transfer_id] = True
    new_rows.append(dict(order, status="rejected", code="invalid_order", reference=None,
                         paid_at=now, requests=1))
    return _result(transfer_id, "rejected", "invalid_order", None)


def _as_payment(book: Book, item: object) -> object:
    """A collection's order with its id under `transfer_id`, as `Payment` reads it."""
    if book.key == "transfer_id" or not isinstance(item, dict):
        return item
    return {**{k: v for k, v in item.items() if k != book.key},
            "transfer_id": item.get(book.key)}


def _renamed(book: Book, fields: dict) -> dict:
    """`fields` with the generic `transfer_id` under the book's own name."""
    if book.key == "transfer_id":
        return fields
    return {book.key: fields["transfer_id"],
            **{k: v for k, v in fields.items() if k != "transfer_id"}}


_on_wire = _renamed  # an answer
_row_out = _renamed  # a new record row


def _result(transfer_id: str, status: str, code: str | None, reference: str | None) -> dict:
    return {"transfer_id": transfer_id, "status": status, "code": code, "reference": reference}
