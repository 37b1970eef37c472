"""The `apply` scenario's Locust user: a person who is not yet a member applies through the
API, waits for the automatic decision, signs the contract, logs in, registers a payee in
their own name and does a first 瞬フリ to a real-time bank, until it is settled.

Every request is a Locust row named `APPLY <call>`; each journey also fires two rows of
request type `APPLICATION` and writes a sample to `apply-samples-<pid>.csv` (the API
users' transfers go to `samples-<pid>.csv`, so the transfers' own figures stay apart):

- `decision (client)` - from sending `POST /v1/applications` to seeing a decided status
  (`GET /v1/applications/{id}?wait=`, held by the server until the status moves);
- `application_to_first_settled (client)` - from the same POST to the first 瞬フリ seen
  `settled` (contract, login, payee and the transfer included).

Every applicant is a new person (a phone number of its own) whom the bureau has no record
of, so the rules approve the requested ¥300,000 without income proof: every decision is
the worker's, nobody at the lender touches it.

Environment (set by `shunfuri loadtest apply`):
  LOADTEST_APPLY_USERS      how many of the Locust users are applicants
  LOADTEST_APPLY_USER_RATE  applications per second per applicant user
"""

from __future__ import annotations

import itertools
import os
import time
import uuid

import gevent
from locust import FastHttpUser, events, task

from loadtests.csv_samples import CsvSamples
from loadtests.pacing import wait_for_slot
from loadtests.start_gate import StartGate

APPLY_USERS = int(os.environ.get("LOADTEST_APPLY_USERS", "0") or 0)
APPLY_RATE = float(os.environ.get("LOADTEST_APPLY_USER_RATE", "0.25") or 0.25)
PERIOD = 1.0 / APPLY_RATE
GIVE_UP_S = 30.0  # follow an application (or its 瞬フリ) this long before calling it lost
DECIDED = {"approved", "declined", "documents_needed", "manual_review"}
FINAL = {"settled", "rejected", "failed", "cancelled"}
FIRST_AMOUNT = 10_000
PIN, OTHER_PIN = "2580", "3691"  # neither a run nor the birth date below
FIELDS = ("started_at", "application_id", "status", "reason_code", "decision_ms",
          "decision_polls", "contracted", "transfer_id", "transfer_status",
          "to_first_settled_ms")


def application(phone: str) -> dict:
    """A form the rules approve at ¥300,000 when the bureau has no record of the person."""
    return {
        "name_kanji": "山田 花子", "name_kana": "ヤマダ ハナコ", "birth_date": "1990-04-01",
        "phone": phone, "email": "hanako@example.jp", "postal_code": "1500001",
        "address": "東京都渋谷区神宮前1-2-3", "employment": "employee",
        "employer_name": "株式会社サンプル", "employer_phone": "0312345678",
        "annual_income": 4_000_000, "other_count": 0, "other_balance": 0,
        "requested_limit": 300_000,
    }


SAMPLES = CsvSamples("apply", FIELDS)
_phones = itertools.count(1)


def new_phone() -> str:
    """A mobile number nobody else in this run has: the process id and a counter."""
    return f"090{os.getpid() % 10_000:04d}{next(_phones) % 10_000:04d}"


def _fire(name: str, ms: float, problem: str | None) -> None:
    events.request.fire(request_type="APPLICATION", name=name, response_time=ms,
                        response_length=0, context={},
                        exception=AssertionError(problem) if problem else None)


