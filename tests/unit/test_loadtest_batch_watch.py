"""How often the batch scenario's watch reads the database (`loadtests.runs.batch`)."""

from __future__ import annotations

from loadtests.runs.batch import POLL_BEFORE_DUE_S, POLL_MAX_S, POLL_MIN_S, read_interval


def test_before_09_30_the_watch_reads_rarely():
    assert read_interval(1_000.0, None, 0, 100_000) == POLL_BEFORE_DUE_S


def test_far_from_the_end_it_reads_at_most_every_two_seconds():
    # 10 s after 09:30, 20,000 settled: 40 s still to go at this pace.
    assert read_interval(1_010.0, 1_000.0, 20_000, 100_000) == POLL_MAX_S


def test_near_the_end_it_reads_often_enough_to_see_the_end_within_a_quarter_second():
    # 2,000/s so far, 1,200 left: 0.6 s to go, read again in 0.3 s.
    assert read_interval(1_040.0, 1_000.0, 80_000, 81_200) == 0.3
    assert read_interval(1_040.0, 1_000.0, 81_000, 81_200) == POLL_MIN_S


def test_nothing_settled_yet_reads_at_the_shortest_interval():
    assert read_interval(1_001.0, 1_000.0, 0, 100_000) == POLL_MIN_S
