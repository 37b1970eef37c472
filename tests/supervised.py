"""Children for tests/integration/test_supervise.py, and a supervisor running them.

`python -m tests.supervised supervise fork|exec CHILD...` runs `Supervisor` over the named
children (below) and prints its exit code last; `python -m tests.supervised ACT ...` is one
child: `talk` (prints its process name, waits), `exit N`, `crash-once FILE` (exits 3 the
first time, then waits), `stubborn` (ignores SIGTERM)."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path


def child_main(act: str, *args: str) -> int:
    if act == "talk":
        name = Path("/proc/self/comm").read_text().strip()
        print(f"talking as {name!r}\npartial line without end", end="", flush=True)
        print(flush=True)
    elif act == "exit":
        print(f"exiting with {args[0]}", flush=True)
        return int(args[0])
    elif act == "crash-once":
        marker = Path(args[0])
        if not marker.exists():
            marker.write_text("crashed")
            print("crashing", flush=True)
            return 3
        print("started again", flush=True)
    elif act == "stubborn":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("ignoring SIGTERM", flush=True)
    while True:
        time.sleep(1)


def supervise(mode: str, specs: list[str]) -> int:
    from shunfuri.cli.children import Child
    from shunfuri.cli.supervise import Supervisor

    children = []
    for spec in specs:
        name, _, rest = spec.partition("=")
        act, *args = rest.split(":")
        children.append(Child(name, "tests.supervised", (act, *args),
                              respawn=act == "crash-once"))
    return Supervisor(children, fork=mode == "fork").run()


if __name__ == "__main__":
    if sys.argv[1] == "supervise":
        code = supervise(sys.argv[2], sys.argv[3:])
        print(f"supervisor exit {code}", flush=True)
        sys.exit(0)
    sys.exit(child_main(*sys.argv[1:]))
