"""The terms a contract states: the minimum table as the contract words it (from the same
table the ledger uses), the due day, the rates as percentages."""

from __future__ import annotations

import pytest

from shunfuri.domain import due_dates
from shunfuri.domain.contract_terms import (
    LATE_CHARGE_BP,
    due_day_ja,
    minimum_table,
    percent_ja,
    terms_for,
)
from shunfuri.errors import ShunfuriError


def test_minimum_table_follows_the_ledgers_table() -> None:
    rows = minimum_table()
    assert rows[:4] == (("10万円以下", "4,000円"), ("20万円以下", "8,000円"),
                        ("30万円以下", "11,000円"), ("50万円以下", "13,000円"))
    assert rows[4][0] == "50万円超" and "10万円ごと" in rows[4][1] and "2,000円" in rows[4][1]
    assert len(rows) == len(due_dates.MINIMUM_TABLE) + 1


@pytest.mark.parametrize("day, said", [(5, "毎月5日"), (15, "毎月15日"), (25, "毎月25日"),
                                       (31, "毎月末日")])
def test_due_day(day: int, said: str) -> None:
    assert due_day_ja(day) == said


def test_terms_refuse_a_due_day_that_is_not_one() -> None:
    with pytest.raises(ShunfuriError) as refused:
        terms_for(300_000, 1780, 10)
    assert refused.value.code == "invalid_due_day"


def test_terms_and_percentages() -> None:
    terms = terms_for(1_000_000, 1500, 25)
    assert (terms.credit_limit, terms.rate_bp, terms.due_day, terms.late_charge_bp) == (
        1_000_000, 1500, 25, LATE_CHARGE_BP)
    assert terms.interest_free_days == 30 and terms.due_day == 25
    assert (percent_ja(1780), percent_ja(1500), percent_ja(LATE_CHARGE_BP)) == (
        "17.8%", "15.0%", "20.0%")
