"""Interest (spec/repayment.md, "Interest"): the formula, one end counted, year ends, leap
years and the first advance's 30 interest-free days."""

from __future__ import annotations

from datetime import date

import pytest

from shunfuri.domain.interest import (
    accrued_interest,
    interest_free_days,
    interest_segments,
    period_interest,
    year_days,
)


def d(text: str) -> date:
    return date.fromisoformat(text)


def test_formula_floor_of_p_rate_days_over_10000_y() -> None:
    # "floor(P × rate_bp × d / (10000 × Y))": 100,000 yen at 17.8 % for 1 day is 48.767... -> 48
    assert period_interest(100_000, 1780, 1, 365) == 48
    # 30 days: 100000*1780*30/3650000 = 1463.01... -> 1463 (one floor for the period,
    # not thirty floors of 48)
    assert period_interest(100_000, 1780, 30, 365) == 1463
    assert 30 * period_interest(100_000, 1780, 1, 365) == 1440


def test_y_is_366_in_a_leap_year() -> None:
    assert year_days(d("2028-02-29")) == 366
    assert year_days(d("2028-12-31")) == 366
    assert year_days(d("2027-12-31")) == 365
    # 1,000,000 yen at 15 % for one day: 410.95... in 2027, 409.83... in 2028
    assert period_interest(1_000_000, 1500, 1, 365) == 410
    assert period_interest(1_000_000, 1500, 1, 366) == 409


def test_one_end_counted_settled_1_december_accrues_from_2_december() -> None:
    # "a transfer settled on 1 December starts accruing on 2 December; a repayment on day
    # D pays interest up to and including D."
    assert interest_segments(100_000, 1780, d("2026-12-01"), d("2026-12-01")) == []
    [segment] = interest_segments(100_000, 1780, d("2026-12-01"), d("2026-12-02"))
    assert (segment.start, segment.end, segment.days, segment.amount) == (
        d("2026-12-02"), d("2026-12-02"), 1, 48)


def test_leap_day_2028_02_29_is_a_day_of_a_366_day_year() -> None:
    [segment] = interest_segments(1_000_000, 1500, d("2028-02-28"), d("2028-03-01"))
    assert (segment.days, segment.year_days) == (2, 366)  # 29 Feb and 1 Mar
    assert segment.amount == 1_000_000 * 1500 * 2 // (10000 * 366) == 819


def test_a_period_crossing_31_december_is_split_and_each_part_floored() -> None:
    segments = interest_segments(1_000_000, 1500, d("2027-12-30"), d("2028-01-02"))
    assert [(s.start, s.end, s.year_days, s.amount) for s in segments] == [
        (d("2027-12-31"), d("2027-12-31"), 365, 410),
        (d("2028-01-01"), d("2028-01-02"), 366, 819),
    ]
    # Unsplit it would be 3 days / 365 = 1232; the rule gives 1229.
    assert accrued_interest(1_000_000, 1500, d("2027-12-30"), d("2028-01-02")) == 1229


def test_a_long_period_is_one_segment_per_year() -> None:
    segments = interest_segments(500_000, 1780, d("2026-06-30"), d("2028-07-01"))
    assert [(s.start, s.end) for s in segments] == [
        (d("2026-07-01"), d("2026-12-31")),
        (d("2027-01-01"), d("2027-12-31")),
        (d("2028-01-01"), d("2028-07-01")),
    ]
    assert segments[1].amount == 500_000 * 1780 * 365 // 3_650_000 == 89_000


def test_the_30_free_days_are_the_30_days_after_the_settlement_day() -> None:
    # "for a member's very first advance, no interest accrues for the 30 days after the day
    # it settled": settled 1 Dec -> free 2 Dec .. 31 Dec (the 30th day), charged from 1 Jan.
    assert interest_free_days(d("2026-12-01")) == (d("2026-12-02"), d("2026-12-31"))
    free = interest_free_days(d("2026-11-02"))
    assert free == (d("2026-11-03"), d("2026-12-02"))
    # Repaid on the 30th day: nothing to pay. On the 31st day: exactly one day's interest.
    assert accrued_interest(100_000, 1780, d("2026-11-02"), d("2026-12-02"), free) == 0
    assert accrued_interest(100_000, 1780, d("2026-11-02"), d("2026-12-03"), free) == 48


def test_a_period_straddling_the_end_of_the_free_days_is_split_there() -> None:
    free = interest_free_days(d("2026-11-02"))
    segments = interest_segments(100_000, 1780, d("2026-11-20"), d("2026-12-12"), free)
    assert [(s.start, s.end, s.interest_free, s.amount) for s in segments] == [
        (d("2026-11-21"), d("2026-12-02"), True, 0),
        (d("2026-12-03"), d("2026-12-12"), False, 100_000 * 1780 * 10 // 3_650_000),
    ]


def test_free_days_crossing_a_year_end_still_split_by_year() -> None:
    free = interest_free_days(d("2026-12-20"))  # 21 Dec .. 19 Jan
    segments = interest_segments(100_000, 1780, d("2026-12-20"), d("2027-01-21"), free)
    assert [(s.start, s.end, s.interest_free) for s in segments] == [
        (d("2026-12-21"), d("2026-12-31"), True),
        (d("2027-01-01"), d("2027-01-19"), True),
        (d("2027-01-20"), d("2027-01-21"), False),
    ]
    assert sum(s.amount for s in segments) == 97


@pytest.mark.parametrize("bad", [(-1, 1780, 1, 365), (1, -1, 1, 365), (1, 1, -1, 365),
                                 (1, 1, 1, 360)])
def test_nonsense_inputs_are_programming_errors(bad: tuple[int, int, int, int]) -> None:
    with pytest.raises(ValueError):
        period_interest(*bad)
