"""The lockout of unknown clients (`shunfuri.domain.lockout`), with explicit instants: how
long it lasts, how it grows, when it is forgotten, and what it leaves a PIN guesser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from shunfuri.domain.lockout import (
    Untrusted,
    UntrustedPolicy,
    after_failure,
    after_success,
    forgotten,
    lockout_length,
    retry_after,
)

T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
POLICY = UntrustedPolicy()  # 3 failures, 15 min doubling to 24 h, forgotten after 7 days


def fail(state: Untrusted, at: datetime, times: int = 1) -> Untrusted:
    for _ in range(times):
        state = after_failure(state, at, POLICY)
    return state


def test_the_third_failure_locks_unknown_clients_out_for_15_minutes() -> None:
    state = fail(Untrusted(), T0, 2)
    assert retry_after(state, T0) is None and state.failures == 2
    state = fail(state, T0)
    assert state.locked_until == T0 + timedelta(minutes=15)
    assert retry_after(state, T0) == 900
    assert retry_after(state, T0 + timedelta(seconds=899, microseconds=1)) == 1
    assert retry_after(state, T0 + timedelta(minutes=15)) is None


def test_each_lockout_in_a_row_doubles_up_to_a_day() -> None:
    assert [lockout_length(n, POLICY) for n in range(1, 10)] == [
        timedelta(minutes=m) for m in (15, 30, 60, 120, 240, 480, 960, 1440, 1440)]
    assert lockout_length(10**6, POLICY) == timedelta(hours=24)
    state, at = Untrusted(), T0
    for expected in (15, 30, 60):
        state = fail(state, at, 3)
        assert state.locked_until == at + timedelta(minutes=expected)
        at = state.locked_until


def test_a_quiet_week_forgets_the_count_and_the_doubling() -> None:
    state = fail(fail(Untrusted(), T0, 6), T0 + timedelta(minutes=20))  # 2 lockouts, 1 failure
    assert (state.lockouts, state.failures) == (2, 1)
    week = state.last_failure_at + timedelta(days=7)
    assert forgotten(state, week - timedelta(seconds=1), POLICY) == state
    assert forgotten(state, week, POLICY) == Untrusted()
    assert fail(state, week, 3).locked_until == week + timedelta(minutes=15)


def test_a_success_from_a_new_client_clears_its_slips_but_not_the_doubling() -> None:
    state = fail(fail(Untrusted(), T0, 3), T0 + timedelta(hours=1), 2)
    state = after_success(state)
    assert (state.failures, state.lockouts) == (0, 1)
    assert fail(state, T0 + timedelta(hours=2), 3).locked_until == (
        T0 + timedelta(hours=2, minutes=30))


def test_a_stranger_guessing_a_pin_for_a_year_gets_about_three_tries_a_day() -> None:
    """The bound the module docstring states: trying whenever allowed, 21 guesses in the
    first 32 hours, then 3 a day: about 1,100 of the 10,000 PINs in a year."""
    state, at, guesses = Untrusted(), T0, 0
    year = T0 + timedelta(days=365)
    while at < year:
        wait = retry_after(state, at)
        if wait is not None:
            at += timedelta(seconds=wait)
            continue
        state = after_failure(state, at, POLICY)
        guesses += 1
        at += timedelta(seconds=1)
    assert 1_000 <= guesses <= 3 * 365 + 21


@given(gaps=st.lists(st.integers(min_value=0, max_value=30 * 86_400), min_size=1,
                     max_size=60))
def test_no_schedule_of_attempts_beats_three_a_day_plus_the_ramp(gaps: list[int]) -> None:
    """Whatever the attacker waits between attempts (and waiting out the week to be
    forgotten), no more than `failures` guesses pass in any lockout-free stretch, and the
    total stays under the ramp plus three a day."""
    state, at, guesses = Untrusted(), T0, 0
    for gap in gaps:
        at += timedelta(seconds=gap)
        if retry_after(state, at) is not None:
            continue
        state = after_failure(state, at, POLICY)
        guesses += 1
    days = (at - T0).total_seconds() / 86_400
    forgets = 1 + int(days // 7)  # each quiet week may restart the ramp
    assert guesses <= forgets * 21 + 3 * (days + 1)
