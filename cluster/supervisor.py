"""The cluster's supervisor: one process in the root namespace that starts every host's
processes inside the host's namespace, starts them again when they exit on their own,
and ends them all (and removes the network) at the cluster's deadline.

- Each process runs as `ip netns exec <ns> timeout --kill-after=10 <left> <command>`, in
  a session of its own: its process group is the host's unit for `kill -9`, and
  `timeout` ends it at the deadline even if this supervisor is gone.
- The nemesis stops a process (a signal to it or to its whole group) and starts it again
  through the control socket (`run/supervisor.sock`, one JSON object per line); while
  stopped by request it is not restarted. A process that exits on its own (Celery's
  consumer can crash on a Redis restart) is started again after a short backoff.
- It is a child subreaper: what a killed process leaves behind is reaped here, not left
  as zombies (this machine's PID 1 does not reap).

Run by `shunfuri cluster up`: `python -m cluster.supervisor --dir CLUSTER_DIR`.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import selectors
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from cluster import netns
from cluster.control import ask
from cluster.hosts import Topology
from cluster.layout import ROOT, Layout
from cluster.processes import Proc

PR_SET_CHILD_SUBREAPER = 36
BACKOFF_S = (1.0, 2.0, 5.0, 10.0)
STOP_GRACE_S = 15.0


@dataclass
class Managed:
    proc: Proc
    pid: int | None = None
    wanted: bool = False
    starts: int = 0
    exits: list[int] = field(default_factory=list)
    next_start: float = 0.0
    quick_exits: int = 0
    started_at: float = 0.0

    def view(self) -> dict:
        return {"host": self.proc.host, "pid": self.pid, "running": self.pid is not None,
                "wanted": self.wanted, "starts": self.starts, "exits": self.exits[-5:],
                "network": self.proc.network}


class Supervisor:
    def __init__(self, layout: Layout, topology: Topology, procs: list[Proc],
                 deadline: float) -> None:
        self.layout, self.topology, self.deadline = layout, topology, deadline
        self.managed = {p.name: Managed(p) for p in procs}
        self.by_pid: dict[int, Managed] = {}
        self.stopping = False
        self.log: IO[str] = open(layout.supervisor_log, "a", buffering=1)

    def say(self, text: str) -> None:
        self.log.write(f"{time.strftime('%H:%M:%S')} {text}\n")

    # ------------------------------------------------------------ processes

    def spawn(self, m: Managed) -> None:
        left = max(1, int(self.deadline - time.time()))
        log = open(self.layout.host(m.proc.host) / f"{m.proc.name}.log", "ab")
        argv = ["ip", "netns", "exec", self.topology.netns(m.proc.host),
                "timeout", "--kill-after=10", f"{left}s", *m.proc.argv]
        try:
            child = subprocess.Popen(argv, env=m.proc.env, cwd=ROOT, stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        finally:
            log.close()
        child.returncode = 0  # reaped by `reap`, never by Popen (no warning at exit)
        m.pid, m.started_at = child.pid, time.monotonic()
        m.starts += 1
        self.by_pid[child.pid] = m
        self.say(f"start {m.proc.name} pid {child.pid}")

    def signal(self, m: Managed, sig: int, *, group: bool) -> None:
        if m.pid is None:
            return
        try:
            if group:
                os.killpg(m.pid, sig)
            else:
                os.kill(m.pid, sig)  # `timeout` passes TERM, INT, QUIT, HUP on to its child
        except ProcessLookupError:
            pass

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            m = self.by_pid.pop(pid, None)
            if m is None:
                continue  # an orphan adopted as subreaper
            code = os.waitstatus_to_exitcode(status)
            m.pid = None
            m.exits.append(code)
            quick = time.monotonic() - m.started_at < 10
            m.quick_exits = m.quick_exits + 1 if quick else 0
            delay = BACKOFF_S[min(m.quick_exits, len(BACKOFF_S) - 1)]
            m.next_start = time.monotonic() + delay
            self.say(f"exit {m.proc.name} pid {pid} status {code}"
                     + (f"; again in {delay:g} s" if m.wanted else ""))
            # Whatever is left of its group (a worker's pool children) goes with it.
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def keep_wanted_running(self) -> None:
        now = time.monotonic()
        for m in self.managed.values():
            if m.wanted and m.pid is None and now >= m.next_start:
                self.spawn(m)

    # ------------------------------------------------------------ control

    def handle(self, message: dict) -> dict:
        op = message.get("op")
        names = message.get("names") or []
        unknown = [n for n in names if n not in self.managed]
        if unknown:
            return {"ok": False, "error": f"unknown processes: {unknown}"}
        if op == "status":
            return {"ok": True, "deadline": self.deadline,
                    "procs": {n: m.view() for n, m in self.managed.items()}}
        if op == "start":
            for name in names:
                m = self.managed[name]
                m.wanted, m.next_start, m.quick_exits = True, 0.0, 0
            self.keep_wanted_running()
            return {"ok": True, "pids": {n: self.managed[n].pid for n in names}}
        if op == "stop":
            sig = signal.Signals[f"SIG{message.get('signal', 'TERM')}"]
            for name in names:
                m = self.managed[name]
                m.wanted = False
                self.signal(m, sig, group=bool(message.get("group")))
            self.say(f"stop {names} with {sig.name}")
            return {"ok": True}
        if op == "shutdown":
            self.stopping = True
            return {"ok": True}
        return {"ok": False, "error": f"unknown op {op!r}"}

    def serve_client(self, conn: socket.socket) -> None:
        conn.settimeout(2)
        try:
            buffer = b""
            while not buffer.endswith(b"\n"):
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buffer += chunk
            try:
                answer = self.handle(json.loads(buffer))
            except (ValueError, KeyError) as exc:
                answer = {"ok": False, "error": str(exc)}
            conn.sendall(json.dumps(answer).encode() + b"\n")
        except OSError:
            pass
        finally:
            conn.close()

    # ------------------------------------------------------------ main loop

    def run(self) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        signal.signal(signal.SIGTERM, lambda *_: setattr(self, "stopping", True))
        path = self.layout.supervisor_socket
        path.unlink(missing_ok=True)
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
        path.chmod(0o600)
        server.listen(16)
        selector = selectors.DefaultSelector()
        selector.register(server, selectors.EVENT_READ)
        self.say(f"supervising {len(self.managed)} processes until "
                 f"{time.strftime('%H:%M:%S', time.localtime(self.deadline))}")
        try:
            while not self.stopping and time.time() < self.deadline:
                for _ in selector.select(timeout=0.2):
                    conn, _ = server.accept()
                    self.serve_client(conn)
                self.reap()
                if not self.stopping:
                    self.keep_wanted_running()
        finally:
            server.close()
            path.unlink(missing_ok=True)
            self.stop_all()
            if time.time() >= self.deadline:
                self.say("deadline reached: removing the network")
                netns.destroy(self.topology)

    def stop_all(self) -> None:
        running = [m for m in self.managed.values() if m.pid is not None]
        for m in running:
            m.wanted = False
            self.signal(m, signal.SIGTERM, group=True)
        end = time.monotonic() + STOP_GRACE_S
        while time.monotonic() < end and any(m.pid is not None for m in running):
            self.reap()
            time.sleep(0.1)
        for m in running:
            self.signal(m, signal.SIGKILL, group=True)
        end = time.monotonic() + 5
        while time.monotonic() < end and any(m.pid is not None for m in running):
            self.reap()
            time.sleep(0.05)
        self.say("all processes stopped")


def request(layout: Layout, message: dict, timeout: float = 10.0) -> dict:
    """Send one command to a running supervisor."""
    return ask(layout.supervisor_socket, message, who="supervisor", timeout=timeout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args()
    layout = Layout.at(args.dir)
    state = layout.read_state()
    topology = Topology(prefix=state["topology"]["prefix"], subnet=state["topology"]["subnet"])
    procs = [Proc(**p) for p in state["procs"]]
    Supervisor(layout, topology, procs, state["deadline"]).run()


if __name__ == "__main__":
    main()
