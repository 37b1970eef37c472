"""Bank business days in Japan.

A bank business day is Monday-Friday, not a national holiday (jpholiday also knows the
substitute holidays and the citizens' holidays that a holiday run creates) and not in
the banks' year-end closure, 31 Dec to 3 Jan. Both functions are cached per date:
every quote asks them, and a quote must cost microseconds.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import jpholiday

# (month, day) of the banks' year-end / new-year closure.
YEAR_END_CLOSURE = frozenset({(12, 31), (1, 1), (1, 2), (1, 3)})

_ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=8192)
def is_business_day(d: date) -> bool:
    if d.weekday() >= 5:
        return False
    if (d.month, d.day) in YEAR_END_CLOSURE:
        return False
    return not jpholiday.is_holiday(d)


@lru_cache(maxsize=8192)
def next_business_day(d: date) -> date:
    """The first business day strictly after `d`."""
    candidate = d + _ONE_DAY
    while not is_business_day(candidate):
        candidate += _ONE_DAY
    return candidate
