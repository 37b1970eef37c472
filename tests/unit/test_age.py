"""Age on a JST day (年齢計算ニ関スル法律, 民法第143条): a year older from the start of the
birthday; a 29 February birthday completes its year at the end of 28 February in a
common year, so the person is a year older on 1 March."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from shunfuri.domain.age import age_on, age_within, jst_day


@pytest.mark.parametrize(
    ("born", "day", "age"),
    [
        (date(2008, 12, 1), date(2026, 11, 30), 17),  # the day before the 18th birthday
        (date(2008, 12, 1), date(2026, 12, 1), 18),  # the birthday itself counts
        (date(2008, 12, 1), date(2026, 12, 2), 18),
        (date(1951, 12, 1), date(2026, 11, 30), 74),
        (date(1951, 12, 1), date(2026, 12, 1), 75),
        (date(2008, 2, 29), date(2026, 2, 28), 17),  # common year: not yet on 28 Feb
        (date(2008, 2, 29), date(2026, 3, 1), 18),  # ... a year older on 1 March
        (date(2008, 2, 29), date(2028, 2, 28), 19),  # leap year: the birthday exists
        (date(2008, 2, 29), date(2028, 2, 29), 20),
        (date(2008, 2, 29), date(2028, 3, 1), 20),
        (date(2008, 3, 1), date(2026, 2, 28), 17),
        (date(2008, 3, 1), date(2026, 3, 1), 18),
        (date(1990, 12, 31), date(2026, 1, 1), 35),
        (date(2026, 12, 1), date(2026, 12, 1), 0),
    ],
)
def test_age_on_a_day(born: date, day: date, age: int) -> None:
    assert age_on(born, day) == age


def test_a_day_before_birth_is_a_callers_bug() -> None:
    with pytest.raises(ValueError):
        age_on(date(2000, 1, 2), date(2000, 1, 1))


@pytest.mark.parametrize(
    ("born", "inside"),
    [(date(2008, 12, 2), False), (date(2008, 12, 1), True), (date(1951, 12, 2), True),
     (date(1951, 12, 1), False), (date(2030, 1, 1), False)],
)
def test_age_within_18_to_74_both_ends_included(born: date, inside: bool) -> None:
    assert age_within(born, date(2026, 12, 1), 18, 74) is inside


def test_the_day_is_the_jst_calendar_day() -> None:
    # 15:30 UTC on 30 November is 00:30 on 1 December in Japan.
    assert jst_day(datetime(2026, 11, 30, 15, 30, tzinfo=UTC)) == date(2026, 12, 1)
    assert jst_day(datetime(2026, 11, 30, 14, 59, tzinfo=UTC)) == date(2026, 11, 30)
    assert jst_day(datetime(2026, 11, 30, 15, 30)) == date(2026, 12, 1)  # naive = UTC
