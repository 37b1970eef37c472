"""Stored instants are UTC; a naive one is read as UTC, and shown in JST."""

from __future__ import annotations

from datetime import UTC, datetime

from shunfuri.domain.instants import JST, aware, iso_jst, to_jst


def test_a_naive_stored_instant_is_utc() -> None:
    assert aware(datetime(2026, 12, 1, 0, 30)) == datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
    assert aware(None) is None


def test_an_aware_instant_is_left_as_it_is() -> None:
    jst = datetime(2026, 12, 1, 9, 30, tzinfo=JST)
    assert aware(jst) is jst


def test_shown_in_japan_time() -> None:
    assert to_jst(datetime(2026, 12, 1, 0, 30)) == datetime(2026, 12, 1, 9, 30, tzinfo=JST)
    assert iso_jst(datetime(2026, 12, 1, 0, 30, tzinfo=UTC)) == "2026-12-01T09:30:00+09:00"
