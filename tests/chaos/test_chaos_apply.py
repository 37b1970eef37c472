"""Chaos around becoming a member: the credit bureau is down, then loses every answer,
while people keep applying (and members keep borrowing beside them).

`bureau_down_then_lost_answers`: applications arrive all along at `apply_rate`; the
bureau refuses every inquiry (`outage`) for `bureau_down_s` (a minute in the full
profile), then answers every inquiry and loses the answer (`lose_response_rate` 1.0:
the bureau did the work, the worker never hears it) for `bureau_lost_s`, then is calm.

Besides the transfer checks of every chaos scenario (tests/chaos/harness.py):

- **0 decided on a guess**: no application sent while the bureau could not answer is
  decided before the bureau answers again, and every decided application carries the
  bureau's answer (`bureau_answered_at`);
- **0 lost**: every application the API accepted (202) is stored and decided within the
  suite's recovery bound of the fault being cleared;
- **0 decided twice**: the decisions counted by the workers
  (`shunfuri_application_decision_seconds_count`, summed over every process) grew by
  exactly the number of applications decided.
"""

from __future__ import annotations

import re
import threading
import time
import uuid

import httpx
import pytest
from sqlalchemy import text

from tests.chaos.harness import RECOVERY_BOUND_S, Load
from tests.chaos.test_chaos import assert_clean, set_clock
from tests.system import poll

pytestmark = pytest.mark.e2e

START = "2026-12-01T10:00:00+09:00"  # a Tuesday: every bank open
INSTANT_BANKS = ("0009", "0033")
DECIDED = ("approved", "declined", "documents_needed", "manual_review")


def form(phone: str) -> dict:
    """Approved at ¥300,000 on the bureau's answer (it has no record of anyone here)."""
    return {
        "name_kanji": "山田 花子", "name_kana": "ヤマダ ハナコ", "birth_date": "1990-04-01",
        "phone": phone, "email": "hanako@example.jp", "postal_code": "1500001",
        "address": "東京都渋谷区神宮前1-2-3", "employment": "employee",
        "employer_name": "株式会社サンプル", "employer_phone": "0312345678",
        "annual_income": 4_000_000, "other_count": 0, "other_balance": 0,
        "requested_limit": 300_000,
    }


class Applicants:
    """People applying at about `rate` per second from one thread. Like a careful client,
    each application carries an Idempotency-Key and is sent again with the same key on a
    503 or a broken connection."""

    def __init__(self, url: str, rate: float) -> None:
        self.url, self.period = url, 1.0 / rate
        self.sent: dict[str, float] = {}  # application id -> wall time it was first sent
        self.refused: list[str] = []
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.count = 0

    def __enter__(self) -> Applicants:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop_event.set()
        self.thread.join(timeout=60)

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=10) as http:
            next_at = time.monotonic()
            while not self.stop_event.is_set():
                if self.stop_event.wait(max(0.0, next_at - time.monotonic())):
                    return
                next_at += self.period
                self.count += 1
                self._apply(http, f"0907{self.count:07d}")

    def _apply(self, http: httpx.Client, phone: str) -> None:
        key, first_sent = str(uuid.uuid4()), time.time()
        give_up = time.monotonic() + 45
        while time.monotonic() < give_up:
            try:
                r = http.post("/v1/applications", json=form(phone),
                              headers={"Idempotency-Key": key})
            except httpx.HTTPError:
                r = None
            if r is not None and r.status_code == 202:
                self.sent[r.json()["id"]] = first_sent
                return
            if r is not None and r.status_code != 503:
                self.refused.append(f"{r.status_code} {r.text[:200]}")
                return
            time.sleep(0.5)
        self.refused.append("no answer within 45 s")


def decisions_counted(system) -> float:  # type: ignore[no-untyped-def]
    scraped = system.http.get("/metrics").text
    return sum(float(v) for v in re.findall(
        r"^shunfuri_application_decision_seconds_count(?:\{[^}]*\})? (\S+)$", scraped, re.M))


def rows(engine, ids) -> list:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return list(conn.execute(text(
            "SELECT id, status, bureau_answered_at FROM applications WHERE id = ANY(:ids)"),
            {"ids": list(ids)}))


def decided_among(engine, ids) -> int:  # type: ignore[no-untyped-def]
    return sum(1 for r in rows(engine, ids) if r.status in DECIDED) if ids else 0


def sent_since(applicants: Applicants, since: float) -> set[str]:
    return {i for i, at in list(applicants.sent.items()) if at >= since}


