"""Bank business days: weekends, national holidays (with substitute and citizens'
holidays) and the 31 Dec - 3 Jan closure."""

from __future__ import annotations

from datetime import date

import pytest

from shunfuri.domain.calendar import is_business_day, next_business_day


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize(
    "day",
    ["2026-11-24", "2026-11-25", "2026-11-27", "2026-11-30", "2026-04-30", "2026-05-01",
     "2026-05-07", "2026-09-18", "2026-09-24", "2026-12-30", "2027-01-04"],
)
def test_business_days(day: str) -> None:
    assert is_business_day(d(day))


@pytest.mark.parametrize(
    ("day", "why"),
    [
        ("2026-11-28", "Saturday"),
        ("2026-11-29", "Sunday"),
        ("2026-11-23", "Labour Thanksgiving Day, a Monday"),
        ("2026-07-20", "Marine Day, a Monday"),
        ("2026-01-12", "Coming of Age Day, a Monday"),
        # Golden Week 2026
        ("2026-04-29", "Showa Day (Wednesday)"),
        ("2026-05-04", "Greenery Day (Monday)"),
        ("2026-05-05", "Children's Day (Tuesday)"),
        ("2026-05-06", "substitute holiday for Constitution Day on a Sunday"),
        # The September 2026 run
        ("2026-09-21", "Respect for the Aged Day (Monday)"),
        ("2026-09-22", "citizens' holiday between two holidays"),
        ("2026-09-23", "Autumnal Equinox Day (Wednesday)"),
        # The banks' year-end closure, on weekdays
        ("2025-12-31", "31 Dec (Wednesday)"),
        ("2026-01-01", "1 Jan"),
        ("2026-01-02", "2 Jan (Friday)"),
        ("2029-01-03", "3 Jan (Wednesday)"),
        ("2026-12-31", "31 Dec (Thursday)"),
    ],
)
def test_not_business_days(day: str, why: str) -> None:
    assert not is_business_day(d(day)), why


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-11-25", "2026-11-26"),  # strictly after, even from a business day
        ("2026-11-27", "2026-11-30"),  # Friday -> Monday
        ("2026-11-21", "2026-11-24"),  # Saturday -> over the Monday holiday -> Tuesday
        ("2026-11-22", "2026-11-24"),
        ("2026-04-28", "2026-04-30"),  # over Showa Day
        ("2026-05-01", "2026-05-07"),  # over Golden Week
        ("2026-09-18", "2026-09-24"),  # over the September run
        ("2026-09-22", "2026-09-24"),
        ("2026-12-30", "2027-01-04"),  # over the year-end closure and a weekend
        ("2025-12-30", "2026-01-05"),
        ("2028-12-29", "2029-01-04"),  # Fri -> Sat, Sun, 31, 1, 2, 3 -> Thu 4 Jan
    ],
)
def test_next_business_day(day: str, expected: str) -> None:
    assert next_business_day(d(day)) == d(expected)
    assert is_business_day(next_business_day(d(day)))
