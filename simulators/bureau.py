"""The credit bureau simulator (指定信用情報機関, e.g. JICC/CIC): a separate HTTP process
beside the bank simulator (`shunfuri bureau-simulator`, started by `shunfuri up`).

- `PUT /v1/bureau/records` `{kana_name, birth_date, phone, other_balance, other_count,
  delinquent}` sets what it will answer about that person (tests and load tests use it).
  Kana and phone are read as the application reads them (hiragana and half-width kana
  become full-width katakana, hyphens in a phone number are dropped), so a record and an
  inquiry about the same person always meet.
- `POST /v1/bureau/inquiries` `{kana_name, birth_date, phone}` -> `{found, other_balance,
  other_count, delinquent}`. A person it has no record of owes nothing and is not
  delinquent (`found: false`, zeros).
- `POST /v1/bureau/control` takes the bank simulator's fault fields (`latency_ms`,
  `transient_rate`, `lose_response_rate`, `outage`; `simulators.faults`), applied to
  inquiries; `GET /v1/bureau/stats` counts inquiries and lost answers.

Records live where the bank simulator keeps its own (`SHUNFURI_BANK_DATABASE_URL`, else
the system's database, else the data folder's second private database), in a table of
their own (`bureau_sim_records`) that nothing of ours reads but through the gateway.
Nothing here logs who was asked about.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Engine

from shunfuri.clock import wall_now
from shunfuri.db.session import make_engine
from shunfuri.domain import person_fields
from shunfuri.settings import get_settings
from simulators.faults import Control, Faults

metadata = MetaData()
records = Table(
    "bureau_sim_records",
    metadata,
    Column("kana_name", String(40), primary_key=True),
    Column("birth_date", Date, primary_key=True),
    Column("phone", String(11), primary_key=True),
    Column("other_balance", BigInteger, nullable=False),
    Column("other_count", Integer, nullable=False),
    Column("delinquent", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


class Person(BaseModel):
    kana_name: str = Field(min_length=1, max_length=80)
    birth_date: date
    phone: str = Field(min_length=1, max_length=32)


class Record(Person):
    other_balance: int = Field(ge=0, le=10**12)
    other_count: int = Field(ge=0, le=999)
    delinquent: bool = False


class Stats:
    def __init__(self) -> None:
        self.inquiries = 0  # inquiries served (their answer lost or not)
        self.lost_answers = 0  # served, then answered 504

    def as_dict(self) -> dict:
        return dict(vars(self))


def key_of(person: Person) -> tuple[str, date, str] | None:
    """The canonical key, or None when the kana name or the phone cannot be read."""
    try:
        return (person_fields.kana_name(person.kana_name), person.birth_date,
                person_fields.phone(person.phone))
    except person_fields.FieldRefused:
        return None


def _invalid() -> JSONResponse:
    return JSONResponse({"error": "invalid_key"}, status_code=422)


def create_app(database_url: str | None = None) -> FastAPI:
    """`database_url`: where the records are kept (default: as the bank simulator's)."""
    engine = make_engine(database_url or get_settings().resolved_bank_database_url)
    metadata.create_all(engine)
    faults, stats = Faults(), Stats()
    app = FastAPI(title="Shunfuri credit bureau simulator")
    app.state.engine = engine

    @app.put("/v1/bureau/records")
    async def put_record(record: Record) -> Any:
        key = key_of(record)
        if key is None:
            return _invalid()
        await asyncio.to_thread(_store, engine, key, record)
        return _answer(True, record.other_balance, record.other_count, record.delinquent)

    @app.post("/v1/bureau/inquiries")
    async def inquire(person: Person) -> Any:
        if (refused := await faults.degraded()) is not None:
            return refused
        key = key_of(person)
        if key is None:
            return _invalid()
        found = await asyncio.to_thread(_look_up, engine, key)
        stats.inquiries += 1
        if faults.answer_lost():
            stats.lost_answers += 1
            return faults.lost_answer()
        if found is None:
            return _answer(False, 0, 0, False)
        return _answer(True, found.other_balance, found.other_count, found.delinquent)

    @app.get("/v1/bureau/stats")
    def get_stats() -> dict:
        return stats.as_dict()

    @app.get("/v1/bureau/control")
    def get_control() -> dict:
        return faults.as_dict()

    @app.post("/v1/bureau/control")
    def set_control(change: Control) -> dict:
        return faults.apply(change)

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok"}

    return app


def _answer(found: bool, balance: int, count: int, delinquent: bool) -> dict:
    return {"found": found, "other_balance": balance, "other_count": count,
            "delinquent": delinquent}


def _store(engine: Engine, key: tuple[str, date, str], record: Record) -> None:
    values = {"other_balance": record.other_balance, "other_count": record.other_count,
              "delinquent": record.delinquent, "updated_at": wall_now()}
    kana, birth, phone = key
    statement = insert(records).values(kana_name=kana, birth_date=birth, phone=phone, **values)
    with engine.begin() as conn:
        conn.execute(statement.on_conflict_do_update(
            index_elements=["kana_name", "birth_date", "phone"], set_=values))


def _look_up(engine: Engine, key: tuple[str, date, str]) -> Any:
    kana, birth, phone = key
    with engine.connect() as conn:
        return conn.execute(select(records).where(
            records.c.kana_name == kana, records.c.birth_date == birth,
            records.c.phone == phone)).first()


def count_records(engine: Engine) -> int:
    """How many people the bureau has records of (for tests)."""
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(records)).scalar_one()
