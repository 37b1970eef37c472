"""When each Locust user sends: fixed slots in time, evenly spaced across users.

Kept apart from the locustfile (which imports Locust, and so gevent's monkey-patching)
so the schedule can be tested on its own, and the runner can read when the steady load
began.
"""

from __future__ import annotations

import json
from pathlib import Path


def phase(index: int, users: int, period: float) -> float:
    """User `index` of `users` starts this far into the period: evenly spaced, so the
    offered rate is smooth (`users / period` per second) from the first second."""
    users = max(1, users)
    return period * ((index % users) + 0.5) / users


def wait_for_slot(first_at: float, slot: int, period: float, now: float) -> float:
    """Seconds until slot `slot` (at `first_at + slot * period`); 0 when already late.

    Slots are fixed in time: a slow transfer delays that user's next request (sent at
    once when late) but never shifts its later slots, so users cannot drift into step
    with each other and turn a steady rate into bursts.
    """
    return max(0.0, first_at + slot * period - now)


# Each Locust process with users writes, when its start-up gate opens, the wall time at
# which its steady load begins: `steady-<pid>.json` in its samples folder. The runner
# times the run and its CPU window from there, not from Locust's start (logins take
# longer on a loaded machine, and would otherwise eat into the steady load).
STEADY_MARKER = "steady-{pid}.json"


def write_steady_start(folder: Path, pid: int, wall: float) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / STEADY_MARKER.format(pid=pid)).write_text(json.dumps({"from": wall}))


def read_steady_start(folder: Path, processes: int) -> float | None:
    """When the steady load began in all of `processes` Locust processes (the latest of
    their gates), or None while one of them is still logging in."""
    starts = []
    for path in folder.glob(STEADY_MARKER.format(pid="*")):
        try:
            starts.append(float(json.loads(path.read_text())["from"]))
        except (OSError, ValueError, KeyError):
            return None  # being written
    return max(starts) if len(starts) >= processes else None
