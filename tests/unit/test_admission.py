"""Admission control's decision (pure): refuse a new instant transfer once the oldest
accepted-not-claimed instant transfer has waited `max_wait`, never a scheduled one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shunfuri.domain.admission import MAX_RETRY_AFTER_S, Backlog, decide, waited

NOW = datetime(2026, 12, 1, 1, 0, 0, tzinfo=UTC)


def behind(seconds: float, depth: int = 10) -> Backlog:
    return Backlog(depth=depth, oldest_at=NOW - timedelta(seconds=seconds))


def test_an_empty_queue_admits():
    assert decide(Backlog(0, None), NOW, max_wait=2.0) is None
    assert waited(Backlog(0, None), NOW) == 0.0


def test_a_queue_younger_than_max_wait_admits_however_deep():
    assert decide(behind(1.99, depth=100_000), NOW, max_wait=2.0) is None


@pytest.mark.parametrize(("age", "retry_after"), [(2.0, 2), (2.01, 3), (7.5, 8)])
def test_at_max_wait_or_older_it_refuses_with_the_backlogs_age(age, retry_after):
    refused = decide(behind(age), NOW, max_wait=2.0)
    assert refused is not None
    assert (refused.waited, refused.retry_after) == (age, retry_after)


def test_retry_after_is_at_least_one_and_capped():
    assert decide(behind(0.2), NOW, max_wait=0.1).retry_after == 1
    assert decide(behind(3600), NOW, max_wait=2.0).retry_after == MAX_RETRY_AFTER_S


def test_scheduled_transfers_are_never_refused():
    assert decide(behind(60), NOW, max_wait=2.0, decision="scheduled") is None


def test_zero_max_wait_switches_it_off():
    assert decide(behind(60), NOW, max_wait=0) is None


def test_a_clock_behind_the_row_or_an_empty_count_is_no_wait():
    # Another host's clock a little ahead wrote the row: it has not waited yet.
    assert decide(Backlog(1, NOW + timedelta(seconds=1)), NOW, max_wait=0.5) is None
    # Claimed between the two subqueries: the count says empty, the age is not trusted.
    assert decide(Backlog(0, NOW - timedelta(seconds=9)), NOW, max_wait=2.0) is None


def test_time_is_the_callers():
    backlog = behind(0)
    assert decide(backlog, NOW + timedelta(seconds=1), max_wait=2.0) is None
    assert decide(backlog, NOW + timedelta(seconds=2), max_wait=2.0) is not None
