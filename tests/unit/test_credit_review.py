"""Ongoing review (spec application.md, "Ongoing review"): `credit_limit + other_balance >
floor(income / 3)` or an adverse bureau record stops new advances; reviewed every
calendar month; the law's three-month trigger."""

from __future__ import annotations

from datetime import date

import pytest

from shunfuri.domain.credit_review import (
    ReviewPolicy,
    due_for_review,
    highest_limit_within,
    law_requires_check,
    review_month,
    reviewed_recently_from,
    suspension_reasons,
)


@pytest.mark.parametrize(
    ("limit", "other", "income", "delinquent", "reasons"),
    [
        (500_000, 500_000, 3_000_000, False, ()),  # exactly a third
        (500_000, 500_001, 3_000_000, False, ("over_total_volume",)),  # one yen over
        (500_000, 500_000, 2_999_999, False, ("over_total_volume",)),  # income fell: 999,999
        (500_000, 499_999, 2_999_999, False, ()),
        (500_000, 500_000, 3_000_002, False, ()),  # floor(3,000,002 / 3) = 1,000,000
        (500_000, 0, 3_000_000, True, ("bureau_delinquent",)),
        (500_000, 600_000, 3_000_000, True, ("bureau_delinquent", "over_total_volume")),
        (500_000, 0, 0, False, ("over_total_volume",)),  # no income any more
    ],
)
def test_when_a_line_stops(
    limit: int, other: int, income: int, delinquent: bool, reasons: tuple[str, ...],
) -> None:
    assert suspension_reasons(credit_limit=limit, other_balance=other, annual_income=income,
                              delinquent=delinquent) == reasons


@pytest.mark.parametrize(
    ("last", "today", "due"),
    [
        (None, date(2026, 12, 1), True),
        (date(2026, 12, 1), date(2026, 12, 31), False),  # a second beat in the same month
        (date(2026, 11, 30), date(2026, 12, 1), True),  # a new calendar month
        (date(2026, 12, 31), date(2027, 1, 1), True),  # across the year end
        (date(2026, 12, 31), date(2026, 12, 31), False),
    ],
)
def test_reviewed_once_every_calendar_month(last: date | None, today: date, due: bool) -> None:
    assert due_for_review(last, today) is due


def test_a_longer_interval_but_never_longer_than_the_law() -> None:
    quarterly = ReviewPolicy(interval_months=3)
    assert not due_for_review(date(2026, 10, 31), date(2026, 12, 31), quarterly)
    assert due_for_review(date(2026, 10, 31), date(2027, 1, 1), quarterly)
    for months in (0, 4):
        with pytest.raises(ValueError):
            ReviewPolicy(interval_months=months)


@pytest.mark.parametrize(
    ("advanced", "owed", "required"),
    [(50_000, 100_001, False), (50_001, 100_000, False), (50_001, 100_001, True),
     (0, 5_000_000, False)],
)
def test_the_laws_own_trigger(advanced: int, owed: int, required: bool) -> None:
    assert law_requires_check(advanced, owed) is required


@pytest.mark.parametrize("months", [1, 2, 3])
def test_the_recent_month_is_due_for_review_in_one_comparison(months: int) -> None:
    policy = ReviewPolicy(interval_months=months)
    for today in (date(2026, 12, 31), date(2027, 1, 1), date(2027, 3, 15)):
        recent = reviewed_recently_from(today, policy)
        for back in range(0, 8):
            key = date(today.year - (back > today.month - 1),
                       (today.month - 1 - back) % 12 + 1, 1)
            assert (key < recent) == due_for_review(key, today, policy), (today, key)
    assert review_month(date(2026, 12, 31)) == date(2026, 12, 1)


def test_the_highest_limit_the_rule_allows() -> None:
    assert highest_limit_within(other_balance=500_000, annual_income=3_000_000) == 500_000
    assert suspension_reasons(credit_limit=500_000, other_balance=500_000,
                              annual_income=3_000_000, delinquent=False) == ()
    assert highest_limit_within(other_balance=1_200_000, annual_income=3_000_000) == 0


def test_the_interval_is_a_setting_within_the_law(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from shunfuri.settings import Settings

    monkeypatch.delenv("SHUNFURI_REVIEW_INTERVAL_MONTHS", raising=False)
    assert Settings().review_policy == ReviewPolicy(interval_months=1)  # ours: monthly
    monkeypatch.setenv("SHUNFURI_REVIEW_INTERVAL_MONTHS", "3")
    assert Settings().review_policy == ReviewPolicy(interval_months=3)
    for months in ("0", "4"):
        monkeypatch.setenv("SHUNFURI_REVIEW_INTERVAL_MONTHS", months)
        with pytest.raises(ValidationError):
            Settings()
