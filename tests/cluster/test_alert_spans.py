"""The report's alert table: one alert's series over a run is split into its separate
firings (seed 7's table once showed worker2 down from 80 s to 1,490 s: several firings,
joined)."""

from __future__ import annotations

from cluster.alerts import STEP_S, spans


def test_samples_a_step_apart_are_one_firing_and_a_gap_starts_another() -> None:
    stamps = [100.0, 105.0, 110.0, 400.0, 405.0, 900.0]
    assert spans(stamps) == [(100.0, 110.0), (400.0, 405.0), (900.0, 900.0)]


def test_order_does_not_matter_and_nothing_is_nothing() -> None:
    assert spans([110.0, 100.0, 105.0]) == [(100.0, 110.0)]
    assert spans([]) == []
    assert spans([0.0, STEP_S * 1.5, STEP_S * 3 + 0.1]) == [(0.0, STEP_S * 1.5),
                                                          (STEP_S * 3 + 0.1, STEP_S * 3 + 0.1)]
