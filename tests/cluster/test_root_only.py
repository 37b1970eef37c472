"""The cluster needs root on Linux: elsewhere it says so and exits 2 (before touching
anything); the schedule itself (`--plan`) needs neither."""

from __future__ import annotations

import subprocess

import pytest

from cluster import netns
from tests.system import ROOT, SHUNFURI


def test_not_root_exits_2_with_a_reason(monkeypatch, capsys) -> None:
    monkeypatch.setattr(netns.os, "geteuid", lambda: 1000)
    with pytest.raises(SystemExit) as stopped:
        netns.require_root_linux()
    assert stopped.value.code == 2
    assert "needs root on Linux" in capsys.readouterr().err


def test_not_linux_exits_2_with_a_reason(monkeypatch, capsys) -> None:
    monkeypatch.setattr(netns.platform, "system", lambda: "Darwin")
    with pytest.raises(SystemExit) as stopped:
        netns.require_root_linux()
    assert stopped.value.code == 2
    assert "this is Darwin, not Linux" in capsys.readouterr().err


def test_the_plan_prints_without_a_cluster() -> None:
    done = subprocess.run([SHUNFURI, "nemesis", "--seed", "11", "--minutes", "5", "--plan"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("seed 11: 15 faults in 5 minutes")
    assert "clock to 2026-12-06T20:59:50+09:00 (sunday-2100)" in done.stdout
