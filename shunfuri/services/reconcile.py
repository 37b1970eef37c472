"""Our settled ledger against the bank simulator's record of what it paid.

- missing: paid by the bank but not settled by us (money out, no record), or settled by
  us but unknown to the bank (a record, no money out);
- doubled: more than one ledger entry or bank payment for one transfer;
- mismatched: both sides know the transfer but disagree on amount or bank;
- in_flight: paid by the bank while our row is still in doubt (`processing` or
  `needs_attention`, hold kept) - the answer is on its way, or was lost and the bank
  will be asked; not an error, reported apart (`shunfuri doubts` lists them).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass

from sqlalchemy import Engine, select

from shunfuri.db.models import LedgerEntry, Transfer
from shunfuri.simulator import payments


@dataclass(frozen=True)
class Report:
    ledger: int
    bank_paid: int
    missing: int
    doubled: int
    mismatched: int
    in_flight: int

    @property
    def clean(self) -> bool:
        return self.missing == 0 and self.doubled == 0 and self.mismatched == 0

    def as_dict(self) -> dict:
        return {**asdict(self), "clean": self.clean}


def reconcile(ours: Engine, bank: Engine) -> Report:
    with ours.connect() as conn:
        ledger = conn.execute(
            select(LedgerEntry.transfer_id, LedgerEntry.amount, LedgerEntry.bank_code)
        ).all()
        statuses = dict(conn.execute(select(Transfer.id, Transfer.status)).all())
    with bank.connect() as conn:
        paid = conn.execute(
            select(payments.c.transfer_id, payments.c.amount, payments.c.bank_code).where(
                payments.c.status == "paid"
            )
        ).all()
    ledger_counts = Counter(r.transfer_id for r in ledger)
    bank_counts = Counter(r.transfer_id for r in paid)
    doubled = sum(1 for c in ledger_counts.values() if c > 1) + sum(
        1 for c in bank_counts.values() if c > 1
    )
    ours_by_id = {r.transfer_id: (r.amount, r.bank_code) for r in ledger}
    bank_by_id = {r.transfer_id: (r.amount, r.bank_code) for r in paid}
    missing = in_flight = mismatched = 0
    for transfer_id, detail in bank_by_id.items():
        if transfer_id in ours_by_id:
            mismatched += ours_by_id[transfer_id] != detail
        elif statuses.get(transfer_id) in ("processing", "needs_attention"):
            in_flight += 1
        else:
            missing += 1
    missing += sum(1 for transfer_id in ours_by_id if transfer_id not in bank_by_id)
    return Report(
        ledger=len(ledger), bank_paid=len(paid), missing=missing, doubled=doubled,
        mismatched=mismatched, in_flight=in_flight,
    )
