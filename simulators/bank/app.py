"""The bank simulator's HTTP application: orders (pay, collect, inquire), the statement,
and the fault controls."""

from __future__ import annotations

import asyncio
import random
from datetime import date

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from sqlalchemy.engine import Engine

from shunfuri.settings import get_settings
from simulators.bank import statement
from simulators.bank.books import COLLECTIONS, PAYMENTS, Book, metadata, open_engine
from simulators.bank.orders import (
    CollectionBatch,
    CollectionInquiryBatch,
    InquiryBatch,
    PaymentBatch,
    Record,
)
from simulators.faults import GARBAGE, Control, Faults, Stats


def create_app() -> FastAPI:
    engine = open_engine(get_settings().resolved_bank_database_url)
    metadata.create_all(engine)
    faults, stats = Faults(), Stats()
    app = FastAPI(title="Shunfuri bank simulator")
    _order_routes(app, _Desk(Record(engine, stats), faults, stats))
    _statement_routes(app, engine, faults)
    _control_routes(app, faults, stats)
    return app


class _Desk:
    """Serves order calls under the faults in force: refused before the work
    (`degraded`), or done and then answered lost (504) or garbled (a 200 nobody can read)."""

    def __init__(self, record: Record, faults: Faults, stats: Stats) -> None:
        self.record, self.faults, self.stats = record, faults, stats

    def answer_lost(self, count: int) -> bool:
        if self.faults.answer_lost():
            self.stats.lost_answers += count
            return True
        return False

    def garbled(self) -> Response | None:
        """The work is done; the answer leaves as a 200 nobody can read."""
        if random.random() >= self.faults.garbage_rate:
            return None
        self.stats.garbled_answers += 1
        body, media_type = GARBAGE[self.faults.garbage_body]
        return Response(body, status_code=200, media_type=media_type)

    async def take(self, book: Book, items: list[dict]) -> Response:
        if (refused := await self.faults.degraded()) is not None:
            return refused
        results = await asyncio.to_thread(self.record.record, book, items)
        if book is PAYMENTS:
            self.stats.orders += len(items)
        else:
            self.stats.collections += len(items)
        if self.answer_lost(len(results)):
            return Faults.lost_answer()
        return self.garbled() or JSONResponse({"results": results})

    async def answer_one(self, book: Book, order_id: str) -> Response:
        if (refused := await self.faults.degraded()) is not None:
            return refused
        [found] = await asyncio.to_thread(self.record.look_up, book, [order_id[:64]])
        self.stats.inquiries += 1
        if self.answer_lost(0):
            return Faults.lost_answer()
        if (garbage := self.garbled()) is not None:
            return garbage
        if found["status"] == "not_found":
            return JSONResponse({"error": book.not_found, book.key: order_id},
                                status_code=404)
        return JSONResponse(found)

    async def answer_many(self, book: Book, ids: list[str]) -> Response:
        if (refused := await self.faults.degraded()) is not None:
            return refused
        found = await asyncio.to_thread(self.record.look_up, book, [i[:64] for i in ids])
        self.stats.inquiries += len(found)
        if self.answer_lost(0):
            return Faults.lost_answer()
        return self.garbled() or JSONResponse({"results": found})


def _order_routes(app: FastAPI, desk: _Desk) -> None:
    @app.post("/v1/payments:batch")
    async def pay(batch: PaymentBatch) -> Response:
        return await desk.take(PAYMENTS, batch.payments)

    @app.get("/v1/payments/{transfer_id}")
    async def inquire_one(transfer_id: str) -> Response:
        return await desk.answer_one(PAYMENTS, transfer_id)

    @app.post("/v1/payments:inquire")
    async def inquire_many(batch: InquiryBatch) -> Response:
        return await desk.answer_many(PAYMENTS, batch.transfer_ids)

    @app.post("/v1/collections:batch")
    async def collect(batch: CollectionBatch) -> Response:
        return await desk.take(COLLECTIONS, batch.collections)

    @app.get("/v1/collections/{repayment_id}")
    async def inquire_collection(repayment_id: str) -> Response:
        return await desk.answer_one(COLLECTIONS, repayment_id)

    @app.post("/v1/collections:inquire")
    async def inquire_collections(batch: CollectionInquiryBatch) -> Response:
        return await desk.answer_many(COLLECTIONS, batch.repayment_ids)


def _refused(error: str, detail_ja: str) -> JSONResponse:
    return JSONResponse({"error": error, "detail_ja": detail_ja}, status_code=400)


def _statement_routes(app: FastAPI, engine: Engine, faults: Faults) -> None:
    @app.get("/v1/statements")
    async def statement_days() -> Response:
        if (refused := await faults.degraded()) is not None:
            return refused
        found = await asyncio.to_thread(statement.days, engine)
        return JSONResponse({"days": [d.isoformat() for d in found]})

    @app.get("/v1/statements/{day}")
    async def statement_page(day: str, after: str | None = None,
                             limit: str = "1000") -> Response:
        try:
            booked = date.fromisoformat(day)
        except ValueError:
            return _refused("invalid_day", "日付は YYYY-MM-DD の形でご指定ください。")
        if not limit.isdigit() or not 1 <= int(limit) <= statement.MAX_PAGE:
            return _refused("invalid_limit",
                            f"件数は 1 から {statement.MAX_PAGE} までの整数でご指定ください。")
        if (refused := await faults.degraded()) is not None:
            return refused
        try:
            lines, after_last = await asyncio.to_thread(
                statement.page, engine, booked, after, int(limit))
        except statement.BadCursor:
            return _refused("invalid_cursor", "続きの位置 (after) が正しくありません。")
        return JSONResponse({"day": booked.isoformat(), "lines": lines, "next": after_last})


def _control_routes(app: FastAPI, faults: Faults, stats: Stats) -> None:
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
