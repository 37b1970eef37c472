"""Locust: members log in, register a payee, then request transfers and wait for them.

Each Locust user is one member (credentials handed out by the runner in the JSON file
named by `LOADTEST_MEMBERS`). A task is one transfer: `POST /v1/transfers` with
`Prefer: wait=N` (RFC 7240), which a server that honours it answers once the transfer is
final, so one round trip sees it settled; when the answer is 202 and not final (a server
that does not honour the preference, or N seconds passed), `GET /v1/transfers/{id}?wait=`
until the status is final. Besides Locust's usual rows (login, payee, accept, poll) every
transfer fires two rows of its own, request type `TRANSFER`:

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
  LOADTEST_SAMPLES_DIR    where samples-<pid>.csv and steady-<pid>.json (when the steady
                          load began) go (default: current directory)
  LOADTEST_CLOCK_SPEED    the system's SHUNFURI_CLOCK speed (default 1)
  LOADTEST_START_DELAY    seconds to wait after all users have logged in (default 1)
  LOADTEST_AMOUNT         yen per transfer (default 1000)
  LOADTEST_PREFER_WAIT    N of `Prefer: wait=N` on the POST (default 10; 0: no header)
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
import locust.stats
from locust import FastHttpUser, events, task
from locust.runners import MasterRunner

from loadtests.pacing import wait_for_slot
from loadtests.start_gate import StartGate

DEADLINE_MS = 10_000.0
GIVE_UP_S = 30.0  # keep polling this long after the POST to learn a late transfer's fate
FINAL = {"settled", "rejected", "failed", "cancelled"}
ACCEPTED_CODES = {200, 201, 202}
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
    "preference_applied",
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
PREFER_WAIT = int(os.environ.get("LOADTEST_PREFER_WAIT", "10"))
SAMPLES_DIR = Path(os.environ.get("LOADTEST_SAMPLES_DIR", "."))
PERIOD = 1.0 / USER_RATE


def _load_members() -> list[dict]:
    path = os.environ.get("LOADTEST_MEMBERS")
    if not path:
        return []
    return json.loads(Path(path).read_text())


MEMBERS = _load_members()
_next_local = itertools.count()
GATE = StartGate(START_DELAY)


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
            SAMPLES_DIR.mkdir(parents=True, exist_ok=True)
            self._file = open(SAMPLES_DIR / f"samples-{os.getpid()}.csv", "a", newline="")
            self._writer = csv.DictWriter(self._file, fieldnames=SAMPLE_FIELDS)
            if self._file.tell() == 0:
                self._writer.writeheader()
        self._writer.writerows(self._rows)
        self._file.flush()
        self._rows.clear()


SAMPLES = Samples()


@events.init.add_listener
def _on_init(environment, **_: object) -> None:  # type: ignore[no-untyped-def]
    def on_spawned(user_count: int, **_: object) -> None:
        if isinstance(environment.runner, MasterRunner):
            return  # a master has no users of its own
        # `user_count` is the whole test's on a Locust worker; wait for this process's own.
        local = getattr(environment.runner, "user_count", None)
        gevent.spawn(GATE.open_when_all_arrived,
                     local if isinstance(local, int) and local > 0 else user_count,
                     SAMPLES_DIR)

    environment.events.spawning_complete.add_listener(on_spawned)


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
            GATE.arrive()
        self.first_at = GATE.first_slot(self.local_index, PERIOD)
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
                "pin": member["pin"],
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
        headers = {**self.headers, "Idempotency-Key": str(uuid.uuid4())}
        if PREFER_WAIT:
            headers["Prefer"] = f"wait={PREFER_WAIT}"
        with self.client.post(
            "/v1/transfers",
            headers=headers,
            json={"payee_id": self.payee_id, "amount": AMOUNT},
            name="/v1/transfers",
            catch_response=True,
        ) as resp:
            accept_ms = (time.perf_counter() - started) * 1000.0
            # 202: accepted, not final yet; with the preference honoured a final answer
            # may come as 200 or 201. Whatever the code, the body's status decides.
            if resp.status_code not in ACCEPTED_CODES:
                resp.failure(f"accept {resp.status_code}: {resp.text[:200]}")
                return
            body = resp.json()
            applied = resp.headers.get("Preference-Applied") or ""
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
                "preference_applied": applied,
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

    WebMember = web_member_class(gate=GATE)

if int(os.environ.get("LOADTEST_APPLY_USERS", "0") or 0) > 0:
    # The `apply` scenario: people applying to become members beside the API users.
    from loadtests.applicant import applicant_class

    Applicant = applicant_class(gate=GATE)
