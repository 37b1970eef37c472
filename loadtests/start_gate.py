"""The start-up barrier of one Locust process: the steady load opens once every user of
the process (API and web) has logged in.

Logins cost ~16 ms of argon2 each on the API; a transfer sent while others are still
logging in measures the login burst, not the pipeline. Then each user takes a fixed slot
in its period (`loadtests.pacing`), so the offered rate is smooth from the first second.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import gevent
import gevent.event

from loadtests.pacing import phase, write_steady_start

GIVE_UP_WAITING_S = 60.0  # open anyway: a user whose login hangs must not hold the rest


class StartGate:
    def __init__(self, start_delay: float) -> None:
        self.start_delay = start_delay
        self.arrived = 0  # users of this process past on_start (logged in, or failed to)
        self.users = 1
        self.t0 = 0.0
        self._open = gevent.event.Event()

    def arrive(self) -> None:
        self.arrived += 1

    def open_when_all_arrived(self, expected: int, marker_folder: Path | None = None) -> None:
        """In a greenlet of its own: wait for `expected` users, then open (and say when
        the steady load begins in `marker_folder`, for the runner)."""
        deadline = time.monotonic() + GIVE_UP_WAITING_S
        while self.arrived < expected and time.monotonic() < deadline:
            gevent.sleep(0.05)
        self.users = max(1, self.arrived)
        self.t0 = time.monotonic() + self.start_delay
        if marker_folder is not None:
            write_steady_start(marker_folder, os.getpid(), time.time() + self.start_delay)
        self._open.set()

    def first_slot(self, index: int, period: float, users: int | None = None) -> float:
        """Wait for the gate; the monotonic time of user `index`'s first slot among
        `users` (by default every user that arrived)."""
        self._open.wait()
        return self.t0 + phase(index, users or self.users, period)
