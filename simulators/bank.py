"""The bank simulator: a separate HTTP process that pays (keyed by transfer id) and
collects from members' accounts (keyed by repayment id).

A stand-in for a bank, not an adapter: it sits outside the layers on purpose.

It keeps its own record of what it paid (table `bank_sim_payments`, in its own
database or a table of ours it alone writes), so `shunfuri reconcile` can compare
our ledger with what the "bank" says. Faults are switchable at run time through
`POST /v1/control` for load and chaos tests: latency, transient-error rate, an
outage, "paid but the answer was lost", and "paid but the answer is a 200 nobody can
read" (`garbage_rate`, with `garbage_body` saying which kind of garbage); they apply to
payments, collections and status inquiries alike. `GET /v1/stats` counts what happened
(answers lost or garbled, inquiries).

Permanent-error cases are fixed account numbers, so tests can ask for them:
  9999999 -> account_closed, 9999998 -> name_mismatch.
Each order of a batch is checked on its own: one the bank cannot read is refused
(`invalid_order`, recorded like any refusal) and the others are paid.

Status inquiry (after ISO 20022 pacs.028 / Mojaloop `GET /transfers/{id}`):
`GET /v1/payments/{transfer_id}` answers the recorded payment (paid or rejected, with
its reference) or 404 `payment_not_found` (never received); `POST
/v1/payments:inquire` asks about several ids at once.

Collections (internet repayment: the bank debits the member's registered account) are
the same book with other names: `POST /v1/collections:batch` (`{"collections": [...]}`,
each keyed by `repayment_id`), `GET /v1/collections/{repayment_id}` (404
`collection_not_found`), `POST /v1/collections:inquire` (`{"repayment_ids": [...]}`),
recorded in `bank_sim_collections`, with the same fault controls and the same
fixed-account refusals. Answers say `paid` for a collection the bank made.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    select,
)
from sqlalchemy.engine import Engine

from shunfuri.clock import wall_now
from shunfuri.db.session import make_engine
from shunfuri.settings import get_settings
from simulators.faults import GARBAGE, Control, Faults, Stats

metadata = MetaData()
payments = Table(
    "bank_sim_payments",
    metadata,
    Column("transfer_id", String(36), primary_key=True),
    Column("amount", BigInteger, nullable=False),
    Column("bank_code", String(4), nullable=False),
    Column("account_number", String(7), nullable=False),
    Column("status", String(16), nullable=False),
    Column("code", String(64)),
    Column("reference", String(32)),
    Column("paid_at", DateTime(timezone=True), nullable=False),
    # How many times this transfer id was asked for: >1 means our side retried.
    Column("requests", Integer, nullable=False, default=1),
)

collections = Table(
    "bank_sim_collections",
    metadata,
    Column("repayment_id", String(36), primary_key=True),
    Column("amount", BigInteger, nullable=False),
    Column("bank_code", String(4), nullable=False),
    Column("account_number", String(7), nullable=False),
    Column("status", String(16), nullable=False),
    Column("code", String(64)),
    Column("reference", String(32)),
    Column("paid_at", DateTime(timezone=True), nullable=False),
    Column("requests", Integer, nullable=False, default=1),
)

PERMANENT_ERRORS = {"9999999": "account_closed", "9999998": "name_mismatch"}


@dataclass(frozen=True)
class Book:
    """One kind of order the bank keeps a record of, and its names on the wire."""

    table: Table
    key: str  # the id field of an order and of an answer
    items: str  # the batch's list field
    ids: str  # the inquiry's list field
    not_found: str  # the error of a one-id inquiry about an id never received


PAYMENTS = Book(payments, "transfer_id", "payments", "transfer_ids", "payment_not_found")
COLLECTIONS = Book(collections, "repayment_id", "collections", "repayment_ids",
                   "collection_not_found")


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


def _as_payment(book: Book, item: object) -> object:
    """A collection's order with its id under `transfer_id`, as `Payment` reads it."""
    if book.key == "transfer_id" or not isinstance(item, dict):
        return item
    return {**{k: v for k, v in item.items() if k != book.key},
            "transfer_id": item.get(book.key)}


