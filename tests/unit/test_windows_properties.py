"""Properties of the quote over any instant and bank, checked against plain oracles."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from shunfuri.domain.banks import get_bank
from shunfuri.domain.calendar import is_business_day
from shunfuri.domain.instants import JST, to_jst
from shunfuri.domain.windows import maintenance_ends_at, quote, service_reopens_at
from tests.examples import examples

US = timedelta(microseconds=1)
BANKS = [get_bank(code) for code in ("0009", "0033", "0001", "0005", "0017", "0036")]

instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31, 23, 59, 59),
    timezones=st.sampled_from([UTC, JST, timezone(timedelta(hours=-5)),
                               timezone(timedelta(hours=5, minutes=30))]),
)
# Edges matter most: also draw whole minutes next to the rule times.
edges = st.builds(
    lambda day, hh, mm, delta: datetime.combine(day, time(hh, mm), JST) + delta,
    st.dates(min_value=datetime(2020, 1, 1).date(), max_value=datetime(2035, 12, 31).date()),
    st.sampled_from([0, 7, 9, 14, 21, 23]),
    st.sampled_from([0, 30, 50, 59]),
    st.sampled_from([-US, timedelta(0), US, timedelta(seconds=-1)]),
)
any_instant = st.one_of(instants, edges)
banks = st.sampled_from(BANKS)


def in_service_closure(at: datetime) -> bool:
    local = to_jst(at)
    return (local.weekday() == 0 and local.hour < 7) or (local.month, local.day) == (1, 1)


@settings(max_examples=examples(600), deadline=None)
@given(bank=banks, at=any_instant)
def test_quote_shape_and_settle_not_before_accept(bank, at) -> None:  # type: ignore[no-untyped-def]
    result = quote(bank, at)
    if result.decision == "closed":
        assert result.settle_at is None and result.retry_at is not None
        assert result.retry_at > at
    else:
        assert result.retry_at is None and result.settle_at is not None
        assert result.settle_at >= at
        assert result.settle_at.tzinfo == UTC
    if result.decision == "instant":
        assert result.settle_at == at


@settings(max_examples=examples(600), deadline=None)
@given(bank=banks, at=any_instant)
def test_closed_exactly_inside_a_service_closure(bank, at) -> None:  # type: ignore[no-untyped-def]
    assert (quote(bank, at).decision == "closed") == in_service_closure(at)


@settings(max_examples=examples(400), deadline=None)
@given(at=any_instant)
def test_retry_at_is_the_first_open_instant(at) -> None:  # type: ignore[no-untyped-def]
    reopens = service_reopens_at(at)
    if reopens is None:
        assert not in_service_closure(at)
        return
    assert not in_service_closure(reopens)
    assert in_service_closure(reopens - US)


@settings(max_examples=examples(600), deadline=None)
@given(bank=st.sampled_from([b for b in BANKS if not b.realtime]), at=any_instant)
def test_standard_bank_scheduled_settles_at_0930_on_a_business_day(bank, at) -> None:  # type: ignore[no-untyped-def]
    result = quote(bank, at)
    if result.decision != "scheduled":
        return
    local = to_jst(result.settle_at)
    assert local.time() == time(9, 30)
    assert is_business_day(local.date())
    # No business-day 09:30 batch is skipped between acceptance and settlement.
    day = to_jst(at).date()
    while day < local.date():
        if is_business_day(day):
            assert datetime.combine(day, time(9, 30), JST) <= at
        day += timedelta(days=1)


@settings(max_examples=examples(600), deadline=None)
@given(bank=banks, at=any_instant)
def test_quoting_again_at_settle_at_says_instant(bank, at) -> None:  # type: ignore[no-untyped-def]
    result = quote(bank, at)
    if result.decision == "scheduled":
        again = quote(bank, result.settle_at)
        assert again.decision == "instant", (at, result, again)


def smbc_oracle(at: datetime) -> bool:
    local = to_jst(at)
    sunday_night = local.weekday() == 6 and local.hour >= 21
    monday_morning = local.weekday() == 0 and local.hour < 7
    return sunday_night or monday_morning or (local.month, local.day) == (1, 1)


@settings(max_examples=examples(600), deadline=None)
@given(at=any_instant)
def test_smbc_maintenance_matches_the_rules(at) -> None:  # type: ignore[no-untyped-def]
    smbc = get_bank("0009")
    end = maintenance_ends_at(smbc, at)
    assert (end is not None) == smbc_oracle(at)
    if end is not None:
        assert end > at and not smbc_oracle(end) and smbc_oracle(end - US)


@settings(max_examples=examples(300), deadline=None)
@given(bank=banks, at=instants)
def test_the_offset_of_the_input_does_not_matter(bank, at) -> None:  # type: ignore[no-untyped-def]
    assert quote(bank, at) == quote(bank, at.astimezone(UTC)) == quote(bank, to_jst(at))
