"""The bank's two books (what it paid, what it collected) and its own database pool.

Both tables are the simulator's alone: the system under test never reads them, it asks
the bank (inquiries, the statement) over HTTP as it would a real bank."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, String, Table
from sqlalchemy.engine import Engine

from shunfuri.db.session import make_engine

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
    kind: str  # what a statement line calls an order of this book


PAYMENTS = Book(payments, "transfer_id", "payments", "transfer_ids", "payment_not_found",
                "payment")
COLLECTIONS = Book(collections, "repayment_id", "collections", "repayment_ids",
                   "collection_not_found", "collection")


def open_engine(url: str) -> Engine:
    """The simulator's own pool: every statement planned for the table as it is now.

    Its table starts empty on a new database and grows by a row per payment; a plan
    cached early (a sequential scan of a tiny table) stayed in use at 100,000 rows and
    made each look-up of a 500-order batch cost ~10 ms of PostgreSQL's CPU."""
    return make_engine(url, options="-c plan_cache_mode=force_custom_plan")