def _on_wire(book: Book, answer: dict) -> dict:
    if book.key == "transfer_id":
        return answer
    return {book.key: answer["transfer_id"],
            **{k: v for k, v in answer.items() if k != "transfer_id"}}


def _row_out(book: Book, row: dict) -> dict:
    """A new record row under the book's column names."""
    if book.key == "transfer_id":
        return row
    return {book.key: row["transfer_id"], **{k: v for k, v in row.items() if k != "transfer_id"}}


class _Known:
    """A recorded row read back under the generic name `transfer_id`."""

    __slots__ = ("transfer_id", "amount", "status", "code", "reference", "paid_at")

    def __init__(self, book: Book, row: object) -> None:
        mapping = row._mapping  # type: ignore[attr-defined]
        self.transfer_id = mapping[book.key]
        for name in self.__slots__[1:]:
            setattr(self, name, mapping[name])


def _engine(url: str) -> Engine:
    """The simulator's own pool: every statement planned for the table as it is now.

    Its table starts empty on a new database and grows by a row per payment; a plan
    cached early (a sequential scan of a tiny table) stayed in use at 100,000 rows and
    made each look-up of a 500-order batch cost ~10 ms of PostgreSQL's CPU."""
    return make_engine(url, options="-c plan_cache_mode=force_custom_plan")


