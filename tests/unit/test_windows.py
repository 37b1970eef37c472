"""Every boundary second of the rules: service closures, SMBC / PayPay maintenance,
the standard banks' 09:00 / 14:50 cut-offs and 09:30 batch, holidays and New Year.

Instants are written in JST unless the test is about another offset; the expected
settle_at / retry_at are JST wall-clock times.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from shunfuri.domain.banks import get_bank
from shunfuri.domain.instants import JST, parse_instant
from shunfuri.domain.windows import (
    OnceWindow,
    Quote,
    WeeklyWindow,
    YearlyWindow,
    maintenance_ends_at,
    open_again_at,
    quote,
    service_reopens_at,
    window_from_spec,
)

SMBC, PAYPAY, MIZUHO = "0009", "0033", "0001"


def jst(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=JST)


def q(code: str, at: str) -> Quote:
    return quote(get_bank(code), jst(at))


def check(code: str, at: str, decision: str, settle: str | None = None,
          retry: str | None = None) -> None:
    got = q(code, at)
    assert got.decision == decision, (code, at, got)
    if decision == "instant":
        assert got.settle_at == jst(at) and got.retry_at is None
    elif decision == "scheduled":
        assert got.settle_at == jst(settle) and got.retry_at is None  # type: ignore[arg-type]
    else:
        assert got.settle_at is None and got.retry_at == jst(retry)  # type: ignore[arg-type]


# -- standard banks: cut-offs on a business day (Wednesday 25 Nov 2026) ----------------


@pytest.mark.parametrize(
    ("at", "decision", "settle"),
    [
        ("2026-11-25T00:00:00", "scheduled", "2026-11-25T09:30"),
        ("2026-11-25T08:59:59", "scheduled", "2026-11-25T09:30"),
        ("2026-11-25T08:59:59.999999", "scheduled", "2026-11-25T09:30"),
        ("2026-11-25T09:00:00", "instant", None),
        ("2026-11-25T09:30:00", "instant", None),
        ("2026-11-25T14:49:59", "instant", None),
        ("2026-11-25T14:49:59.999999", "instant", None),
        ("2026-11-25T14:50:00", "scheduled", "2026-11-26T09:30"),
        ("2026-11-25T23:59:59", "scheduled", "2026-11-26T09:30"),
        ("2026-11-27T14:50:00", "scheduled", "2026-11-30T09:30"),  # Friday -> Monday
        ("2026-11-28T10:00:00", "scheduled", "2026-11-30T09:30"),  # Saturday
        ("2026-11-29T23:59:59", "scheduled", "2026-11-30T09:30"),  # Sunday
    ],
)
def test_standard_bank_cutoffs(at: str, decision: str, settle: str | None) -> None:
    check(MIZUHO, at, decision, settle)


def test_monday_morning_standard_bank() -> None:
    # Business Monday: closed until 07:00, then the same-day 09:30 batch, then instant.
    check(MIZUHO, "2026-11-30T06:59:59", "closed", retry="2026-11-30T07:00")
    check(MIZUHO, "2026-11-30T07:00:00", "scheduled", "2026-11-30T09:30")
    check(MIZUHO, "2026-11-30T09:00:00", "instant")


def test_monday_holiday() -> None:
    # 23 Nov 2026 is Labour Thanksgiving Day, a Monday.
    check(MIZUHO, "2026-11-22T12:00:00", "scheduled", "2026-11-24T09:30")
    check(MIZUHO, "2026-11-23T06:59:59", "closed", retry="2026-11-23T07:00")
    check(MIZUHO, "2026-11-23T07:00:00", "scheduled", "2026-11-24T09:30")
    check(MIZUHO, "2026-11-23T10:00:00", "scheduled", "2026-11-24T09:30")
    # Real-time banks ignore holidays.
    check(SMBC, "2026-11-23T07:00:00", "instant")
    check(PAYPAY, "2026-11-23T10:00:00", "instant")


# -- real-time banks ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "decision", "settle", "retry"),
    [
        ("2026-11-29T20:59:59", "instant", None, None),
        ("2026-11-29T20:59:59.999999", "instant", None, None),
        ("2026-11-29T21:00:00", "scheduled", "2026-11-30T07:00", None),
        ("2026-11-29T22:15:00", "scheduled", "2026-11-30T07:00", None),
        ("2026-11-29T23:59:59", "scheduled", "2026-11-30T07:00", None),
        ("2026-11-30T00:00:00", "closed", None, "2026-11-30T07:00"),  # service closure first
        ("2026-11-30T06:59:59", "closed", None, "2026-11-30T07:00"),
        ("2026-11-30T07:00:00", "instant", None, None),
        ("2026-11-28T03:00:00", "instant", None, None),  # Saturday night: no matter
    ],
)
def test_smbc(at: str, decision: str, settle: str | None, retry: str | None) -> None:
    check(SMBC, at, decision, settle, retry)


@pytest.mark.parametrize(
    ("at", "decision", "retry"),
    [
        ("2026-11-29T21:00:00", "instant", None),
        ("2026-11-29T23:59:59", "instant", None),
        ("2026-11-30T00:00:00", "closed", "2026-11-30T07:00"),
        ("2026-11-30T06:59:59", "closed", "2026-11-30T07:00"),
        ("2026-11-30T07:00:00", "instant", None),
    ],
)
def test_paypay(at: str, decision: str, retry: str | None) -> None:
    check(PAYPAY, at, decision, retry=retry)


def test_maintenance_ends_at_for_the_worker() -> None:
    smbc, paypay, mizuho = get_bank(SMBC), get_bank(PAYPAY), get_bank(MIZUHO)
    # Inside the window the worker sees the end even where the service itself is closed.
    assert maintenance_ends_at(paypay, jst("2026-11-30T03:00")) == jst("2026-11-30T07:00")
    assert maintenance_ends_at(paypay, jst("2026-11-30T06:59:59")) == jst("2026-11-30T07:00")
    assert maintenance_ends_at(paypay, jst("2026-11-30T07:00")) is None
    assert maintenance_ends_at(paypay, jst("2026-11-29T23:59:59")) is None
    assert maintenance_ends_at(smbc, jst("2026-11-29T20:59:59")) is None
    assert maintenance_ends_at(smbc, jst("2026-11-29T21:00")) == jst("2026-11-30T07:00")
    assert maintenance_ends_at(smbc, jst("2026-11-30T06:59:59")) == jst("2026-11-30T07:00")
    assert maintenance_ends_at(smbc, jst("2026-11-30T07:00")) is None
    assert maintenance_ends_at(mizuho, jst("2026-11-29T22:00")) is None
    assert maintenance_ends_at(smbc, jst("2026-11-29T21:00")).tzinfo == UTC  # type: ignore[union-attr]


def test_smbc_windows_chain_into_new_year() -> None:
    # Sunday 31 Dec 2023 21:00 runs into all of Monday 1 Jan 2024.
    smbc = get_bank(SMBC)
    assert maintenance_ends_at(smbc, jst("2023-12-31T21:00")) == jst("2024-01-02T00:00")
    check(SMBC, "2023-12-31T20:59:59", "instant")
    check(SMBC, "2023-12-31T21:00:00", "scheduled", "2024-01-02T00:00")
    # PayPay on a 1 Jan that is a Sunday: 1 Jan, then Monday 2 Jan 00:00-07:00.
    assert maintenance_ends_at(get_bank(PAYPAY), jst("2023-01-01T12:00")) == jst(
        "2023-01-02T07:00"
    )


# -- New Year and the year-end closure ------------------------------------------------


@pytest.mark.parametrize("code", [SMBC, PAYPAY, MIZUHO])
@pytest.mark.parametrize("at", ["2026-01-01T00:00:00", "2026-01-01T12:00", "2026-01-01T23:59:59"])
def test_first_of_january_is_closed(code: str, at: str) -> None:
    check(code, at, "closed", retry="2026-01-02T00:00")


def test_year_end_for_each_kind_of_bank() -> None:
    check(MIZUHO, "2025-12-30T14:49:59", "instant")
    check(MIZUHO, "2025-12-30T14:50:00", "scheduled", "2026-01-05T09:30")
    check(MIZUHO, "2025-12-31T10:00:00", "scheduled", "2026-01-05T09:30")
    check(MIZUHO, "2025-12-31T23:59:59", "scheduled", "2026-01-05T09:30")
    check(MIZUHO, "2026-01-02T00:00:00", "scheduled", "2026-01-05T09:30")
    check(MIZUHO, "2026-01-03T10:00:00", "scheduled", "2026-01-05T09:30")
    check(MIZUHO, "2026-01-05T09:00:00", "instant")
    check(SMBC, "2025-12-31T23:59:59", "instant")
    check(SMBC, "2026-01-02T00:00:00", "instant")
    check(PAYPAY, "2026-01-03T10:00:00", "instant")


def test_first_of_january_on_a_sunday_reopens_monday_seven() -> None:
    assert service_reopens_at(jst("2023-01-01T00:00")) == jst("2023-01-02T07:00")
    check(MIZUHO, "2023-01-01T15:00", "closed", retry="2023-01-02T07:00")
    check(MIZUHO, "2023-01-02T07:00", "scheduled", "2023-01-04T09:30")


def test_first_of_january_on_a_monday_reopens_on_the_second() -> None:
    assert service_reopens_at(jst("2029-01-01T03:00")) == jst("2029-01-02T00:00")
    assert service_reopens_at(jst("2029-01-01T07:00")) == jst("2029-01-02T00:00")
    assert service_reopens_at(jst("2029-01-02T00:00")) is None


def test_service_open_and_closed_edges() -> None:
    assert service_reopens_at(jst("2026-11-29T23:59:59.999999")) is None
    assert service_reopens_at(jst("2026-11-30T00:00")) == jst("2026-11-30T07:00")
    assert service_reopens_at(jst("2026-11-30T07:00")) is None
    assert service_reopens_at(jst("2025-12-31T23:59:59")) is None
    assert service_reopens_at(jst("2026-01-01T00:00")) == jst("2026-01-02T00:00")


# -- Golden Week and the September 2026 holiday run -----------------------------------


def test_golden_week_2026() -> None:
    check(MIZUHO, "2026-04-28T15:00", "scheduled", "2026-04-30T09:30")  # over Showa Day
    check(MIZUHO, "2026-04-29T10:00", "scheduled", "2026-04-30T09:30")
    check(MIZUHO, "2026-05-01T14:49:59", "instant")
    check(MIZUHO, "2026-05-01T14:50:00", "scheduled", "2026-05-07T09:30")
    check(MIZUHO, "2026-05-04T06:59:59", "closed", retry="2026-05-04T07:00")  # Monday
    check(MIZUHO, "2026-05-06T23:59:59", "scheduled", "2026-05-07T09:30")  # substitute
    check(MIZUHO, "2026-05-07T08:59:59", "scheduled", "2026-05-07T09:30")
    check(SMBC, "2026-05-05T12:00", "instant")
    check(SMBC, "2026-05-03T21:00", "scheduled", "2026-05-04T07:00")


def test_september_2026_holiday_run() -> None:
    check(MIZUHO, "2026-09-18T14:50", "scheduled", "2026-09-24T09:30")
    check(MIZUHO, "2026-09-19T10:00", "scheduled", "2026-09-24T09:30")
    check(MIZUHO, "2026-09-21T06:59:59", "closed", retry="2026-09-21T07:00")
    check(MIZUHO, "2026-09-21T07:00", "scheduled", "2026-09-24T09:30")
    check(MIZUHO, "2026-09-22T10:00", "scheduled", "2026-09-24T09:30")  # citizens' holiday
    check(MIZUHO, "2026-09-23T23:59:59", "scheduled", "2026-09-24T09:30")
    check(MIZUHO, "2026-09-24T09:00", "instant")
    check(PAYPAY, "2026-09-22T10:00", "instant")


# -- input in other offsets -----------------------------------------------------------


def test_input_in_utc_is_decided_in_jst() -> None:
    mizuho = get_bank(MIZUHO)
    # 00:00Z is 09:00 JST: instant; one second earlier is 08:59:59 JST.
    at = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    assert quote(mizuho, at) == Quote("instant", at, None)
    before = quote(mizuho, at - timedelta(seconds=1))
    assert before.decision == "scheduled" and before.settle_at == jst("2026-11-25T09:30")
    # 05:50Z is 14:50 JST.
    late = quote(mizuho, datetime(2026, 11, 25, 5, 50, tzinfo=UTC))
    assert late.settle_at == jst("2026-11-26T09:30")
    # Sunday 15:00Z is Monday 00:00 JST: closed, although it is Sunday in UTC.
    closed = quote(mizuho, datetime(2026, 11, 29, 15, 0, tzinfo=UTC))
    assert closed == Quote("closed", None, jst("2026-11-30T07:00"))
    # 31 Dec 15:00Z is 1 Jan JST.
    assert quote(mizuho, datetime(2025, 12, 31, 15, 0, tzinfo=UTC)).decision == "closed"
    # Another offset, same instant, same answer.
    ny = timezone(timedelta(hours=-5))
    assert quote(mizuho, at.astimezone(ny)) == quote(mizuho, at)


def test_returned_instants_are_utc() -> None:
    for result in (q(MIZUHO, "2026-11-25T10:00"), q(MIZUHO, "2026-11-25T15:00"),
                   q(SMBC, "2026-11-29T22:00"), q(SMBC, "2026-11-30T03:00")):
        instant = result.settle_at or result.retry_at
        assert instant is not None and instant.utcoffset() == timedelta(0)
        assert instant.tzinfo == UTC


def test_parse_instant_without_offset_is_jst() -> None:
    assert parse_instant("2026-11-25T09:00") == jst("2026-11-25T09:00")
    assert quote(get_bank(MIZUHO), parse_instant("2026-11-25T09:00")).decision == "instant"


# -- window kinds from the data file --------------------------------------------------


def test_weekly_window_that_does_not_wrap() -> None:
    w = WeeklyWindow.parse("Wed 01:00", "Wed 02:30")
    assert w.end_if_inside(jst("2026-11-25T00:59:59")) is None
    assert w.end_if_inside(jst("2026-11-25T01:00")) == jst("2026-11-25T02:30")
    assert w.end_if_inside(jst("2026-11-25T02:30")) is None


def test_yearly_window_across_new_year() -> None:
    w = YearlyWindow.parse("12-31 22:00", "01-01 06:00")
    assert w.end_if_inside(jst("2025-12-31T21:59:59")) is None
    assert w.end_if_inside(jst("2025-12-31T22:00")) == jst("2026-01-01T06:00")
    assert w.end_if_inside(jst("2026-01-01T05:59:59")) == jst("2026-01-01T06:00")
    assert w.end_if_inside(jst("2026-01-01T06:00")) is None


def test_once_window_and_chaining() -> None:
    upgrade = window_from_spec(
        {"kind": "once", "from": "2026-05-03T00:00", "until": "2026-05-04T06:00"}
    )
    assert isinstance(upgrade, OnceWindow)
    sunday = window_from_spec({"kind": "weekly", "from": "Sun 21:00", "until": "Mon 07:00"})
    # 3 May 2026 is a Sunday: the upgrade runs into the weekly window.
    assert open_again_at((upgrade, sunday), jst("2026-05-03T10:00")) == jst("2026-05-04T07:00")
    assert open_again_at((upgrade, sunday), jst("2026-05-02T23:59:59")) is None


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "monthly", "from": "x", "until": "y"},
        {"kind": "weekly", "from": "Sun 21:00", "until": "Sun 21:00"},
        {"kind": "weekly", "from": "Sunday 21:00", "until": "Mon 07:00"},
        {"kind": "weekly", "from": "Sun 25:00", "until": "Mon 07:00"},
        {"kind": "yearly", "from": "02-29 00:00", "until": "03-01 00:00"},
        {"kind": "yearly", "from": "13-01 00:00", "until": "01-02 00:00"},
        {"kind": "once", "from": "2026-05-04T00:00", "until": "2026-05-03T00:00"},
    ],
)
def test_bad_window_specs_are_refused(spec: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        window_from_spec(spec)


def test_instant_settles_at_exactly_the_instant_given() -> None:
    at = jst("2026-11-25T10:00:00.123456")
    assert q(MIZUHO, "2026-11-25T10:00:00.123456").settle_at == at
    assert q(SMBC, "2026-11-25T10:00:00.123456").settle_at == at


def test_next_batch_is_the_next_0930_on_a_bank_business_day():
    from shunfuri.domain.instants import parse_instant
    from shunfuri.domain.windows import next_batch

    cases = {
        "2026-12-01T08:00:00+09:00": "2026-12-01T09:30:00+09:00",  # Tuesday morning
        "2026-12-01T09:30:00+09:00": "2026-12-02T09:30:00+09:00",  # the batch itself: next
        "2026-12-04T15:00:00+09:00": "2026-12-07T09:30:00+09:00",  # Friday -> Monday
        "2026-12-30T10:00:00+09:00": "2027-01-04T09:30:00+09:00",  # over the year end
    }
    for at, expected in cases.items():
        assert next_batch(parse_instant(at)) == parse_instant(expected), at
