"""`shunfuri ARGS` in a process of its own, forked from one that has imported the CLI.

A test that runs `shunfuri reconcile` or `shunfuri staff add` against a running system
wants the command as an operator runs it: its own process, its own environment, its exit
code and output. Started as the console script, each such call spent ~0.8 CPU-s importing
SQLAlchemy and the services before doing milliseconds of work, and the suite makes about a
hundred. Here each call is a child of multiprocessing's fork server, a clean
single-threaded process that imported the CLI once (`PRELOAD`): the same entry point
(`shunfuri.cli.main.main`, what the console script calls) with the given argv,
environment, working folder and standard input, in a fresh process, at a fraction of the
cost. Nothing of the test process is shared: the fork server is a process of its own that
only imported modules (no connection, no thread), and each child reads its settings afresh
from the environment it was given.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from shunfuri.cli.main import SUBCOMMANDS

# The CLI's modules and what its commands import when they run.
PRELOAD = [
    "shunfuri.cli.main", *SUBCOMMANDS, "shunfuri.catalogue", "shunfuri.db.migrate",
    "shunfuri.db.session", "shunfuri.db.models", "shunfuri.gateway.http", "shunfuri.mail.sink",
    "shunfuri.services.operations.invariants", "shunfuri.services.operations.reconcile",
    "shunfuri.services.orders.doubts", "shunfuri.services.staff.accounts",
    "shunfuri.services.staff.audit", "shunfuri.embedded", "rich.table",
]
_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(PRELOAD)


def _main(argv: list[str], env: dict[str, str], cwd: str, folder: str) -> None:
    """In the forked child: become `shunfuri ARGV` and run it (exits with its code)."""
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    out = os.open(os.path.join(folder, "stdout"), os.O_WRONLY)
    err = os.open(os.path.join(folder, "stderr"), os.O_WRONLY)
    os.dup2(out, 1)
    os.dup2(err, 2)
    sys.stdin = open(os.path.join(folder, "stdin"), encoding="utf-8")
    sys.argv = ["shunfuri", *argv]
    from shunfuri.settings import get_settings

    get_settings.cache_clear()  # never the fork server's: this environment's
    from shunfuri.cli.main import main

    main()


def run(argv: list[str], *, env: dict[str, str], cwd: Path, stdin: str | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess:
    """As `subprocess.run(["shunfuri", *argv], env=env, cwd=cwd, input=stdin,
    capture_output=True, text=True, timeout=timeout)` would answer."""
    with tempfile.TemporaryDirectory(prefix="shunfuri-cli-") as folder:
        for name, content in (("stdin", stdin or ""), ("stdout", ""), ("stderr", "")):
            Path(folder, name).write_text(content, encoding="utf-8")
        child = _context.Process(target=_main, args=(argv, env, str(cwd), folder))
        child.start()
        child.join(timeout)
        if child.exitcode is None:
            child.kill()
            child.join()
            raise subprocess.TimeoutExpired(["shunfuri", *argv], timeout)
        out, err = (Path(folder, name).read_text(encoding="utf-8", errors="replace")
                    for name in ("stdout", "stderr"))
        return subprocess.CompletedProcess(["shunfuri", *argv], child.exitcode, out, err)
