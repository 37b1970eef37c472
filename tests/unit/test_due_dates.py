"""Due dates and the minimum (spec/repayment.md, "Due date and minimum")."""

from __future__ import annotations

from datetime import date

import pytest

from shunfuri.domain.due_dates import (
    DEFAULT_DUE_DAY,
    MONTH_END,
    check_due_day,
    first_due_nominal,
    following_nominal,
    minimum_by_table,
    minimum_remaining,
    minimum_required,
    nominal_after_change,
    nominal_due_date,
    shift_to_business_day,
)
from shunfuri.errors import ShunfuriError


def d(text: str) -> date:
    return date.fromisoformat(text)


def test_due_days_are_5_15_25_or_month_end_default_25() -> None:
    assert DEFAULT_DUE_DAY == 25
    for day in (5, 15, 25, MONTH_END):
        assert check_due_day(day) == day
    for bad in (0, 1, 10, 20, 28, 30, 32, True):
        with pytest.raises(ShunfuriError) as caught:
            check_due_day(bad)
        assert caught.value.code == "invalid_due_day"


@pytest.mark.parametrize(("year", "month", "expected"), [
    (2027, 2, "2027-02-28"), (2028, 2, "2028-02-29"), (2026, 4, "2026-04-30"),
    (2026, 12, "2026-12-31"),
])
def test_month_end_is_the_last_day_of_each_month(year: int, month: int, expected: str) -> None:
    assert nominal_due_date(year, month, MONTH_END) == d(expected)


@pytest.mark.parametrize(("nominal", "due", "why"), [
    ("2026-11-25", "2026-11-25", "a Wednesday: itself"),
    ("2026-04-25", "2026-04-27", "Saturday -> Monday"),
    ("2026-11-15", "2026-11-16", "Sunday -> Monday"),
    ("2026-05-05", "2026-05-07", "Children's Day, then the 6th is a substitute holiday"),
    ("2028-05-05", "2028-05-08", "Children's Day on a Friday, then a weekend"),
    ("2026-12-31", "2027-01-04", "year-end closure 31 Dec - 3 Jan"),
    ("2027-12-31", "2028-01-04", "year-end closure on a Friday"),
    ("2027-02-28", "2027-03-01", "February month end on a Sunday"),
    ("2026-02-28", "2026-03-02", "February month end on a Saturday"),
    ("2028-02-29", "2028-02-29", "the leap day is a Tuesday: itself"),
])
def test_a_due_date_that_is_not_a_business_day_moves_to_the_next(nominal: str, due: str,
                                                                  why: str) -> None:
    assert shift_to_business_day(d(nominal)) == d(due), why


@pytest.mark.parametrize(("advance", "due_day", "first"), [
    ("2026-11-11", 25, "2026-11-25"),  # exactly 14 days: counts
    ("2026-11-12", 25, "2026-12-25"),  # 13 days: the next month
    ("2026-11-02", 25, "2026-11-25"),
    ("2026-12-20", 5, "2027-01-05"),   # 16 days
    ("2026-12-23", 5, "2027-02-05"),   # 13 days to 5 Jan
    ("2028-02-15", MONTH_END, "2028-02-29"),  # exactly 14 days to the leap day
    ("2027-02-15", MONTH_END, "2027-03-31"),  # 13 days to 28 Feb
])
def test_first_due_day_at_least_14_days_after_the_first_advance(advance: str, due_day: int,
                                                                 first: str) -> None:
    assert first_due_nominal(d(advance), due_day) == d(first)


def test_due_dates_follow_monthly_from_the_nominal_date_not_the_shifted_one() -> None:
    # 31 Dec 2026 is due on 4 Jan 2027, but January's due date is still 31 Jan.
    assert following_nominal(d("2026-12-31"), MONTH_END) == d("2027-01-31")
    assert following_nominal(d("2027-01-31"), MONTH_END) == d("2027-02-28")
    assert following_nominal(d("2027-02-28"), MONTH_END) == d("2027-03-31")
    assert following_nominal(d("2026-12-25"), 25) == d("2027-01-25")


def test_a_changed_due_day_starts_at_least_14_days_after_the_pending_due_date() -> None:
    assert nominal_after_change(d("2027-01-25"), 5) == d("2027-03-05")  # 5 Feb is 11 days
    assert nominal_after_change(d("2027-01-05"), 25) == d("2027-01-25")  # 20 days
    assert nominal_after_change(d("2027-01-04"), MONTH_END) == d("2027-01-31")


@pytest.mark.parametrize(("principal", "minimum"), [
    (1_000, 4_000), (100_000, 4_000),          # up to ¥100,000
    (100_001, 8_000), (200_000, 8_000),        # up to ¥200,000
    (200_001, 11_000), (300_000, 11_000),      # up to ¥300,000
    (300_001, 13_000), (500_000, 13_000),      # up to ¥500,000
    (500_001, 15_000), (600_000, 15_000),      # above: + ¥2,000 per ¥100,000 or part
    (600_001, 17_000), (700_000, 17_000), (1_000_000, 23_000), (5_000_000, 103_000),
])
def test_minimum_table_each_row_and_its_edges(principal: int, minimum: int) -> None:
    assert minimum_by_table(principal) == minimum


def test_the_minimum_is_never_more_than_the_full_payoff() -> None:
    # principal 3,000 + interest 12: the table says 4,000, the payoff is 3,012
    assert minimum_required(4_000, paid_in_window=0, payoff_now=3_012) == 3_012
    assert minimum_remaining(4_000, paid_in_window=0, payoff_now=3_012) == 3_012
    # 1,000 already paid this month, 2,020 still owed: only the rest of the balance is due
    assert minimum_remaining(4_000, paid_in_window=1_000, payoff_now=2_020) == 2_020
    assert minimum_remaining(4_000, paid_in_window=3_000, payoff_now=50_000) == 1_000
    assert minimum_remaining(4_000, paid_in_window=5_000, payoff_now=50_000) == 0
    # paid off: met whatever the table says
    assert minimum_remaining(4_000, paid_in_window=1_200, payoff_now=0) == 0
