"""The acceptance rules (`domain.acceptance`): one order of refusals, and the fast path
derived from them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from shunfuri.domain import acceptance
from shunfuri.domain.instants import parse_instant

OPEN = parse_instant("2026-12-01T10:00:00+09:00")  # Tuesday
CLOSED = parse_instant("2026-11-30T06:30:00+09:00")  # Monday before 07:00

BORROWER = acceptance.Borrower(
    status="active", stopped=False, marked_overdue=False, overdue=None,
    credit_limit=50_000, outstanding=0, held=0, name_key=None)
OK = acceptance.Request(borrower=BORROWER, payee=acceptance.Payee("0009", "ﾔﾏﾀﾞ ﾀﾛｳ"),
                        amount=10_000, now=OPEN, minimum=1000, step=1000)


def code(request: acceptance.Request) -> str | None:
    refused = acceptance.refusal(request)
    return None if refused is None else refused.code


def test_a_plain_request_is_acceptable() -> None:
    assert code(OK) is None
    acceptance.check(OK)  # does not raise


def test_everything_wrong_at_once_is_refused_by_the_first_rule_in_order() -> None:
    worst = replace(
        OK, borrower=replace(BORROWER, status="suspended", stopped=True, marked_overdue=True,
                             overdue=acceptance.Overdue(4000, date(2026, 11, 25)),
                             outstanding=50_000, name_key="ｽｽﾞｷﾊﾅｺ"),
        payee=None, amount=1500, now=CLOSED)
    seen = []
    request = worst
    fixes = {
        "account_suspended": lambda r: replace(r, borrower=replace(r.borrower, status="active",
                                                                   stopped=False)),
        "repayment_overdue": lambda r: replace(r, borrower=replace(r.borrower, overdue=None)),
        "invalid_amount": lambda r: replace(r, amount=10_000),
        "not_found": lambda r: replace(r, payee=acceptance.Payee("0009", "ﾔﾏﾀﾞ ﾀﾛｳ")),
        "payee_not_own_name": lambda r: replace(r, borrower=replace(r.borrower, name_key=None)),
        "service_closed": lambda r: replace(r, now=OPEN),
        "insufficient_credit": lambda r: replace(r, borrower=replace(r.borrower,
                                                                     outstanding=0)),
    }
    while (refused := code(request)) is not None:
        seen.append(refused)
        request = fixes[refused](request)
    assert seen == [rule.code for rule in acceptance.RULES]


def test_a_mark_the_ledger_no_longer_backs_refuses_nothing() -> None:
    marked = replace(OK, borrower=replace(BORROWER, marked_overdue=True, overdue=None))
    assert code(marked) is None
    owed = replace(marked, borrower=replace(marked.borrower,
                                            overdue=acceptance.Overdue(4000, date(2026, 11, 25))))
    refused = acceptance.refusal(owed)
    assert refused is not None and refused.code == "repayment_overdue"
    assert refused.extra["amount_due"] == 4000


def test_a_stop_by_the_review_speaks_in_its_own_words() -> None:
    staff = acceptance.refusal(replace(OK, borrower=replace(BORROWER, status="suspended")))
    review = acceptance.refusal(replace(OK, borrower=replace(BORROWER, stopped=True)))
    assert staff.code == review.code == "account_suspended"
    assert review.extra.get("suspension") == "credit_review" and "suspension" not in staff.extra


@pytest.mark.parametrize("amount", [10_000, 50_000])
def test_credit_is_enough_up_to_what_is_free(amount: int) -> None:
    assert code(replace(OK, amount=amount)) is None
    tight = replace(OK, amount=amount, borrower=replace(BORROWER, held=50_000 - amount + 1000))
    refused = acceptance.refusal(tight)
    assert refused.code == "insufficient_credit"
    assert refused.extra["available"] == amount - 1000


def test_the_fast_path_states_every_statement_rule() -> None:
    from shunfuri.services.transfers import fast_accept

    assert set(fast_accept.CONDITIONS) == {r.code for r in acceptance.in_statement()}
    assert {r.code for r in acceptance.before_statement()} == {"invalid_amount",
                                                               "service_closed"}
