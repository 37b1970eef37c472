"""Locust: members log in, register a payee, then request transfers and wait for them.

Each Locust user is one member (credentials handed out by the runner in the JSON file
named by `LOADTEST_MEMBERS`). A task is one transfer: `POST /v1/transfers`, then
`GET /v1/transfers/{id}?wait=` until the status is final. Besides Locust's usual rows
(login, payee, accept, poll) every transfer fires two rows of its own, request type
`TRANSFER`:

- `accept_to_settled (client)` - from sending the POST to seeing `settled`;
- `accept_to_settled (server)` - `settled_at - accepted_at` as the server stamped them
  (divided by the simulated clock's speed, so it is always real milliseconds).

A transfer that is not `settled` within 10 s of the POST (or ends rejected / failed) is a
Locust failure of the client row. Locust normally buckets response times to two
significant digits (10,400 ms is counted as 10,000); this file replaces that bucketing
with 1 ms precision so the 10-second line is measured exactly. Every transfer is also
written to `samples-<pid>.csv` in `LOADTEST_SAMPLES_DIR`: the runner computes the exact
percentiles of summary.json and the chart from those raw samples.

Environment (set by `shunfuri loadtest`; set them yourself to run this file by hand):
  LOADTEST_MEMBERS        JSON file: [{"card_number", "pin", "bank_code", "branch_code"}, ...]
  LOADTEST_USER_RATE      transfers/s per user (offered rate = users x this), default 1
  LOADTEST_SAMPLES_DIR    where samples-<pid>.csv go (default: current directory)
  LOADTEST_CLOCK_SPEED    the system's SHUNFURI_CLOCK speed (default 1)
  LOADTEST_START_DELAY    seconds to wait after all users have logged in (default 1)
  LOADTEST_AMOUNT         yen per transfer (default 1000)
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import random
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

import gevent
import gevent.event
import locust.stats
from locust import FastHttpUser, events, task

from loadtests.pacing import phase, wait_for_slot

DEADLINE_MS = 10_000.0
GIVE_UP_S = 30.0  # keep polling this long after the POST to learn a late transfer's fate
FINAL = {"settled", "rejected", "failed", "cancelled"}
CLIENT_ROW = "accept_to_settled (client)"
SERVER_ROW = "accept_to_settled (server)"
SAMPLE_FIELDS = (
    "started_at",
    "transfer_id",
    "bank_code",
    "decision",
    "status",
    "failure_code",
    "accept_ms",
    "client_ms",
    "server_ms",
    "accepted_at",
    "settled_at",
    "polls",
)


def exact_bucket(response_time: float) -> int:
    """1 ms buckets at every magnitude (Locust's default rounds >= 10 s to whole seconds)."""
    return int(round(response_time))


# `StatsEntry._log_response_time` looks this module-level function up at call time.
locust.stats.bucket_response_time = exact_bucket

USER_RATE = float(os.environ.get("LOADTEST_USER_RATE", "1"))
CLOCK_SPEED = float(os.environ.get("LOADTEST_CLOCK_SPEED", "1"))
START_DELAY = float(os.environ.get("LOADTEST_START_DELAY", "1"))
AMOUNT = int(os.environ.get("LOADTEST_AMOUNT", "1000"))
PERIOD = 1.0 / USER_RATE


def _load_members() -> list[dict]:
    path = os.environ.get("LOADTEST_MEMBERS")
    if not path:
        return []
    return json.loads(Path(path).read_text())


MEMBERS = _load_members()
_next_local = itertools.count()
_go = gevent.event.Event()
_started = {"done": 0}  # users of this process past on_start (logged in, payee registered)
_schedule: dict = {"t0": 0.0, "users": 1}


class Samples:
    """Per-process raw samples, appended as transfers finish, flushed when the test stops."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: list[dict] = []
        self._file = None
        self._writer: csv.DictWriter | None = None

    def add(self, row: dict) -> None:
        with self._lock:
            self._rows.append(row)
            if len(self._rows) >= 200:
                self._flush_locked()

    def flush(self) -> None:
        with self._lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        if not self._rows:
            return
        if self._writer is None:
            folder = Path(os.environ.get("LOADTEST_SAMPLES_DIR", "."))
            folder.mkdir(parents=True, exist_ok=True)
            self._file = open(folder / f"samples-{os.getpid()}.csv", "a", newline="")
            self._writer = csv.DictWriter(self._file, fieldnames=SAMPLE_FIELDS)
            if self._file.tell() == 0:
                self._writer.writeheader()
        self._writer.writerows(self._rows)
        self._file.flush()
        self._rows.clear()


SAMPLES = Samples()


@events.init.add_listener
def _on_init(environment, **_: object) -> None:  # type: ignore[no-untyped-def]
    _schedule["environment"] = environment


@events.spawning_complete.add_listener
def _on_spawned(user_count: int, **_: object) -> None:
    # `user_count` is the whole test's on a Locust worker; wait for this process's own.
    runner = getattr(_schedule.get("environment"), "runner", None)
    local = getattr(runner, "user_count", None)
    gevent.spawn(_start_together, local if isinstance(local, int) and local > 0 else user_count)


def _start_together(expected: int) -> None:
    """Open the steady load only once every user of this process has logged in.

    Logins cost ~16 ms of argon2 each on the API; a transfer sent while others are still
    logging in measures the login burst, not the pipeline. Then each user gets a fixed
    slot in the period, evenly spaced, so the offered rate is smooth from the first second.
    """
    deadline = time.monotonic() + 60
    while _started["done"] < expected and time.monotonic() < deadline:
        gevent.sleep(0.05)
    _schedule["users"] = max(1, _started["done"])
    _schedule["t0"] = time.monotonic() + START_DELAY
    _go.set()


def paced(user: Member) -> float:
    """Locust's wait_time: until this user's next fixed slot (see `loadtests.pacing`).

    Unlike `constant_throughput`, which re-phases a user after each slow request, a
    slow transfer here never moves the user's later slots.
    """
    user.slot += 1
    return wait_for_slot(user.first_at, user.slot, PERIOD, time.monotonic())


@events.test_start.add_listener
def _on_test_start(**_: object) -> None:
    if not MEMBERS:
        raise RuntimeError("LOADTEST_MEMBERS is not set (run it through `shunfuri loadtest`)")


@events.test_stop.add_listener
def _on_test_stop(**_: object) -> None:
    SAMPLES.flush()


@events.quitting.add_listener
def _on_quitting(**_: object) -> None:
    SAMPLES.flush()


def _ms_between(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    delta = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    return delta.total_seconds() * 1000.0 / CLOCK_SPEED


def _member_index(environment, local: int) -> int:  # type: ignore[no-untyped-def]
    """Distinct members across Locust worker processes: worker i takes i, i+n, i+2n, ..."""
    workers = int(os.environ.get("LOADTEST_WORKERS", "1"))
    runner = environment.runner
    index = getattr(runner, "worker_index", 0) if workers > 1 else 0
    return (index + local * workers) % len(MEMBERS)


class Member(FastHttpUser):
    wait_time = paced
    # Long polls hold the connection up to `wait` seconds; never time out before they do.
    network_timeout = 40.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        self.local_index = next(_next_local)
        self.slot = 0
        try:
            self._log_in()
        finally:
            _started["done"] += 1
        _go.wait()
        self.first_at = _schedule["t0"] + phase(self.local_index, _schedule["users"], PERIOD)
        gevent.sleep(max(0.0, self.first_at - time.monotonic()))

    def _log_in(self) -> None:
        member = MEMBERS[_member_index(self.environment, self.local_index)]
        self.token = ""
        with self.client.post(
            "/v1/login",
            json={"card_number": member["card_number"], "pin": member["pin"]},
            name="/v1/login",
            catch_response=True,
        ) as resp:
            if resp.status_code != 200:
                resp.failure(f"login {resp.status_code}: {resp.text[:200]}")
                self.stop()
                return
            self.token = resp.json()["access_token"]
        self.headers = {"Authorization": f"Bearer {self.token}"}
        self.bank_code = member["bank_code"]
        with self.client.post(
            "/v1/payees",
            headers=self.headers,
            name="/v1/payees",
            catch_response=True,
            json={
                "bank_code": member["bank_code"],
                "branch_code": member["branch_code"],
                "account_type": "ordinary",
                "account_number": f"{random.randrange(1_000_000, 9_000_000):07d}",
                "holder_name": "ﾔﾏﾀﾞ ﾀﾛｳ",
            },
        ) as resp:
            if resp.status_code != 201:
                resp.failure(f"payee {resp.status_code}: {resp.text[:200]}")
                self.stop()
                return
            self.payee_id = resp.json()["id"]

    @task
    def transfer(self) -> None:
        started_wall = time.time()
        started = time.perf_counter()
        with self.client.post(
            "/v1/transfers",
            headers={**self.headers, "Idempotency-Key": str(uuid.uuid4())},
            json={"payee_id": self.payee_id, "amount": AMOUNT},
            name="/v1/transfers",
            catch_response=True,
        ) as resp:
            accept_ms = (time.perf_counter() - started) * 1000.0
            if resp.status_code != 202:
                resp.failure(f"accept {resp.status_code}: {resp.text[:200]}")
                return
            body = resp.json()
        polls = 0
        while body.get("status") not in FINAL:
            elapsed = time.perf_counter() - started
            if elapsed >= GIVE_UP_S:
                break
            # Wait at most until the 10-second line (then until we give up), whole seconds.
            remaining = (
                (DEADLINE_MS / 1000.0 - elapsed)
                if elapsed < DEADLINE_MS / 1000
                else (GIVE_UP_S - elapsed)
            )
            wait = max(1, min(10, int(remaining + 0.999)))
            polls += 1
            with self.client.get(
                f"/v1/transfers/{body['id']}?wait={wait}",
                headers=self.headers,
                name="/v1/transfers/[id]?wait=",
                catch_response=True,
            ) as poll:
                if poll.status_code != 200:
                    poll.failure(f"poll {poll.status_code}: {poll.text[:200]}")
                    gevent.sleep(0.05)
                    continue
                body = poll.json()
        client_ms = (time.perf_counter() - started) * 1000.0
        status = body.get("status")
        server_ms = _ms_between(body.get("accepted_at"), body.get("settled_at"))
        SAMPLES.add(
            {
                "started_at": f"{started_wall:.6f}",
                "transfer_id": body.get("id"),
                "bank_code": self.bank_code,
                "decision": body.get("decision"),
                "status": status,
                "failure_code": body.get("failure_code") or "",
                "accept_ms": f"{accept_ms:.3f}",
                "client_ms": f"{client_ms:.3f}",
                "server_ms": "" if server_ms is None else f"{server_ms:.3f}",
                "accepted_at": body.get("accepted_at") or "",
                "settled_at": body.get("settled_at") or "",
                "polls": polls,
            }
        )
        problem = None
        if status != "settled":
            problem = (
                f"ended {status} ({body.get('failure_code')})"
                if status in FINAL
                else (f"not settled within {GIVE_UP_S:.0f} s (status {status})")
            )
        elif client_ms > DEADLINE_MS:
            problem = "settled, but not within 10 s"
        self._fire(CLIENT_ROW, client_ms, problem)
        if server_ms is not None:
            late = "settled_at - accepted_at > 10 s" if server_ms > DEADLINE_MS else None
            self._fire(SERVER_ROW, server_ms, late)

    def _fire(self, name: str, ms: float, problem: str | None) -> None:
        events.request.fire(
            request_type="TRANSFER",
            name=name,
            response_time=ms,
            response_length=0,
            exception=AssertionError(problem) if problem else None,
            context={},
        )


if int(os.environ.get("LOADTEST_WEB_USERS", "0") or 0) > 0:
    # The `web` scenario: members using the pages beside the API users.
    from loadtests.web_member import web_member_class

    WebMember = web_member_class(started=_started, go=_go, schedule=_schedule)
