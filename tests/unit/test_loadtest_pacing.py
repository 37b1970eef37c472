"""The Locust schedule: a steady offered rate, whatever the latencies."""

from __future__ import annotations

import pytest

from loadtests.pacing import phase, wait_for_slot


def test_users_are_spread_evenly_over_the_period():
    starts = sorted(phase(i, 150, 1.0) for i in range(150))
    gaps = {round(b - a, 9) for a, b in zip(starts, starts[1:], strict=False)}
    assert gaps == {round(1 / 150, 9)}
    assert 0 < starts[0] and starts[-1] < 1.0
    # Every half-second holds the same number of starts: no burst at the beginning.
    assert sum(s < 0.5 for s in starts) == 75


def test_a_slow_transfer_does_not_move_the_users_later_slots():
    first = 100.0
    # slot 1 should go at 101.0; the first transfer took 1.3 s, so it goes at once...
    assert wait_for_slot(first, 1, 1.0, now=101.3) == 0.0
    # ...and slot 2 is still at 102.0, not 1 s after the late request.
    assert wait_for_slot(first, 2, 1.0, now=101.35) == 102.0 - 101.35


def test_on_time_user_waits_for_its_slot():
    assert wait_for_slot(100.0, 1, 0.5, now=100.2) == 100.5 - 100.2


def test_the_start_gate_opens_once_every_user_of_the_process_has_arrived():
    import gevent

    from loadtests.start_gate import StartGate

    gate = StartGate(start_delay=0.0)
    opener = gevent.spawn(gate.open_when_all_arrived, 3)
    gate.arrive()
    gate.arrive()
    gevent.sleep(0.2)
    assert not opener.dead  # two of three: still closed
    gate.arrive()
    opener.join(timeout=10)
    assert opener.dead and gate.users == 3
    # user 1 of 3 at 1/s: a third of the period after user 0, evenly spaced
    assert gate.first_slot(1, 1.0) - gate.first_slot(0, 1.0) == pytest.approx(1 / 3)


def test_the_steady_load_begins_when_every_locust_process_has_opened_its_gate(tmp_path):
    from loadtests.pacing import read_steady_start, write_steady_start

    assert read_steady_start(tmp_path, 2) is None  # nobody has logged in yet
    write_steady_start(tmp_path, 101, 1000.5)
    assert read_steady_start(tmp_path, 2) is None  # one of two worker processes
    write_steady_start(tmp_path, 102, 1003.0)
    assert read_steady_start(tmp_path, 2) == 1003.0  # the later of the two
    assert read_steady_start(tmp_path, 1) == 1003.0
