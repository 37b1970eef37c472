"""お試し診断 (spec application.md): age 18-74 on today's JST day, income >= 1, room >= 10,000;
one of two fixed answers, never which input failed."""

from __future__ import annotations

from datetime import date

import pytest

from shunfuri import messages
from shunfuri.domain.eligibility import eligible
from shunfuri.domain.screening_policy import ScreeningPolicy

TODAY = date(2026, 12, 1)
ADULT = date(1990, 4, 1)


@pytest.mark.parametrize(
    ("born", "income", "other", "answer"),
    [
        (date(2008, 12, 2), 3_000_000, 0, False),  # 17 (18 tomorrow)
        (date(2008, 12, 1), 3_000_000, 0, True),  # 18 today
        (date(1952, 12, 1), 3_000_000, 0, True),  # 74 today
        (date(1951, 12, 2), 3_000_000, 0, True),  # 74, 75 tomorrow
        (date(1951, 12, 1), 3_000_000, 0, False),  # 75 today
        (ADULT, 0, 0, False),  # no income
        (ADULT, 29_999, 0, False),  # room 9,999
        (ADULT, 30_000, 0, True),  # room 10,000
        (ADULT, 30_002, 0, True),  # floor(30,002 / 3) = 10,000
        (ADULT, 3_000_000, 990_000, True),  # room 10,000
        (ADULT, 3_000_000, 990_001, False),  # room 9,999
        (ADULT, 3_000_000, 5_000_000, False),  # room never below 0, still not enough
        (date(2026, 12, 2), 3_000_000, 0, False),  # born tomorrow: not within any range
    ],
)
def test_every_boundary(born: date, income: int, other: int, answer: bool) -> None:
    assert eligible(born, income, other, TODAY) is answer


def test_a_29_february_birthday_turns_18_on_1_march_of_a_common_year() -> None:
    born = date(2008, 2, 29)
    assert not eligible(born, 3_000_000, 0, date(2026, 2, 28))
    assert eligible(born, 3_000_000, 0, date(2026, 3, 1))


def test_the_age_range_is_the_policys() -> None:
    policy = ScreeningPolicy(min_age=20, max_age=69)
    assert not eligible(date(2007, 12, 1), 3_000_000, 0, TODAY, policy)  # 19
    assert eligible(date(2006, 12, 1), 3_000_000, 0, TODAY, policy)  # 20
    assert not eligible(date(1956, 12, 1), 3_000_000, 0, TODAY, policy)  # 70


def test_the_two_answers_are_the_specs_words() -> None:
    assert messages.ELIGIBILITY_JA == {
        True: "ご融資可能と思われます", False: "ご希望に添えない可能性があります"}