class _Applicant(FastHttpUser):
    """One applicant after another at the scenario's pace; `applicant_class` binds the
    start-up barrier it shares with the locustfile's other users."""

    abstract = True
    gate: StartGate
    numbers: itertools.count
    fixed_count = APPLY_USERS
    network_timeout = 40.0
    connection_timeout = 10.0

    def wait_time(self) -> float:
        self.slot += 1
        return wait_for_slot(self.first_at, self.slot, PERIOD, time.monotonic())

    def on_start(self) -> None:
        self.index = next(self.numbers)
        self.slot = 0
        self.gate.arrive()
        self.first_at = self.gate.first_slot(self.index, PERIOD, users=max(APPLY_USERS, 1))
        gevent.sleep(max(0.0, self.first_at - time.monotonic()))

    def _call(self, method: str, path: str, name: str, expect: tuple[int, ...], **kw):  # type: ignore[no-untyped-def]
        with self.client.request(method, path, name=f"APPLY {name}", catch_response=True,
                                 **kw) as resp:
            if resp.status_code not in expect:
                resp.failure(f"{name}: {resp.status_code} {(resp.text or '')[:200]}")
                return None
            return resp.json()

    @task
    def apply(self) -> None:
        sample = {k: "" for k in FIELDS}
        sample["started_at"] = f"{time.time():.6f}"
        started = time.perf_counter()
        phone = new_phone()
        created = self._call("POST", "/v1/applications", "POST /v1/applications", (202,),
                             json=application(phone),
                             headers={"Idempotency-Key": str(uuid.uuid4())})
        if created is None:
            return
        sample["application_id"] = created["id"]
        view = self._decision(created, started, sample)
        if view is not None and view["status"] == "approved":
            pin = OTHER_PIN if phone.endswith(PIN) else PIN
            self._first_transfer(created, pin, started, sample)
        SAMPLES.add(sample)

    def _decision(self, created: dict, started: float, sample: dict) -> dict | None:
        auth = {"Authorization": f"Bearer {created['token']}"}
        view, polls = {"status": created["status"]}, 0
        while view["status"] not in DECIDED and time.perf_counter() - started < GIVE_UP_S:
            polls += 1
            got = self._call("GET", f"/v1/applications/{created['id']}?wait=10",
                             "GET /v1/applications/[id]?wait=", (200,), headers=auth)
            if got is None:
                gevent.sleep(0.05)
                continue
            view = got
        ms = (time.perf_counter() - started) * 1000.0
        sample.update(status=view["status"], reason_code=view.get("reason_code") or "",
                      decision_polls=polls)
        if view["status"] not in DECIDED:
            _fire("decision (client)", ms, f"not decided within {GIVE_UP_S:.0f} s")
            return None
        sample["decision_ms"] = f"{ms:.3f}"
        problem = None if view["status"] == "approved" else f"decided {view['status']}"
        _fire("decision (client)", ms, problem)
        return view

    def _first_transfer(self, created: dict, pin: str, started: float,
                        sample: dict) -> None:
        auth = {"Authorization": f"Bearer {created['token']}"}
        made = self._call("POST", f"/v1/applications/{created['id']}/contract",
                          "POST /v1/applications/[id]/contract", (201,), headers=auth,
                          json={"agree": True, "pin": pin, "due_day": 25})
        if made is None:
            return
        sample["contracted"] = "1"
        login = self._call("POST", "/v1/login", "POST /v1/login", (200,),
                           json={"card_number": made["card_number"], "pin": pin})
        if login is None:
            return
        member = {"Authorization": f"Bearer {login['access_token']}"}
        payee = self._call("POST", "/v1/payees", "POST /v1/payees", (201,), headers=member,
                           json={"bank_code": "0009", "branch_code": "001",
                                 "account_type": "ordinary", "account_number": "7654300",
                                 "holder_name": "ﾔﾏﾀﾞ ﾊﾅｺ", "pin": pin})
        if payee is None:
            return
        body = self._call("POST", "/v1/transfers", "POST /v1/transfers", (200, 201, 202),
                          headers={**member, "Prefer": "wait=10",
                                   "Idempotency-Key": str(uuid.uuid4())},
                          json={"payee_id": payee["id"], "amount": FIRST_AMOUNT})
        while body is not None and body.get("status") not in FINAL \
                and time.perf_counter() - started < GIVE_UP_S:
            body = self._call("GET", f"/v1/transfers/{body['id']}?wait=10",
                              "GET /v1/transfers/[id]?wait=", (200,), headers=member)
        if body is None:
            return
        ms = (time.perf_counter() - started) * 1000.0
        sample.update(transfer_id=body.get("id") or "", transfer_status=body.get("status"))
        settled = body.get("status") == "settled"
        if settled:
            sample["to_first_settled_ms"] = f"{ms:.3f}"
        _fire("application_to_first_settled (client)", ms,
              None if settled else f"first 瞬フリ ended {body.get('status')}")



def applicant_class(*, gate: StartGate) -> type:
    """The user class, sharing the locustfile's start-up barrier (applicants have nothing
    to log in to; they arrive at once and start with everyone else)."""
    return type("Applicant", (_Applicant,), {
        "abstract": False, "gate": gate, "numbers": itertools.count()})
