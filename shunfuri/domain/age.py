"""A person's age on a JST calendar day, as Japanese law counts it.

年齢計算ニ関スル法律 counts age from the day of birth, and 民法第143条 ends each year at
the end of the day before the birthday's date: a person is a year older from the very
start of their birthday. A 29 February birthday has no such date in a common year; the
same article then ends the year on the last day of February, so the person is a year
older on 1 March. Comparing (month, day) pairs gives exactly that: (2, 28) is before
(2, 29), (3, 1) is not.

The day is always the JST calendar day (the business clock); `jst_day` turns an instant
into it so no caller compares a UTC date by mistake.
"""

from __future__ import annotations

from datetime import date, datetime

from shunfuri.domain.instants import to_jst


def age_on(birth_date: date, day: date) -> int:
    """Completed years on `day` (negative never: a day before birth is a caller's bug)."""
    if day < birth_date:
        raise ValueError("the day is before the birth date")
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - int(before_birthday)


def jst_day(instant: datetime) -> date:
    """The JST calendar day of an instant (a naive instant is UTC, as everything stored)."""
    return to_jst(instant).date()


def age_within(birth_date: date, day: date, low: int, high: int) -> bool:
    """Whether the age on `day` is in `low..high`, both ends included; a birth date after
    `day` is simply not within any range."""
    return birth_date <= day and low <= age_on(birth_date, day) <= high
