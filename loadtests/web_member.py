"""The `web` scenario's Locust user: a member who logs in through the login form and
does 瞬フリ through the pages (form, review, confirm, the status page followed live).

Every request is a Locust row named `WEB <page>`, so page p50/p95/p99 come out of
Locust's stats (1 ms buckets, see the locustfile). Each 瞬フリ also writes a sample to
`web-samples-<pid>.csv` (the API users' go to `samples-<pid>.csv`, so the API's own
figures stay apart): client = from sending the confirm form to the page showing
振込完了; server = `settled_at - accepted_at` as the status panel carries them.

Environment (set by `shunfuri loadtest web`):
  LOADTEST_WEB_MEMBERS    JSON file: [{"card_number", "pin", "bank_code", "branch_code"}, ...]
  LOADTEST_WEB_USERS      how many of the Locust users are web users
  LOADTEST_WEB_USER_RATE  瞬フリ per second per web user (each is about 5 page requests)
"""

from __future__ import annotations

import itertools
import json
import os
import re
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import gevent
from locust import FastHttpUser, events, task

from loadtests.csv_samples import CsvSamples
from loadtests.pacing import wait_for_slot
from loadtests.start_gate import StartGate

WEB_USERS = int(os.environ.get("LOADTEST_WEB_USERS", "0") or 0)
WEB_RATE = float(os.environ.get("LOADTEST_WEB_USER_RATE", "1") or 1)
PERIOD = 1.0 / WEB_RATE
CLOCK_SPEED = float(os.environ.get("LOADTEST_CLOCK_SPEED", "1"))
AMOUNT = int(os.environ.get("LOADTEST_AMOUNT", "1000"))
DEADLINE_MS = 10_000.0
GIVE_UP_S = 30.0
RESTING = {"settled", "rejected", "failed", "cancelled", "scheduled", "needs_attention"}

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')
KEY = re.compile(r'name="key" value="(web-[0-9a-f]+)"')
SHOWN = re.compile(r'name="shown" value="([^"]+)"')
PAYEE = re.compile(r'name="payee_id" value="(\d+)"')
STATUS = re.compile(r'data-status="(\w+)"')
ACCEPTED_AT = re.compile(r'data-accepted-at="([^"]*)"')
SETTLED_AT = re.compile(r'data-settled-at="([^"]*)"')
FIELDS = ("started_at", "transfer_id", "bank_code", "decision", "status", "failure_code",
          "accept_ms", "client_ms", "server_ms", "accepted_at", "settled_at", "polls")


def _members() -> list[dict]:
    path = os.environ.get("LOADTEST_WEB_MEMBERS")
    return json.loads(Path(path).read_text()) if path else []


SAMPLES = CsvSamples("web", FIELDS)


