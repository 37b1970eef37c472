"""The bank simulator: a separate HTTP process that pays, keyed by transfer id.

A stand-in for a bank, not an adapter: it sits outside the layers on purpose.

It keeps its own record of what it paid (table `bank_sim_payments`, in its own
database or a table of ours it alone writes), so `shunfuri reconcile` can compare
our ledger with what the "bank" says. Faults are switchable at run time through
`POST /v1/control` for load and chaos tests: latency, transient-error rate, an
outage, and "paid but the answer was lost".

Permanent-error cases are fixed account numbers, so tests can ask for them:
  9999999 -> account_closed, 9999998 -> name_mismatch.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import threading
from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
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

from shunfuri.db.session import engine_for
from shunfuri.settings import get_settings

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

PERMANENT_ERRORS = {"9999999": "account_closed", "9999998": "name_mismatch"}


class Payment(BaseModel):
    transfer_id: str = Field(min_length=1, max_length=36)
    amount: int = Field(gt=0)
    bank_code: str
    branch_code: str
    account_type: str
    account_number: str
    holder_name: str


class PaymentBatch(BaseModel):
    payments: list[Payment] = Field(max_length=5000)


class Control(BaseModel):
    latency_ms: float | None = Field(default=None, ge=0, le=60_000)
    transient_rate: float | None = Field(default=None, ge=0, le=1)
    lose_response_rate: float | None = Field(default=None, ge=0, le=1)
    outage: bool | None = None


class Faults:
    def __init__(self) -> None:
        self.latency_ms = 2.0
        self.transient_rate = 0.0
        self.lose_response_rate = 0.0
        self.outage = False

    def as_dict(self) -> dict:
        return dict(vars(self))


def create_app() -> FastAPI:
    engine = engine_for(get_settings().resolved_bank_database_url)
    metadata.create_all(engine)
    faults = Faults()
    lock = threading.Lock()  # one writer at a time keeps "pay once" trivially true
    app = FastAPI(title="Shunfuri bank simulator")

    def record(batch: list[Payment]) -> list[dict]:
        now = datetime.now(UTC)
        ids = [p.transfer_id for p in batch]
        with lock, engine.begin() as conn:
            known = {
                row.transfer_id: row
                for row in conn.execute(select(payments).where(payments.c.transfer_id.in_(ids)))
            }
            new_rows, results, repeats = [], [], []
            for p in batch:
                row = known.get(p.transfer_id)
                if row is True:
                    continue  # the same id twice in one batch: answered below, paid once
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
                conn.execute(payments.insert(), new_rows)
            if repeats:
                conn.execute(
                    payments.update()
                    .where(payments.c.transfer_id.in_(repeats))
                    .values(requests=payments.c.requests + 1)
                )
        return results

    @app.post("/v1/payments:batch")
    async def pay(batch: PaymentBatch) -> JSONResponse:
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if faults.outage or random.random() < faults.transient_rate:
            return JSONResponse({"error": "temporarily_unavailable"}, status_code=503)
        results = await asyncio.to_thread(record, batch.payments)
        if random.random() < faults.lose_response_rate:
            return JSONResponse({"error": "gateway_timeout"}, status_code=504)
        return JSONResponse({"results": results})

    @app.get("/v1/control")
    def get_control() -> dict:
        return faults.as_dict()

    @app.post("/v1/control")
    def set_control(change: Control) -> dict:
        for key, value in change.model_dump(exclude_none=True).items():
            setattr(faults, key, value)
        return faults.as_dict()

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok"}

    return app


def _result(transfer_id: str, status: str, code: str | None, reference: str | None) -> dict:
    return {"transfer_id": transfer_id, "status": status, "code": code, "reference": reference}