# Full profile: 110 s of load and faults, then up to the 90 s bound twice (applications,
# then the transfers' check), beyond the suite's default 300 s when it runs first.
@pytest.mark.timeout(480)
def test_bureau_down_then_answers_lost_while_people_apply(system, harness, profile, engine):
    began = time.monotonic()
    set_clock(system, START)
    bureau = system.env_of_children()["SHUNFURI_BUREAU_URL"]

    def control(**faults: object) -> None:
        httpx.post(f"{bureau}/v1/bureau/control", json=faults, timeout=5).raise_for_status()

    def stats() -> dict:
        return httpx.get(f"{bureau}/v1/bureau/stats", timeout=5).json()

    counted_before, stats_before = decisions_counted(system), stats()
    guessed: dict[str, int] = {}
    load = Load(system, harness.members, rate=profile.rate, banks=INSTANT_BANKS)
    try:
        with harness.scenario("bureau_down_then_lost", load=load) as (run, _load), \
                Applicants(system.url, profile.apply_rate) as applicants:
            time.sleep(profile.load_s)
            with run.window(count=2):
                control(outage=True)
                # After the switch: what is sent from here on cannot have been answered.
                down_from = time.time()
                time.sleep(profile.bureau_down_s)
                # Nothing sent since the bureau went down has been decided: no answer came.
                guessed["down"] = decided_among(engine, sent_since(applicants, down_from))
                lost_from = time.time()
                control(outage=False, lose_response_rate=1.0)
                time.sleep(profile.bureau_lost_s)
                guessed["lost"] = decided_among(engine, sent_since(applicants, down_from))
                in_fault = sent_since(applicants, down_from)
                control(lose_response_rate=0.0)
            cleared = time.time()
            time.sleep(profile.load_s)
    finally:
        control(outage=False, lose_response_rate=0.0)
    stats_after = stats()
    sent = dict(applicants.sent)

    # Every accepted application decided, within the bound of the fault's end.
    first_seen: dict[str, float] = {}

    def all_decided() -> bool:
        now = time.time()
        for row in rows(engine, sent):
            if row.status in DECIDED:
                first_seen.setdefault(row.id, now)
        return len(first_seen) == len(sent)

    deadline = RECOVERY_BOUND_S - (time.time() - cleared)
    try:
        poll(all_decided, timeout=max(deadline, 1), interval=0.25,
             what="every application decided")
    except AssertionError:
        pass
    stored = rows(engine, sent)
    undecided = [r.id for r in stored if r.status not in DECIDED]
    lost = len(sent) - len(stored) + len(undecided)
    unanswered = [r.id for r in stored if r.status in DECIDED and r.bureau_answered_at is None]
    doubled = poll(lambda: decisions_counted(system) - counted_before >= len(first_seen)
                   and decisions_counted(system) - counted_before, timeout=10,
                   what="the decisions counted") - len(first_seen)
    recovery = max((first_seen[i] - max(cleared, sent[i]) for i in in_fault if i in first_seen),
                   default=0.0)
    run.result.lost += lost
    run.result.doubled += int(doubled)
    run.result.max_recovery_s = max(run.result.max_recovery_s, round(recovery, 2))
    if guessed["down"] or guessed["lost"] or unanswered:
        run.result.problems.append(f"decided on a guess: {guessed}, {unanswered[:5]}")
    if undecided or lost:
        run.result.problems.append(f"applications lost or undecided: {undecided[:5]}")
    print(f"[chaos] bureau_down_then_lost applications: {len(sent)} accepted, "
          f"{len(in_fault)} sent while the bureau could not answer, "
          f"{len(first_seen)} decided, {int(doubled)} decided twice, {lost} lost, "
          f"{guessed} decided on a guess; recovery {recovery:.1f} s; bureau "
          f"{stats_after['inquiries'] - stats_before['inquiries']} inquiries, "
          f"{stats_after['lost_answers'] - stats_before['lost_answers']} answers lost; "
          f"{time.monotonic() - began:.0f} s in all", flush=True)
    assert not applicants.refused, applicants.refused[:5]
    assert in_fault and len(sent_since(applicants, lost_from)) > 0, "nobody applied in a fault"
    assert stats_after["lost_answers"] > stats_before["lost_answers"], "no answer was lost"
    assert (lost, int(doubled), guessed, unanswered) == (0, 0, {"down": 0, "lost": 0}, [])
    assert_clean(run.result)
