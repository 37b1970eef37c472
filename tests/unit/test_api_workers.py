"""`shunfuri up` starts one API process per two cores it may use, and never none."""

from __future__ import annotations

import os

import pytest

from shunfuri.cli import up as launcher


@pytest.mark.parametrize(("cores", "expected"), [(1, 1), (2, 1), (3, 1), (4, 2), (16, 8)])
def test_one_api_process_per_two_usable_cores(monkeypatch, cores, expected):
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(cores)), raising=False)
    assert launcher.default_api_workers() == expected


def test_without_an_affinity_call_the_core_count_decides(monkeypatch):
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert launcher.default_api_workers() == 3
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert launcher.default_api_workers() == 1
