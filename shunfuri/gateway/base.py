"""What the settlement service needs from a bank, whichever bank it is.

Permanent and transient failures are different on purpose: a permanent one (closed
account, name mismatch) fails the transfer and releases the hold; a transient one
(timeout, outage, 5xx) is retried with backoff, because the bank may have paid and
only the answer was lost. A payment is keyed by transfer id at the bank, so sending
again can only return the first result, never pay twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol


@dataclass(frozen=True)
class PaymentOrder:
    transfer_id: str
    amount: int
    bank_code: str
    branch_code: str
    account_type: str
    account_number: str
    holder_name: str


@dataclass(frozen=True)
class PaymentResult:
    transfer_id: str
    outcome: Literal["paid", "rejected"]
    code: str | None = None
    reference: str | None = None


class TransientBankError(Exception):
    """The bank did not give an answer we can trust: retry later, same transfer id."""


class BankGateway(Protocol):
    def pay(self, orders: list[PaymentOrder]) -> list[PaymentResult]:
        """One result per order, in order; raises TransientBankError for the whole call."""
        ...

    def warm(self) -> None:
        """Open what the first payment would otherwise open (best effort, never raises)."""
        ...
