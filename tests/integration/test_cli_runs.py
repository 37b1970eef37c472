"""tests/cli_runs.py, which `System.cli` uses: `shunfuri ARGS` forked from a process that
imported the CLI answers as the console script does - exit code, output, standard input,
the environment given and nothing of the test process's."""

from __future__ import annotations

import json
import os
import subprocess

from sqlalchemy import text

from tests import cli_runs
from tests.system import ROOT, SHUNFURI


def both(*args: str, env: dict[str, str], stdin: str | None = None):
    forked = cli_runs.run(list(args), env=env, cwd=ROOT, stdin=stdin)
    script = subprocess.run([SHUNFURI, *args], env=env, input=stdin, capture_output=True,
                            text=True, timeout=120, cwd=ROOT)
    return forked, script


def test_output_and_exit_codes_are_the_console_scripts(tmp_path):
    env = {**os.environ, "SHUNFURI_DATA_DIR": str(tmp_path)}
    forked, script = both("clock", "2026-12-01T10:00:00+09:00@2", env=env)
    assert (forked.returncode, forked.stdout) == (script.returncode, script.stdout) == (
        0, "simulated clock set to 2026-12-01T01:00:00+00:00 x2\n")
    assert json.loads((tmp_path / "clock.json").read_text())  # the data folder given
    forked, script = both("clock", "yesterday-ish", env=env)
    assert forked.returncode == script.returncode == 2
    assert forked.stderr == script.stderr and "yesterday-ish" in forked.stderr
    forked, script = both("no-such-command", env=env)
    assert forked.returncode == script.returncode == 2
    assert "No such command" in forked.stderr


def test_standard_input_and_the_environment_reach_the_command(db, database_url):
    # The environment given, not this process's: only `env` names the database.
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["DATABASE_URL"] = database_url
    done = cli_runs.run(["staff", "add", "forked1", "--name", "鈴木 一郎", "--role", "desk",
                         "--password-stdin"], env=env, cwd=ROOT, stdin="Forked-Lamp-Otter-9\n")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["login_id"] == "forked1"
    from shunfuri.db.session import engine_for

    with engine_for(database_url).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM staff_accounts WHERE login_id = 'forked1'")
                            ).scalar() == 1
    refused = cli_runs.run(["staff", "add", "forked2", "--name", "x", "--password-stdin"],
                           env=env, cwd=ROOT, stdin="short\n")
    assert refused.returncode != 0 and refused.stderr
