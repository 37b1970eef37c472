"""The kinds of bank order, in one model: a transfer (an advance paid out to the member's
registered account) and a repayment (collected from it).

Everything an order's kind changes is here: its table and member's view, its claim and
finish steps, which of the bank's books it is kept in (payments or collections), whether
a real-time bank's maintenance window holds it back, how its steps write their rows, how
its workers are woken after a commit, and its name on the staff pages and in the audit
log. The drain and the collector (`pipeline`), the steps around each send (`sending`),
the doubts (`doubts`) and the staff pages and API all take an `OrderKind`; the in-doubt
rule, the transitions and the bank step are the same code for both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from shunfuri.db.models import Repayment, Transfer
from shunfuri.errors import ShunfuriError
from shunfuri.gateway.base import BankGateway
from shunfuri.services import effects
from shunfuri.services.orders.outcome import Outcome
from shunfuri.services.repayments import accept as repayments
from shunfuri.services.repayments import collections
from shunfuri.services.transfers import accept as transfers
from shunfuri.services.transfers import settlement


@dataclass(frozen=True)
class OrderKind:
    name: str  # "transfer" | "repayment": the doubts list, audit actions, notes
    path: str  # "transfers" | "repayments": its staff pages' and staff API's URL segment
    model: Any  # its table's model
    view: Callable[[Any], dict[str, Any]]  # the member's view, published with each change
    queue: str  # the label of its passes' metrics
    batch: int  # rows a drain pass claims at most
    # claim(session, *, now, wall, limit, older_than) -> (rows to send, outcome)
    claim: Callable[..., tuple[list[Any], Outcome]]
    orders_for: Callable[[Session, list[Any]], list[Any]]  # the bank orders for claimed rows
    finish: Callable[..., Outcome]  # the bank's answers applied (`settlement.finish`)
    book: Callable[[BankGateway], BankGateway]  # the bank's book: payments / collections
    guard_maintenance: bool  # held back from a real-time bank in maintenance
    # The steps write their changed rows as sets (`pipeline._transaction`). The
    # repayments' finish queries the member's dues while it changes rows, so it keeps
    # the unit of work.
    set_writes: bool
    wake: effects.Effect  # after a commit that gives its workers something to send


def _payments(gateway: BankGateway) -> BankGateway:
    return gateway


def _collections(gateway: BankGateway) -> BankGateway:
    return gateway.collections()


TRANSFER = OrderKind(
    name="transfer", path="transfers", model=Transfer, view=transfers.view, queue="instant",
    batch=200, claim=settlement.claim, orders_for=settlement.orders_for,
    finish=settlement.finish, book=_payments, guard_maintenance=True, set_writes=True,
    wake=transfers.WAKE_DRAIN,
)
# A collection debits the member's registered account: its bank order is built like a
# payment's (`settlement.orders_for`); no maintenance guard (collections are not
# real-time payments).
REPAYMENT = OrderKind(
    name="repayment", path="repayments", model=Repayment, view=repayments.view,
    queue="repayments", batch=100, claim=collections.claim,
    orders_for=settlement.orders_for, finish=collections.finish, book=_collections,
    guard_maintenance=False, set_writes=False, wake=repayments.WAKE_COLLECTOR,
)

KINDS = {k.name: k for k in (TRANSFER, REPAYMENT)}
_BY_MODEL = {k.model: k for k in KINDS.values()}


def of(order: Any) -> OrderKind:
    """The kind of a row of one of the order tables."""
    return _BY_MODEL[type(order)]


def named(name: str) -> OrderKind:
    """The kind called `name`; `not_found` for any other name (it comes from a URL)."""
    kind = KINDS.get(name)
    if kind is None:
        raise ShunfuriError("not_found")
    return kind