def _found(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(text)
    return match.group(1) if match else None


def _ms_between(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    delta = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    return delta.total_seconds() * 1000.0 / CLOCK_SPEED


class _WebMember(FastHttpUser):
    """A member on the pages: logs in, registers a payee, then sends 瞬フリ from the page
    and follows it to the end. `web_member_class` makes the concrete class."""

    abstract = True
    fixed_count = WEB_USERS
    network_timeout = 40.0
    connection_timeout = 10.0
    # Set by `web_member_class`: the start-up barrier, the members, the users' numbering.
    gate: StartGate
    members: list[dict]
    numbers: Iterator[int]

    def wait_time(self) -> float:
        self.slot += 1
        return wait_for_slot(self.first_at, self.slot, PERIOD, time.monotonic())

    def on_start(self) -> None:
        self.index = next(self.numbers)
        self.slot = 0
        self.ready = False
        try:
            self.ready = self._log_in(self.members[self.index % len(self.members)])
        finally:
            self.gate.arrive()
        if not self.ready:
            self.stop()
            return
        self.first_at = self.gate.first_slot(self.index, PERIOD, users=max(WEB_USERS, 1))
        gevent.sleep(max(0.0, self.first_at - time.monotonic()))

    def _page(self, method: str, path: str, name: str, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("allow_redirects", False)
        with self.client.request(method, path, name=name, catch_response=True,
                                 **kwargs) as resp:
            if resp.status_code not in (200, 303):
                resp.failure(f"{name}: {resp.status_code} {(resp.text or '')[:200]}")
                return None
            return resp

    def _log_in(self, member: dict) -> bool:
        self.bank_code = member["bank_code"]
        page = self._page("GET", "/login", "WEB GET /login")
        token = _found(CSRF, page.text) if page else None
        if not token:
            return False
        done = self._page("POST", "/login/card", "WEB POST /login/card", data={
            "card_number": member["card_number"], "pin": member["pin"], "csrf_token": token})
        if done is None or done.status_code != 303:
            return False
        form = self._page("GET", f"/payees/new?bank={member['bank_code']}&branch="
                          f"{member['branch_code']}", "WEB GET /payees/new")
        if form is None:
            return False
        added = self._page("POST", "/payees", "WEB POST /payees", data={
            "bank_code": member["bank_code"], "branch_code": member["branch_code"],
            "account_type": "ordinary", "account_number": "1234567",
            "holder_name": "ヤマダ タロウ", "pin": member["pin"],
            "csrf_token": _found(CSRF, form.text) or ""})
        return added is not None and added.status_code == 303

    @task
    def shunfuri(self) -> None:
        started_wall = time.time()
        form = self._page("GET", "/transfer", "WEB GET /transfer")
        if form is None:
            return
        fields = {"csrf_token": _found(CSRF, form.text), "key": _found(KEY, form.text),
                  "payee_id": _found(PAYEE, form.text), "amount": f"{AMOUNT:,}"}
        review = self._page("POST", "/transfer/review", "WEB POST /transfer/review",
                            data=fields)
        if review is None:
            return
        fields["shown"] = _found(SHOWN, review.text)
        fields["amount"] = str(AMOUNT)
        sent = time.perf_counter()
        confirmed = self._page("POST", "/transfer/confirm", "WEB POST /transfer/confirm",
                               data=fields)
        accept_ms = (time.perf_counter() - sent) * 1000.0
        location = confirmed.headers.get("location") if confirmed is not None else None
        if not location:
            if confirmed is not None:
                confirmed.failure("confirm did not lead to a status page")
            return
        page = self._page("GET", location, "WEB GET /transfers/[id]")
        text = page.text if page is not None else ""
        polls = 0
        while _found(STATUS, text) not in RESTING:
            if time.perf_counter() - sent > GIVE_UP_S:
                break
            polls += 1
            panel = self._page("GET", f"{location}/panel?wait=10",
                               "WEB GET /transfers/[id]/panel?wait=")
            if panel is None:
                gevent.sleep(0.05)
                continue
            text = panel.text
        client_ms = (time.perf_counter() - sent) * 1000.0
        status = _found(STATUS, text)
        accepted_at, settled_at = _found(ACCEPTED_AT, text), _found(SETTLED_AT, text)
        server_ms = _ms_between(accepted_at, settled_at)
        SAMPLES.add({
            "started_at": f"{started_wall:.6f}", "transfer_id": location.rsplit("/", 1)[-1],
            "bank_code": self.bank_code, "decision": "", "status": status or "",
            "failure_code": "", "accept_ms": f"{accept_ms:.3f}",
            "client_ms": f"{client_ms:.3f}",
            "server_ms": "" if server_ms is None else f"{server_ms:.3f}",
            "accepted_at": accepted_at or "", "settled_at": settled_at or "", "polls": polls,
        })
        problem = None
        if status != "settled":
            problem = f"web transfer ended {status}"
        elif client_ms > DEADLINE_MS:
            problem = "settled, but not within 10 s"
        events.request.fire(
            request_type="WEBTRANSFER", name="accept_to_settled (web client)",
            response_time=client_ms, response_length=0,
            exception=AssertionError(problem) if problem else None, context={},
        )


def web_member_class(*, gate: StartGate) -> type:
    """The user class, sharing the locustfile's start-up barrier: every user of the
    process (API and web) has logged in before the steady load begins."""
    return type("WebMember", (_WebMember,), {
        "abstract": False, "gate": gate, "members": _members(), "numbers": itertools.count()})
