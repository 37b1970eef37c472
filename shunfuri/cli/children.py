"""The processes of one system, and how one is started: forked from `shunfuri up`.

Started as commands (`python -m celery ...`), each of a system's eight processes imported
the same libraries again: a system took 10.0 CPU-s to start and settle on this project's
2-core machine, and 5.0 forked (`loadtests/bench/system_start.py`). `up` imports them once
(`PRELOAD`) and forks each process from itself, which then runs its module as `python -m`
would (`runpy`): it starts where the import ended and shares those pages with its siblings.

Where `fork` without `exec` is not safe (macOS: system libraries refuse to run in a forked
child), or with `SHUNFURI_UP_START=exec`, a child is started as its command, as before.

A forked child's command line is `up`'s; its name (/proc/PID/comm, what `top` and
`ps -o comm` show) says which process it is: `shunfuri api`, `shunfuri worker`, ...
`loadtests/cpu.py` reads it to account CPU by part of the system.
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
import traceback
from dataclasses import dataclass

# What the children import, imported once in `up` before any child is forked: not the
# modules they run, which `runpy` executes afresh as `__main__` (as `python -m` does).
PRELOAD = (
    "api.app", "uvicorn.main", "uvicorn.server", "celery.bin.celery", "celery.apps.worker",
    "celery.apps.beat", "celery.worker.consumer", "kombu.transport.redis",
    "workers.app", "workers.tasks", "simulators.bank", "simulators.bureau",
    "shunfuri.cli.main", "aiosmtpd.controller",
)
NAME_PREFIX = "shunfuri "


@dataclass(frozen=True)
class Child:
    """One process: `python -m MODULE ARGS`, niced by `nice`; `respawn`: a crash (a
    non-zero exit) starts it again instead of stopping the system (see `supervise`)."""

    name: str
    module: str
    args: tuple[str, ...]
    nice: int = 0
    respawn: bool = False

    @property
    def command(self) -> str:
        """The command it stands for (what `up` prints and would exec)."""
        nice = f"nice -n {self.nice} " if self.nice else ""
        return f"{nice}{sys.executable} -m {self.module} {' '.join(self.args)}"

    @property
    def title(self) -> str:
        return title(self.name)


def title(name: str) -> str:
    """The process name of child `name` (the kernel keeps 15 bytes of it)."""
    return f"{NAME_PREFIX}{name}"[:15]


def forking() -> bool:
    """Fork children from `up` (Linux), or exec their commands."""
    wanted = os.environ.get("SHUNFURI_UP_START", "")
    if wanted not in ("", "fork", "exec"):
        raise SystemExit(f"SHUNFURI_UP_START={wanted!r}: use fork, exec, or leave it unset")
    return wanted == "fork" if wanted else sys.platform.startswith("linux")


def preload() -> None:
    for module in PRELOAD:
        __import__(module)


def start(child: Child, *, fork: bool) -> tuple[int, int]:
    """Start `child` as a process group of its own, its output (stdout and stderr) on a
    pipe; (pid, the pipe's read end)."""
    read, write = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        os.close(write)
        return pid, read
    code = 1
    try:
        os.setsid()
        os.dup2(write, 1)
        os.dup2(write, 2)
        os.close(read)
        os.close(write)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for signum in (signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)
        if child.nice:
            os.nice(child.nice)
        if not fork:
            os.execv(sys.executable, [sys.executable, "-m", child.module, *child.args])  # noqa: S606 - argv, no shell
        code = _run_here(child)
    except SystemExit as exc:  # as the interpreter would end on it
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - the child's last word goes to its output
        traceback.print_exc()
    finally:
        # `up`'s own exit handlers (its private servers' shutdown) are not the child's.
        import logging

        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return 0, 0  # not reached


def _run_here(child: Child) -> int:
    _name_this_process(child.title)
    sys.argv = [child.module, *child.args]
    runpy.run_module(child.module, run_name="__main__", alter_sys=True)
    return 0


def _name_this_process(title: str) -> None:
    try:
        with open("/proc/self/comm", "w") as comm:
            comm.write(title)
    except OSError:
        pass  # no /proc: the name only helps accounting on Linux
