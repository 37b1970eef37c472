"""Whether a transfer may be accepted: the one statement of the rules, in their order.

Every path that accepts or previews a transfer asks `refusal` (or `check`) here: the
API's full path (`services.transfers.accept.accept`), the member pages' review and
confirm (`services.transfers.confirm`), and the API's one-statement fast path, which is
*derived* from `RULES`: a rule marked `BEFORE` is run here before the statement, and each
rule marked `STATEMENT` must have a condition in the statement's WHERE clause
(`services.transfers.fast_accept.CONDITIONS`, checked when that module is imported). A
condition may be stricter than its rule, never looser: a request it turns away goes to
the full path, which gives the precise refusal here. A property test feeds every path
the same requests and demands the same answer (`tests/integration/test_acceptance_paths.py`).

The idempotent replay (a key already used) comes before all of these, and is the
paths' business: it answers with the earlier transfer, whatever the rules say now.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from shunfuri.domain.credit import available, validate_amount
from shunfuri.domain.credit_review import stopped_refusal
from shunfuri.domain.instants import iso_jst
from shunfuri.domain.overdue import overdue_refusal
from shunfuri.domain.own_name import is_own, refusal_for_money
from shunfuri.domain.windows import service_reopens_at
from shunfuri.errors import ShunfuriError


@dataclass(frozen=True)
class Overdue:
    """The ledger's answer for a member marked overdue: still overdue, by how much."""

    amount_to_lift: int
    missed_due_date: date


@dataclass(frozen=True)
class Borrower:
    status: str  # "active" | "suspended" (staff)
    stopped: bool  # the ongoing review stopped new advances (`credit_review_since`)
    marked_overdue: bool  # the daily job's mark (`overdue_since`)
    overdue: Overdue | None  # the ledger's answer, asked only when marked; None = not overdue
    credit_limit: int
    outstanding: int
    held: int
    name_key: str | None  # the member's name in kana, once known


@dataclass(frozen=True)
class Payee:
    """The payee, when it is one of the member's own registered accounts."""

    bank_code: str
    holder_name: str


@dataclass(slots=True)  # not frozen: built on every API request, and a frozen init is slower
class Request:
    borrower: Borrower
    payee: Payee | None  # None: no payee of the member's at this id
    amount: Any  # as received: the amount rule decides whether it is one
    now: datetime
    minimum: int  # settings: SHUNFURI_AMOUNT_MINIMUM
    step: int  # settings: SHUNFURI_AMOUNT_STEP


class Where(StrEnum):
    """Where the fast path checks a rule."""

    BEFORE = "before"  # in Python, before its statement (needs no row)
    STATEMENT = "statement"  # a condition of its statement


@dataclass(frozen=True)
class Rule:
    code: str  # the refusal's error code
    where: Where
    refuse: Callable[[Request], ShunfuriError | None]


def _suspended(r: Request) -> ShunfuriError | None:
    if r.borrower.status == "suspended":
        return ShunfuriError("account_suspended")
    return stopped_refusal() if r.borrower.stopped else None


def _overdue(r: Request) -> ShunfuriError | None:
    # The mark is the daily job's; the ledger has the last word (a repayment may have
    # lifted it since).
    owed = r.borrower.overdue
    if not r.borrower.marked_overdue or owed is None:
        return None
    return overdue_refusal(owed.amount_to_lift, owed.missed_due_date)


def _amount(r: Request) -> ShunfuriError | None:
    try:
        validate_amount(r.amount, minimum=r.minimum, step=r.step)
    except ShunfuriError as refused:
        return refused
    return None


def _payee(r: Request) -> ShunfuriError | None:
    if r.payee is not None:
        return None
    # 404 like every "nothing of yours at this id": the request is well formed; which
    # payees are yours is state, not shape.
    return ShunfuriError(
        "not_found:transfer_payee",
        errors=[{"field": "payee_id", "message": "no such payee"}],
    )


def _own_name(r: Request) -> ShunfuriError | None:
    if r.payee is None or is_own(r.borrower.name_key, r.payee.holder_name):
        return None
    return refusal_for_money()


def _open(r: Request) -> ShunfuriError | None:
    reopens = service_reopens_at(r.now)
    if reopens is None:
        return None
    return ShunfuriError(
        "service_closed", retry_at=iso_jst(reopens),
        retry_after=max(1, math.ceil((reopens - r.now).total_seconds())),
    )


def free_credit(b: Borrower) -> int:
    return available(b.credit_limit, b.outstanding, b.held)


def _credit(r: Request) -> ShunfuriError | None:
    # The worker's check under the member's row lock is the authoritative one; this one
    # spares the member a transfer that is bound to be rejected.
    free = free_credit(r.borrower)
    if r.amount > free:
        return ShunfuriError("insufficient_credit", available=max(0, free))
    return None


RULES: tuple[Rule, ...] = (
    Rule("account_suspended", Where.STATEMENT, _suspended),
    Rule("repayment_overdue", Where.STATEMENT, _overdue),
    Rule("invalid_amount", Where.BEFORE, _amount),
    Rule("not_found", Where.STATEMENT, _payee),
    Rule("payee_not_own_name", Where.STATEMENT, _own_name),
    Rule("service_closed", Where.BEFORE, _open),
    Rule("insufficient_credit", Where.STATEMENT, _credit),
)


def refusal(request: Request, rules: tuple[Rule, ...] = RULES) -> ShunfuriError | None:
    """The first rule that refuses `request`, in the rules' order; None: acceptable."""
    for rule in rules:
        refused = rule.refuse(request)
        if refused is not None:
            return refused
    return None


def check(request: Request) -> None:
    refused = refusal(request)
    if refused is not None:
        raise refused


def before_statement() -> tuple[Rule, ...]:
    """The rules the fast path runs before its statement."""
    return tuple(r for r in RULES if r.where is Where.BEFORE)


def in_statement() -> tuple[Rule, ...]:
    """The rules the fast path's statement must state as conditions."""
    return tuple(r for r in RULES if r.where is Where.STATEMENT)
