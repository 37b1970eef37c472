"""Business time -> real time: `next_attempt_at` is real time, maintenance windows are
business time, and under `SHUNFURI_CLOCK=...@speed` the two run at different speeds."""

from __future__ import annotations

from datetime import timedelta

from shunfuri.clock import JUMP_RECHECK, SimulatedClock, SystemClock, write_control
from shunfuri.domain.instants import parse_instant

SUNDAY_2100 = parse_instant("2026-11-29T21:00:05+09:00")


def test_the_system_clock_runs_at_real_speed() -> None:
    assert SystemClock().real_delay(timedelta(hours=10)) == timedelta(hours=10)


def test_a_fast_simulated_clock_divides_by_its_speed() -> None:
    clock = SimulatedClock(start=SUNDAY_2100, speed=60)
    # SMBC's window ends at 07:00: 9 h 59 min 55 s of business time is 599.9 s of real time.
    left = parse_instant("2026-11-30T07:00:00+09:00") - clock.now()
    assert abs(clock.real_delay(left).total_seconds() - left.total_seconds() / 60) < 1e-6
    assert clock.real_delay(timedelta(minutes=10)) == timedelta(seconds=10)
    assert clock.real_delay(timedelta(seconds=-5)) == timedelta(0)


def test_a_movable_clock_reads_its_speed_from_the_control_file_and_caps_the_wait(tmp_path):
    control = tmp_path / "clock.json"
    write_control(control, SUNDAY_2100, 600)
    clock = SimulatedClock(start=SUNDAY_2100, speed=1, control=control)
    assert clock.real_delay(timedelta(minutes=1)) == timedelta(seconds=0.1)  # speed 600
    # `shunfuri clock` may jump past a far instant at any time: look again soon.
    assert clock.real_delay(timedelta(hours=10)) == JUMP_RECHECK
