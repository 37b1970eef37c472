"""The application's states (spec application.md, "Screening"), exhaustively: every status
against every move; the table below is the whole of what is allowed. And the 14-day
expiry, counted as the Civil Code counts days (the decision day not counted)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shunfuri.domain import application_states as states
from shunfuri.domain.application_states import (
    DECISION_MOVES,
    Move,
    MoveRefused,
    erasable_from,
    erasure_cutoff,
    expires_at,
    is_expired,
    period_end,
)
from shunfuri.domain.instants import JST
from shunfuri.domain.screening_policy import ScreeningPolicy
from tests.examples import examples

ALLOWED = {
    ("received", Move.CHECK): "checking",
    ("checking", Move.APPROVE): "approved",
    ("checking", Move.DECLINE): "declined",
    ("checking", Move.ASK_DOCUMENTS): "documents_needed",
    ("checking", Move.REFER): "manual_review",
    ("documents_needed", Move.DOCUMENTS_SENT): "checking",
    ("documents_needed", Move.EXPIRE): "expired",
    ("manual_review", Move.SCREENER_APPROVE): "approved",
    ("manual_review", Move.SCREENER_DECLINE): "declined",
    ("approved", Move.CONTRACT): "contracted",
    ("approved", Move.EXPIRE): "expired",
}
EVERY = [(status, move) for status in states.STATUSES for move in Move]


@pytest.mark.parametrize(("status", "move"), EVERY)
def test_exactly_the_listed_moves_are_allowed(status: str, move: Move) -> None:
    expected = ALLOWED.get((status, move))
    assert states.allows(status, move) is (expected is not None)
    if expected is None:
        with pytest.raises(MoveRefused) as refused:
            states.target(status, move)
        assert (refused.value.status, refused.value.move) == (status, move)
    else:
        assert states.target(status, move) == expected


def test_final_statuses_have_no_way_out() -> None:
    for status in states.FINAL:
        assert not any(states.allows(status, move) for move in Move)


def test_each_screening_decision_has_its_move_from_checking() -> None:
    for status, move in DECISION_MOVES.items():
        assert states.target("checking", move) == status


# --- expiry ------------------------------------------------------------------------

DEC_1_NOON = datetime(2026, 12, 1, 12, 0, tzinfo=JST)
DEC_16_START = datetime(2026, 12, 16, 0, 0, tzinfo=JST)
US = timedelta(microseconds=1)


@pytest.mark.parametrize(
    "entered",
    [datetime(2026, 12, 1, 0, 0, tzinfo=JST), DEC_1_NOON,
     datetime(2026, 12, 1, 23, 59, 59, 999999, tzinfo=JST),
     datetime(2026, 11, 30, 15, 0, tzinfo=UTC)],  # 1 Dec 00:00 JST, given in UTC
)
def test_an_offer_made_any_time_on_1_december_is_open_through_15_december(
    entered: datetime,
) -> None:
    assert expires_at("approved", entered) == DEC_16_START
    assert not is_expired("approved", entered, DEC_16_START - US)
    assert is_expired("approved", entered, DEC_16_START)


def test_a_request_for_documents_expires_the_same_way_with_its_own_days() -> None:
    assert expires_at("documents_needed", DEC_1_NOON) == DEC_16_START
    policy = ScreeningPolicy(offer_valid_days=14, documents_valid_days=7)
    assert expires_at("documents_needed", DEC_1_NOON, policy) == datetime(
        2026, 12, 9, tzinfo=JST)
    assert expires_at("approved", DEC_1_NOON, policy) == DEC_16_START


@pytest.mark.parametrize("status", ["received", "checking", "manual_review", "declined",
                                    "contracted", "expired"])
def test_other_statuses_never_expire(status: str) -> None:
    assert expires_at(status, DEC_1_NOON) is None
    assert not is_expired(status, DEC_1_NOON, DEC_1_NOON + timedelta(days=400))


def test_expiry_answers_in_utc_and_reads_a_naive_now_as_utc() -> None:
    end = expires_at("approved", DEC_1_NOON)
    assert end is not None and end.tzinfo == UTC
    assert is_expired("approved", DEC_1_NOON, datetime(2026, 12, 15, 15, 0))  # naive = UTC
    assert not is_expired("approved", DEC_1_NOON, datetime(2026, 12, 15, 14, 59))


def test_a_period_crosses_the_year_end_and_leap_days() -> None:
    assert period_end(datetime(2027, 12, 25, 9, tzinfo=JST), 14) == datetime(
        2028, 1, 9, tzinfo=JST)
    assert period_end(datetime(2028, 2, 20, 9, tzinfo=JST), 14) == datetime(
        2028, 3, 6, tzinfo=JST)  # 21 Feb .. 5 Mar (29 Feb counted)


@pytest.mark.parametrize("days", [0, -1, True])
def test_a_period_is_at_least_one_whole_day(days: int) -> None:
    with pytest.raises(ValueError):
        period_end(DEC_1_NOON, days)


def test_erasure_180_days_after_the_end() -> None:
    assert states.ERASABLE == {"declined", "expired"}
    assert erasable_from(DEC_1_NOON) == datetime(2027, 5, 31, tzinfo=JST)  # 2 Dec + 179 days


@settings(max_examples=examples(300))
@given(ended=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1),
                          timezones=st.just(UTC)),
       later=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)))
def test_the_erasure_cutoff_is_erasable_from_in_one_comparison(ended, later) -> None:
    now = ended + later
    assert (ended < erasure_cutoff(now)) == (erasable_from(ended) <= now)


def test_the_erasure_cutoff_at_its_edges() -> None:
    # Ended 1 Dec (any hour): the 180 days are 2 Dec .. 30 May; erased from 31 May.
    assert erasure_cutoff(datetime(2027, 5, 31, tzinfo=JST)) == datetime(2026, 12, 2, tzinfo=JST)
    assert erasure_cutoff(datetime(2027, 5, 30, 23, 59, 59, tzinfo=JST)) == datetime(
        2026, 12, 1, tzinfo=JST)
