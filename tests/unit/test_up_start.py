"""How `shunfuri up` starts its processes: `SHUNFURI_UP_START`, else fork on Linux."""

from __future__ import annotations

import sys

import pytest

from shunfuri.cli.children import Child, forking


@pytest.mark.parametrize(("value", "fork"), [("fork", True), ("exec", False),
                                             ("", sys.platform.startswith("linux"))])
def test_the_setting_or_the_platform_decides(monkeypatch, value, fork):
    monkeypatch.setenv("SHUNFURI_UP_START", value)
    assert forking() is fork


def test_anything_else_is_refused_with_the_choices(monkeypatch):
    monkeypatch.setenv("SHUNFURI_UP_START", "spawn")
    with pytest.raises(SystemExit, match="use fork, exec, or leave it unset"):
        forking()


def test_a_child_is_named_within_the_kernels_fifteen_bytes_and_shows_its_command():
    child = Child("screening", "celery", ("-A", "workers.app", "worker"), nice=10)
    assert child.title == "shunfuri screen"
    assert child.command == f"nice -n 10 {sys.executable} -m celery -A workers.app worker"
