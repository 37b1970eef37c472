"""What the settlement service needs from a bank, whichever bank it is.

Permanent and transient failures are different on purpose: a permanent one (closed
account, name mismatch, an order the bank found invalid) fails that order and releases
its hold; a transient one (timeout, outage, 5xx, an order missing from the answer) is
retried, because the bank may have paid and only the answer was lost. A payment is
keyed by our id at the bank, so sending again can only return the first result, never
pay twice. Results are per order: one refused order never holds up the others of its
batch.

Before an order in doubt is sent again, the bank is asked about it (`inquire`, a
payment status request after ISO 20022 pacs.028 and Mojaloop `GET /transfers/{id}`);
only "no record of it" allows sending again, under the same id.

Reconciliation reads the bank's side from its statement (`BankStatements`): the days it
booked something, and each day's lines (payments and collections, paid or refused), as
a bank's statement API or a Zengin result file per day would give them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

from shunfuri.domain.orders import Answer


@dataclass(frozen=True)
class PaymentOrder:
    """One order for the bank. `transfer_id` is the order's id at the bank: a transfer's
    id for a payment, a repayment's id for a collection (`BankGateway.collections`)."""

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
    # "unanswered": no trustworthy answer for this order; ask again later, same id.
    outcome: Literal["paid", "rejected", "unanswered"]
    code: str | None = None
    reference: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Inquiry:
    """The bank's answer about one order id (see `shunfuri.domain.orders.Answer`)."""

    order_id: str
    answer: Answer
    reference: str | None = None
    code: str | None = None
    amount: int | None = None
    error: str | None = None


class TransientBankError(Exception):
    """The bank did not give an answer we can trust: retry later, same id."""


class BankGateway(Protocol):
    def pay(self, orders: list[PaymentOrder]) -> list[PaymentResult]:
        """One result per order, in order; raises TransientBankError when the whole
        call got no trustworthy answer."""
        ...

    def inquire(self, order_ids: list[str]) -> list[Inquiry]:
        """What the bank knows of each id, in order; raises TransientBankError when the
        whole call got no trustworthy answer."""
        ...

    def warm(self) -> None:
        """Open what the first payment would otherwise open (best effort, never raises)."""
        ...

    def collections(self) -> BankGateway:
        """The same bank collecting from members' accounts (repayments): `pay` debits the
        order's account, `inquire` asks about collections; same keys, same answers."""
        ...


@dataclass(frozen=True)
class StatementLine:
    """One order as the bank's statement books it. `order_id` is our id at the bank (a
    transfer's for a payment, a repayment's for a collection)."""

    kind: Literal["payment", "collection"]
    order_id: str
    amount: int
    bank_code: str
    status: str  # "paid", or "rejected" with its `code`
    code: str | None = None
    reference: str | None = None


class BankStatements(Protocol):
    def statement_days(self) -> list[date]:
        """The days the bank booked something, oldest first; raises TransientBankError
        when no trustworthy answer came."""
        ...

    def statement(self, day: date) -> Iterator[StatementLine]:
        """Every line of `day`, page after page; raises TransientBankError when a page
        got no trustworthy answer (a statement is all or nothing for reconciliation)."""
        ...
