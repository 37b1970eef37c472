"""Keep the processes of one system running in the foreground; stop them together.

Each child (`children.Child`) is a process group of its own; its output is printed here
line by line behind its name and the time. Ctrl-C or SIGTERM stops every child (SIGTERM to
its group, SIGKILL after `KILL_WAIT`), and so does a child that exits, as a Procfile
runner would: a system missing a part is not left half-running. Except a Celery worker
that crashes (`respawn`): it starts again a second later. Celery 5.7's consumer can crash
on a lost broker connection while acks-late messages are unacknowledged (kombu's channel
close restores them through a pool it already tore down: AttributeError on `hostname`);
its tasks are idempotent and the database holds their state, so a new worker carries on.

Written here rather than by honcho, which `up` used before: honcho starts commands only,
and the children are forked from `up` (see `children`).
"""

from __future__ import annotations

import os
import selectors
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TextIO

from shunfuri.cli.children import Child, start

KILL_WAIT = 5.0
RESTART_AFTER = 1.0
# Exit codes for the signal that stopped the system, as a shell reports them.
SIGNAL_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


@dataclass
class _Running:
    child: Child
    pid: int = 0
    returncode: int | None = None
    restart_at: float | None = None
    pending: bytes = b""


@dataclass
class Supervisor:
    children: list[Child]
    fork: bool
    out: TextIO = field(default_factory=lambda: sys.stdout)
    on_started: Callable[[], None] = lambda: None
    returncode: int | None = None
    _all: list[_Running] = field(default_factory=list)
    _pipes: dict[int, _Running] = field(default_factory=dict)  # open output pipes
    _selector: selectors.BaseSelector = field(default_factory=selectors.DefaultSelector)
    _stopping_since: float | None = None
    _signalled: int | None = None
    _width: int = 0

    def run(self) -> int:
        for signum in SIGNAL_CODES:
            signal.signal(signum, self._on_signal)
        self._width = max(len("system"), *(len(c.name) for c in self.children)) + 1
        for child in self.children:
            running = _Running(child)
            self._all.append(running)
            self._start(running)
        self.on_started()
        while self._alive() or self._stopping_since is None:
            self._pump(0.1)
            self._reap()
            self._restart_due()
            if self._signalled and self._stopping_since is None:
                self._say(f"{signal.Signals(self._signalled).name} received")
                self._stop(SIGNAL_CODES[signal.Signals(self._signalled)])
            if (self._stopping_since is not None
                    and time.monotonic() - self._stopping_since > KILL_WAIT):
                self._signal_all(signal.SIGKILL)
        drained_by = time.monotonic() + 2  # output still buffered in the pipes
        while self._pipes and time.monotonic() < drained_by:
            self._pump(0.1)
        return self.returncode or 0

    def _on_signal(self, signum: int, _frame: object) -> None:
        self._signalled = signum

    def _start(self, running: _Running) -> None:
        running.pid, fd = start(running.child, fork=self.fork)
        running.returncode, running.restart_at, running.pending = None, None, b""
        os.set_blocking(fd, False)
        self._pipes[fd] = running
        self._selector.register(fd, selectors.EVENT_READ)
        self._say(f"{running.child.name} started (pid={running.pid}): {running.child.command}")

    def _alive(self) -> bool:
        return any(r.returncode is None for r in self._all)

    def _pump(self, timeout: float) -> None:
        for key, _ in self._selector.select(timeout):
            fd = int(key.fd)
            running = self._pipes[fd]
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                continue
            if not data:  # every holder of the write end has exited
                self._selector.unregister(fd)
                os.close(fd)
                del self._pipes[fd]
                if running.pending:
                    self._line(running.child.name, running.pending)
                continue
            *lines, running.pending = (running.pending + data).split(b"\n")
            for line in lines:
                self._line(running.child.name, line)

    def _reap(self) -> None:
        # Our children only: `up`'s private servers are waited for by their own owner.
        for running in self._all:
            if running.returncode is not None or running.restart_at is not None:
                continue
            try:
                pid, status = os.waitpid(running.pid, os.WNOHANG)
            except ChildProcessError:
                pid, status = running.pid, 0
            if not pid:
                continue
            running.returncode = os.waitstatus_to_exitcode(status)
            self._say(f"{running.child.name} stopped (rc={running.returncode})")
            if self._stopping_since is not None:
                continue
            if running.child.respawn and running.returncode != 0:
                self._say(f"{running.child.name} died; restarting")
                running.restart_at = time.monotonic() + RESTART_AFTER
            else:
                self._stop(running.returncode)

    def _restart_due(self) -> None:
        now = time.monotonic()
        for running in self._all:
            if running.restart_at is not None and now >= running.restart_at:
                self._start(running)

    def _stop(self, returncode: int) -> None:
        self.returncode = returncode
        self._stopping_since = time.monotonic()
        for running in self._all:
            running.restart_at = None
        self._signal_all(signal.SIGTERM)

    def _signal_all(self, signum: int) -> None:
        for running in self._all:
            if running.returncode is None:
                self._say(f"sending {signal.Signals(signum).name} to {running.child.name} "
                          f"(pid {running.pid})")
                try:
                    os.killpg(running.pid, signum)
                except ProcessLookupError:
                    pass
        if signum == signal.SIGKILL:
            self._stopping_since = float("inf")  # once is enough

    def _line(self, name: str, line: bytes) -> None:
        text = line.decode("utf-8", "replace").rstrip("\r")
        self.out.write(f"{datetime.now():%H:%M:%S} {name:<{self._width}}| {text}\n")
        self.out.flush()

    def _say(self, text: str) -> None:
        self._line("system", text.encode())
