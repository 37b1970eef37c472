"""`shunfuri up`'s supervisor (shunfuri/cli/supervise.py) over real child processes,
forked (as on Linux) and exec'd (the fallback): output behind each name, a crash of a
worker started again, any other exit or a signal stopping every child."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tests.system import ROOT, poll

MODES = ["fork", "exec"]


def supervise(tmp_path, mode: str, *children: str) -> subprocess.Popen:
    with open(tmp_path / "out.log", "w") as out:  # the child has its own copy
        return subprocess.Popen(
            [sys.executable, "-m", "tests.supervised", "supervise", mode, *children],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )


def output(tmp_path) -> str:
    return (tmp_path / "out.log").read_text()


def lines_of(text: str, name: str) -> list[str]:
    return [line.split("| ", 1)[1] for line in text.splitlines()
            if line.split(" ", 1)[1].startswith(f"{name} ")]


def stopped(process: subprocess.Popen) -> int:
    return process.wait(timeout=30)


@pytest.mark.parametrize("mode", MODES)
def test_sigterm_stops_every_child_and_exits_as_a_shell_would(tmp_path, mode):
    process = supervise(tmp_path, mode, "one=talk", "two=talk")
    # Each child's last line is one written in two pieces: once both are out, all is.
    poll(lambda: output(tmp_path).count("partial line without end") == 2,
         timeout=30, what="both children talking")
    text = output(tmp_path)
    # Forked: named for what it is (what `top` shows). Exec'd: the interpreter's name.
    assert lines_of(text, "one")[0].startswith(
        "talking as 'shunfuri one'" if mode == "fork" else "talking as 'python")
    assert "partial line without end" in lines_of(text, "two")
    os.kill(process.pid, signal.SIGTERM)
    assert stopped(process) == 0
    text = output(tmp_path)
    assert "SIGTERM received" in text
    assert "one stopped (rc=-15)" in text and "two stopped (rc=-15)" in text
    assert text.splitlines()[-1] == "supervisor exit 143"


@pytest.mark.parametrize("mode", MODES)
def test_a_child_that_exits_stops_the_others_with_its_code(tmp_path, mode):
    process = supervise(tmp_path, mode, "steady=talk", "quitter=exit:4")
    assert stopped(process) == 0
    text = output(tmp_path)
    assert "exiting with 4" in lines_of(text, "quitter")
    assert "quitter stopped (rc=4)" in text and "sending SIGTERM to steady" in text
    assert "steady stopped (rc=-15)" in text
    assert "restarting" not in text
    assert text.splitlines()[-1] == "supervisor exit 4"


def test_a_crashed_worker_starts_again_and_the_rest_keeps_running(tmp_path):
    process = supervise(tmp_path, "fork", "steady=talk",
                        f"worker=crash-once:{tmp_path / 'crashed'}")
    poll(lambda: "started again" in output(tmp_path), timeout=30,
         what="the worker's second life")
    text = output(tmp_path)
    assert "worker stopped (rc=3)" in text and "worker died; restarting" in text
    assert "steady stopped" not in text  # nothing else was touched
    os.kill(process.pid, signal.SIGINT)
    assert stopped(process) == 0
    assert output(tmp_path).splitlines()[-1] == "supervisor exit 130"


def test_a_child_that_ignores_sigterm_is_killed(tmp_path):
    process = supervise(tmp_path, "fork", "stubborn=stubborn")
    poll(lambda: "ignoring SIGTERM" in output(tmp_path), timeout=30, what="the child")
    os.kill(process.pid, signal.SIGTERM)
    assert stopped(process) == 0
    text = output(tmp_path)
    assert "sending SIGKILL to stubborn" in text and "stubborn stopped (rc=-9)" in text
    assert text.splitlines()[-1] == "supervisor exit 143"
