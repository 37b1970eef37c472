"""Our books against the bank's statement: payments (transfers) and collections
(repayments), each compared the same way.

- missing: done by the bank but not settled by us (money moved, no record), or settled by
  us but unknown to the bank (a record, no money moved);
- doubled: more than one record on either side for one id;
- mismatched: both sides know the id but disagree on amount or bank;
- in_flight: done by the bank while our row is still in doubt (`processing` or
  `needs_attention`) - the answer is on its way, or was lost and the bank will be
  asked; not an error, reported apart (`shunfuri doubts` lists them).

Transfers: our `ledger_entries` against the statement's paid payment lines. Repayments:
our `settled` repayments against its paid collection lines. The bank's side is read
through the gateway (`BankStatements`: every day it booked, page by page), as it would
be from a real bank; never from its tables. Our side is read first: an order the bank
pays in between is still `processing` here, so it counts as in flight, not missing.
The report's top-level counts are the transfers' (as before); `repayments` holds the
same counts for collections, and `clean` needs both clean.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Engine, select

from shunfuri.db.models import LedgerEntry, Repayment, Transfer
from shunfuri.domain.orders import NEEDS_ATTENTION, PROCESSING, SETTLED
from shunfuri.gateway.base import BankStatements

IN_DOUBT = (PROCESSING, NEEDS_ATTENTION)
BankLine = tuple[str, int, str]  # a paid line: our id at the bank, amount, bank code


@dataclass(frozen=True)
class Counts:
    ours: int
    bank: int
    missing: int
    doubled: int
    mismatched: int
    in_flight: int

    @property
    def clean(self) -> bool:
        return self.missing == 0 and self.doubled == 0 and self.mismatched == 0


@dataclass(frozen=True)
class Report:
    ledger: int
    bank_paid: int
    missing: int
    doubled: int
    mismatched: int
    in_flight: int
    repayments: Counts = field(default_factory=lambda: Counts(0, 0, 0, 0, 0, 0))

    @property
    def clean(self) -> bool:
        transfers_clean = self.missing == 0 and self.doubled == 0 and self.mismatched == 0
        return transfers_clean and self.repayments.clean

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["repayments"] = {**asdict(self.repayments), "clean": self.repayments.clean}
        return {**out, "clean": self.clean}


def compare(ours: Sequence[Any], bank: Sequence[Any], statuses: dict[str, str]) -> Counts:
    """`ours` and `bank` rows are (id, amount, bank_code); `statuses` our rows' status."""
    ours_counts = Counter(r[0] for r in ours)
    bank_counts = Counter(r[0] for r in bank)
    doubled = sum(1 for c in ours_counts.values() if c > 1) + sum(
        1 for c in bank_counts.values() if c > 1)
    ours_by_id = {r[0]: (r[1], r[2]) for r in ours}
    bank_by_id = {r[0]: (r[1], r[2]) for r in bank}
    missing = in_flight = mismatched = 0
    for order_id, detail in bank_by_id.items():
        if order_id in ours_by_id:
            mismatched += ours_by_id[order_id] != detail
        elif statuses.get(order_id) in IN_DOUBT:
            in_flight += 1
        else:
            missing += 1
    missing += sum(1 for order_id in ours_by_id if order_id not in bank_by_id)
    return Counts(ours=len(ours), bank=len(bank), missing=missing, doubled=doubled,
                  mismatched=mismatched, in_flight=in_flight)


def bank_side(bank: BankStatements) -> tuple[list[BankLine], list[BankLine]]:
    """The statement's paid lines as (id, amount, bank_code): payments, collections."""
    paid: list[BankLine] = []
    collected: list[BankLine] = []
    for day in bank.statement_days():
        for line in bank.statement(day):
            if line.status == "paid":
                side = paid if line.kind == "payment" else collected
                side.append((line.order_id, line.amount, line.bank_code))
    return paid, collected


def reconcile(ours: Engine, bank: BankStatements) -> Report:
    """Raises TransientBankError when the bank's statement could not be read whole."""
    with ours.connect() as conn:
        ledger = conn.execute(
            select(LedgerEntry.transfer_id, LedgerEntry.amount, LedgerEntry.bank_code)
        ).all()
        transfer_statuses = dict(conn.execute(select(Transfer.id, Transfer.status)).all())
        repaid = conn.execute(
            select(Repayment.id, Repayment.amount, Repayment.bank_code)
            .where(Repayment.status == SETTLED)
        ).all()
        repayment_statuses = dict(conn.execute(select(Repayment.id, Repayment.status)).all())
    paid, collected = bank_side(bank)
    transfers = compare(ledger, paid, transfer_statuses)
    return Report(
        ledger=transfers.ours, bank_paid=transfers.bank, missing=transfers.missing,
        doubled=transfers.doubled, mismatched=transfers.mismatched,
        in_flight=transfers.in_flight,
        repayments=compare(repaid, collected, repayment_statuses),
    )