def create_app() -> FastAPI:
    engine = _engine(get_settings().resolved_bank_database_url)
    metadata.create_all(engine)
    faults, stats = Faults(), Stats()
    lock = threading.Lock()  # one writer at a time keeps "pay once" trivially true
    app = FastAPI(title="Shunfuri bank simulator")

    def known_rows(conn: object, book: Book, ids: list[str]) -> dict[str, _Known]:
        column = book.table.c[book.key]
        rows = conn.execute(select(book.table).where(column.in_(ids)))  # type: ignore[attr-defined]
        return {k.transfer_id: k for k in (_Known(book, row) for row in rows)}

    def record(book: Book, raw: list[dict]) -> list[dict]:
        now = wall_now()
        batch: list[Payment | dict] = []
        for item in raw:
            item = _as_payment(book, item)
            try:
                batch.append(Payment.model_validate(item))
            except ValidationError:
                batch.append(_invalid(item))
        ids = [p.transfer_id if isinstance(p, Payment) else p["transfer_id"] for p in batch]
        ids = [i for i in ids if i is not None]
        with lock, engine.begin() as conn:
            known: dict = known_rows(conn, book, ids)
            new_rows, results, repeats = [], [], []
            for p in batch:
                if isinstance(p, dict):
                    stats.refused_invalid += 1
                    result = _refuse_invalid(p, known, new_rows, now)
                    if result is not None:
                        results.append(result)
                    continue
                row = known.get(p.transfer_id)
                if row is True:
                    continue  # the same id again in one batch: paid and answered once, at its first
                if row is not None:
                    repeats.append(p.transfer_id)
                    results.append(_result(row.transfer_id, row.status, row.code, row.reference))
                    continue
                code = PERMANENT_ERRORS.get(p.account_number)
                status = "rejected" if code else "paid"
                reference = None if code else "B" + secrets.token_hex(8)
                new_rows.append(
                    dict(transfer_id=p.transfer_id, amount=p.amount, bank_code=p.bank_code,
                         account_number=p.account_number, status=status, code=code,
                         reference=reference, paid_at=now, requests=1)
                )
                known[p.transfer_id] = True  # a repeat inside one batch is still one payment
                results.append(_result(p.transfer_id, status, code, reference))
            if new_rows:
                conn.execute(book.table.insert(), [_row_out(book, r) for r in new_rows])
            if repeats:
                conn.execute(
                    book.table.update()
                    .where(book.table.c[book.key].in_(repeats))
                    .values(requests=book.table.c.requests + 1)
                )
        return [_on_wire(book, r) for r in results]

    def look_up(book: Book, ids: list[str]) -> list[dict]:
        with engine.connect() as conn:
            known = known_rows(conn, book, ids)
        out = []
        for order_id in ids:
            row = known.get(order_id)
            if row is None:
                out.append({"transfer_id": order_id, "status": "not_found"})
            else:
                out.append({**_result(row.transfer_id, row.status, row.code, row.reference),
                            "amount": row.amount, "paid_at": row.paid_at.isoformat()})
        return [_on_wire(book, r) for r in out]

    degraded = faults.degraded  # the faults every endpoint honours before its work

    def answer_lost(count: int) -> bool:
        if faults.answer_lost():
            stats.lost_answers += count
            return True
        return False

    def garbled() -> Response | None:
        """The work is done; the answer leaves as a 200 nobody can read."""
        if random.random() >= faults.garbage_rate:
            return None
        stats.garbled_answers += 1
        body, media_type = GARBAGE[faults.garbage_body]
        return Response(body, status_code=200, media_type=media_type)

    async def take(book: Book, items: list[dict]) -> Response:
        if (refused := await degraded()) is not None:
            return refused
        results = await asyncio.to_thread(record, book, items)
        if book is PAYMENTS:
            stats.orders += len(items)
        else:
            stats.collections += len(items)
        if answer_lost(len(results)):
            return JSONResponse({"error": "gateway_timeout"}, status_code=504)
        return garbled() or JSONResponse({"results": results})

    async def answer_one(book: Book, order_id: str) -> Response:
        if (refused := await degraded()) is not None:
            return refused
        [found] = await asyncio.to_thread(look_up, book, [order_id[:64]])
        stats.inquiries += 1
        if answer_lost(0):
            return JSONResponse({"error": "gateway_timeout"}, status_code=504)
        if (garbage := garbled()) is not None:
            return garbage
        if found["status"] == "not_found":
            return JSONResponse({"error": book.not_found, book.key: order_id},
                                status_code=404)
        return JSONResponse(found)

    async def answer_many(book: Book, ids: list[str]) -> Response:
        if (refused := await degraded()) is not None:
            return refused
        found = await asyncio.to_thread(look_up, book, [i[:64] for i in ids])
        stats.inquiries += len(found)
        if answer_lost(0):
            return JSONResponse({"error": "gateway_timeout"}, status_code=504)
        return garbled() or JSONResponse({"results": found})

    @app.post("/v1/payments:batch")
    async def pay(batch: PaymentBatch) -> JSONResponse:
        return await take(PAYMENTS, batch.payments)

    @app.get("/v1/payments/{transfer_id}")
    async def inquire_one(transfer_id: str) -> JSONResponse:
        return await answer_one(PAYMENTS, transfer_id)

    @app.post("/v1/payments:inquire")
    async def inquire_many(batch: InquiryBatch) -> JSONResponse:
        return await answer_many(PAYMENTS, batch.transfer_ids)

    @app.post("/v1/collections:batch")
    async def collect(batch: CollectionBatch) -> JSONResponse:
        return await take(COLLECTIONS, batch.collections)

    @app.get("/v1/collections/{repayment_id}")
    async def inquire_collection(repayment_id: str) -> JSONResponse:
        return await answer_one(COLLECTIONS, repayment_id)

    @app.post("/v1/collections:inquire")
    async def inquire_collections(batch: CollectionInquiryBatch) -> JSONResponse:
        return await answer_many(COLLECTIONS, batch.repayment_ids)

    @app.get("/v1/stats")
    def get_stats() -> dict:
        return stats.as_dict()

    @app.get("/v1/control")
    def get_control() -> dict:
        return faults.as_dict()

    @app.post("/v1/control")
    def set_control(change: Control) -> dict:
        return faults.apply(change)

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok"}

    return app


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


def _result(transfer_id: str, status: str, code: str | None, reference: str | None) -> dict:
    return {"transfer_id": transfer_id, "status": status, "code": code, "reference": reference}
