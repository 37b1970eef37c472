"""Reconciliation's bank side: the statement read through the gateway (every day, every
page, nothing taken on trust) and compared with our rows."""

from __future__ import annotations

from datetime import date

import pytest

from shunfuri.domain.orders import PROCESSING, SETTLED
from shunfuri.gateway import statement
from shunfuri.gateway.base import PaymentOrder, StatementLine, TransientBankError
from shunfuri.gateway.fake import FakeBank
from shunfuri.services.operations.reconcile import bank_side, compare

DAY = date(2026, 12, 7)


def order(order_id: str, account: str = "1234567", amount: int = 1000) -> PaymentOrder:
    return PaymentOrder(order_id, amount, "0009", "001", "ordinary", account, "ﾔﾏﾀﾞ ﾀﾛｳ")


def test_the_bank_side_is_the_paid_lines_of_both_books_refusals_left_out():
    bank = FakeBank(rejections={"9999999": "account_closed"})
    bank.pay([order("t1"), order("t2", "9999999"), order("t3", amount=2500)])
    bank.collections().pay([order("r1", amount=700)])
    paid, collected = bank_side(bank)
    assert sorted(paid) == [("t1", 1000, "0009"), ("t3", 2500, "0009")]
    assert collected == [("r1", 700, "0009")]
    assert bank_side(FakeBank()) == ([], [])  # nothing booked, no days


class TwoDays:
    """A bank whose statement books one order on two days (a bank's double payment)."""

    def statement_days(self) -> list[date]:
        return [DAY, date(2026, 12, 8)]

    def statement(self, day: date):  # type: ignore[no-untyped-def]
        yield StatementLine("payment", "t1", 1000, "0009", "paid", None, "B1")
        if day == DAY:
            yield StatementLine("payment", "t2", 900, "0005", "paid", None, "B2")


def test_an_order_on_two_days_is_doubled_and_a_different_amount_mismatched():
    paid, _ = bank_side(TwoDays())
    ours = [("t1", 1000, "0009"), ("t2", 1000, "0005"), ("t3", 500, "0009")]
    counts = compare(ours, paid, {"t1": SETTLED, "t2": SETTLED, "t3": SETTLED})
    assert (counts.doubled, counts.mismatched, counts.missing) == (1, 1, 1)
    assert not counts.clean


def test_paid_by_the_bank_while_in_doubt_here_is_in_flight_not_missing():
    counts = compare([], [("t1", 1000, "0009")], {"t1": PROCESSING})
    assert (counts.in_flight, counts.missing, counts.clean) == (1, 0, True)


def pages(*answers: dict):  # type: ignore[no-untyped-def]
    """A `get` answering each call with the next answer (an exception is raised)."""
    asked: list[tuple[str, dict]] = []
    queue = list(answers)

    def get(path: str, query: dict) -> dict:
        asked.append((path, query))
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return get, asked


def line(order_id: str, **changes: object) -> dict:
    return {"kind": "payment", "id": order_id, "amount": 1000, "bank_code": "0009",
            "status": "paid", "code": None, "reference": "B1", **changes}


def test_a_day_is_read_page_after_page_from_the_cursor_each_page_ends_with():
    get, asked = pages({"lines": [line("a"), line("b")], "next": "payment/b"},
                       {"lines": [line("c", kind="collection")], "next": None})
    got = list(statement.lines(get, DAY))
    assert [(x.kind, x.order_id) for x in got] == [
        ("payment", "a"), ("payment", "b"), ("collection", "c")]
    assert [q.get("after") for _, q in asked] == [None, "payment/b"]
    assert asked[0][0] == "/v1/statements/2026-12-07"


def test_a_transient_failure_is_asked_again_and_three_in_a_row_give_up():
    get, asked = pages(TransientBankError("503"), {"days": ["2026-12-07"]})
    assert statement.days(get) == [DAY]
    get, asked = pages(*[TransientBankError("503")] * 3)
    with pytest.raises(TransientBankError):
        statement.days(get)
    assert len(asked) == 3


@pytest.mark.parametrize("answer", [
    {"lines": [line("a", amount="1000")], "next": None},
    {"lines": [line("a", kind="fee")], "next": None},
    {"lines": [line("a", id=None)], "next": None},
    {"lines": ["a"], "next": None},
    {"lines": "a", "next": None},
    {"lines": [line("a")], "next": 7},
    {"lines": [], "next": "payment/a"},  # a page that does not move on
])
def test_an_unreadable_page_makes_the_whole_statement_unreadable(answer):
    get, _ = pages(answer)
    with pytest.raises(TransientBankError):
        list(statement.lines(get, DAY))


def test_unreadable_days_are_refused():
    for answer in ({"days": "2026-12-07"}, {"days": ["7 Dec"]}, {"days": [None]}):
        get, _ = pages(answer)
        with pytest.raises(TransientBankError):
            statement.days(get)
