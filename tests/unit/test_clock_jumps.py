"""A jump of the simulated clock (`shunfuri clock`, `write_control`) is seen by the very next
reading in every process: a request sent right after the command returns is stamped with
the new time (tests/e2e/test_week_e2e.py once saw the old one, 50 ms stale)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shunfuri.clock import SimulatedClock, write_control

MONDAY_0658 = datetime(2026, 9, 13, 21, 58, tzinfo=UTC)


def test_every_jump_is_seen_at_the_next_reading_even_many_within_one_tick(tmp_path):
    control = tmp_path / "clock.json"
    write_control(control, MONDAY_0658, 1)
    clock = SimulatedClock(start=MONDAY_0658, control=control)
    assert abs(clock.now() - MONDAY_0658) < timedelta(seconds=5)
    # Jumps faster than the file system's modification time moves (a few ms a tick).
    for minutes in range(4, 84, 4):
        target = MONDAY_0658 + timedelta(minutes=minutes)
        write_control(control, target, 1)
        assert abs(clock.now() - target) < timedelta(seconds=5), minutes


def test_a_reading_without_a_jump_keeps_the_clock_running(tmp_path):
    control = tmp_path / "clock.json"
    write_control(control, MONDAY_0658, 1000)
    clock = SimulatedClock(start=MONDAY_0658, control=control)
    first = clock.now()
    later = clock.now()
    assert later >= first  # x1000: never set back by a re-read of the same file
