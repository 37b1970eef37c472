"""`shunfuri quote`: one quote, a batch on stdin, and the refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import shunfuri.cli.quote  # noqa: F401  (registers the command)
from shunfuri.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()
MAIN = (sys.executable, "-c", "from shunfuri.cli.main import main; main()")


def run(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["quote", *args], input=stdin)


def test_one_quote_prints_the_availability_json_on_one_line() -> None:
    result = run("--bank-code", "0009", "--at", "2026-11-29T22:15:00+09:00")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("\n") == 1
    assert json.loads(result.stdout) == {
        "bank_code": "0009",
        "bank_name": "三井住友",
        "decision": "scheduled",
        "settle_at": "2026-11-30T07:00:00+09:00",
        "retry_at": None,
    }


def test_instant_without_offset_is_read_as_jst() -> None:
    naive = json.loads(run("--bank-code", "0001", "--at", "2026-11-25T09:00").stdout)
    explicit = json.loads(run("--bank-code", "0001", "--at", "2026-11-25T00:00Z").stdout)
    assert naive["decision"] == "instant" and naive["settle_at"] == "2026-11-25T09:00:00+09:00"
    assert explicit == naive


def test_closed_has_retry_at() -> None:
    out = json.loads(run("--bank-code", "0033", "--at", "2026-11-30T06:59:59+09:00").stdout)
    assert out["decision"] == "closed" and out["settle_at"] is None
    assert out["retry_at"] == "2026-11-30T07:00:00+09:00"


def test_at_defaults_to_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    from shunfuri.clock import SimulatedClock, set_clock
    from shunfuri.domain.instants import parse_instant

    set_clock(SimulatedClock(start=parse_instant("2026-11-25T10:00+09:00"), speed=0.0001))
    try:
        out = json.loads(run("--bank-code", "0001").stdout)
    finally:
        set_clock(None)
    assert out["decision"] == "instant" and out["settle_at"].startswith("2026-11-25T10:00:00")


def test_unknown_bank_exits_2_with_the_code_on_stderr() -> None:
    result = run("--bank-code", "9999", "--at", "2026-11-25T10:00")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("unknown_bank")


def test_unparsable_instant_names_the_format() -> None:
    result = run("--bank-code", "0009", "--at", "next tuesday")
    assert result.exit_code == 2
    assert result.stderr.startswith("validation_error")
    assert "ISO 8601" in result.stderr and "JST" in result.stderr


def test_batch_keeps_order_and_keeps_going() -> None:
    lines = [
        {"bank_code": "0009", "at": "2026-11-29T21:00:00+09:00"},
        {"bank_code": "9999", "at": "2026-11-29T21:00:00+09:00"},
        "not json",
        {"bank_code": "0001", "at": "yesterday"},
        ["0001"],
        {"bank_code": 1, "at": "2026-11-25T10:00"},
        {"bank_code": "0001", "at": "2026-11-25T14:50"},
        {"bank_code": "0001", "at": "9999-12-31T23:00-09:00"},
        {"bank_code": "0033", "at": "2026-01-01T12:00"},
    ]
    stdin = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n\n"
    result = run("--batch", stdin=stdin)
    assert result.exit_code == 0
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == len(lines)
    assert out[0]["decision"] == "scheduled"
    assert out[0]["settle_at"] == "2026-11-30T07:00:00+09:00"
    assert out[1] == {"error": "unknown_bank"}
    assert out[2]["error"] == "validation_error"
    assert out[3]["error"] == "validation_error" and "ISO 8601" in out[3]["detail"]
    assert out[4]["error"] == "validation_error"
    assert out[5]["error"] == "validation_error"
    assert out[6]["settle_at"] == "2026-11-26T09:30:00+09:00"
    assert out[7]["error"] == "validation_error"
    assert out[8] == {"bank_code": "0033", "bank_name": out[8]["bank_name"],
                      "decision": "closed", "settle_at": None,
                      "retry_at": "2026-01-02T00:00:00+09:00"}


def test_batch_survives_bytes_that_are_not_utf8() -> None:
    result = runner.invoke(
        app, ["quote", "--batch"],
        input=b'\xff\xfe\n{"bank_code": "0009", "at": "2026-11-25T10:00"}\n',
    )
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert out[0]["error"] == "validation_error" and out[1]["decision"] == "instant"


def test_the_console_entry_point_registers_quote() -> None:
    # What the `shunfuri` console script runs: `shunfuri.cli.main:main`, which imports the
    # sub-command modules. (`python -m shunfuri.cli.main` would register on a second copy.)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [*MAIN, "quote", "--batch"], cwd=ROOT, env=env,
        input='{"bank_code": "0033", "at": "2026-11-30T07:00:00+09:00"}\n',
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["decision"] == "instant"
    proc = subprocess.run(
        [*MAIN, "quote", "--bank-code", "12"], cwd=ROOT,
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2 and proc.stderr.startswith("unknown_bank")
