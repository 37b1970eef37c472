"""Reading `Prefer: wait=N` (RFC 7240): a hint, so anything unusable is no wait at all."""

from __future__ import annotations

import pytest

from api.prefer import applied, wait_seconds


@pytest.mark.parametrize(("header", "seconds"), [
    ("wait=5", 5), ("WAIT=5", 5), (' wait="7" ', 7), ("respond-async, wait=10", 10),
    ("wait=10; foo=bar", 10), ("wait=30", 30), ("wait=31", 30), ("wait=99999999999", 30),
    ("handling=lenient,wait=3", 3),
])
def test_usable_waits(header, seconds):
    assert wait_seconds(header) == seconds


@pytest.mark.parametrize("header", [
    None, "", "wait", "wait=", "wait=0", "wait=-1", "wait=1.5", "wait=x", "wait=٣",
    "respond-async", "waiting=5",
])
def test_unusable_preferences_mean_no_wait(header):
    assert wait_seconds(header) is None


def test_applied_names_the_wait_used():
    assert applied(30) == {"Preference-Applied": "wait=30"}
