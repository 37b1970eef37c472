"""Chaos around money in doubt: transfers the bank may have paid while we have no answer.

- `answer_lost_over_maintenance`: Sunday evening, every SMBC answer is lost while the
  load crosses 21:00 into SMBC's maintenance; members try to cancel throughout; the
  bank answers again and the clock reaches Monday 07:00.
- `suspended_in_doubt_0930`: the 09:30 batch is paid but every answer is lost; the
  members are suspended (and try to cancel) while their transfers are in doubt.
- `batch_refuses_one_order`: a 09:30 batch where the bank refuses some orders
  permanently (closed account, name mismatch) beside good ones.

Each ends like every chaos scenario (tests/chaos/harness.py): every transfer final
within the bound, invariants over the ledger, `shunfuri reconcile` clean (every bank
payment has its ledger row and its outstanding balance), nobody over the limit.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter

import httpx
import pytest
from sqlalchemy import text

from tests.chaos.harness import RECOVERY_BOUND_S, Load
from tests.chaos.test_chaos import assert_clean, bank_stats, set_clock
from tests.e2e.conftest import ADMIN, new_member
from tests.system import poll

pytestmark = pytest.mark.e2e

SUNDAY = "2026-12-06"  # SMBC maintenance: Sunday 21:00 -> Monday 07:00
WEDNESDAY, THURSDAY = "2026-12-09", "2026-12-10"


class Canceller:
    """Members trying to cancel what they asked for, while the load runs."""

    def __init__(self, system, load: Load, every_s: float = 0.2) -> None:  # type: ignore[no-untyped-def]
        self.system, self.load, self.every_s = system, load, every_s
        self.answers: Counter = Counter()
        self.cancelled: set[str] = set()
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        rng = random.Random(11)
        with httpx.Client(base_url=self.system.url, timeout=10) as http:
            while not self.stop_event.wait(self.every_s):
                with self.load.lock:
                    ids = list(self.load.owners.items())
                if ids:
                    self.cancel(http, *rng.choice(ids))

    def cancel(self, http: httpx.Client, transfer_id: str, member: dict) -> None:
        try:
            r = http.post(f"/v1/transfers/{transfer_id}/cancel", headers=member["headers"])
        except httpx.HTTPError:
            self.answers["connection_error"] += 1
            return
        body = r.json()
        if r.status_code == 200:
            self.cancelled.add(transfer_id)
            self.answers["cancelled"] += 1
        elif body.get("in_doubt"):
            assert "銀行に結果を確認しています" in body["detail_ja"], body
            self.answers["refused_in_doubt"] += 1
        else:
            self.answers[f"{r.status_code} {body.get('code')} {body.get('transfer_status')}"] += 1

    def __enter__(self) -> Canceller:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop_event.set()
        self.thread.join(timeout=15)


def sent_then_released(engine) -> list:  # type: ignore[no-untyped-def]
    """Transfers that left for the bank and then ended without the bank's answer."""
    with engine.connect() as conn:
        return list(conn.execute(text(
            "SELECT id, status FROM transfers WHERE sent_at IS NOT NULL "
            "AND status IN ('scheduled', 'cancelled', 'rejected')")))


def in_doubt(engine, ids: set[str] | None = None) -> int:  # type: ignore[no-untyped-def]
    query = ("SELECT COUNT(*) FROM transfers WHERE status = 'processing' "
             "AND sent_at IS NOT NULL")
    params = {}
    if ids is not None:
        query += " AND id = ANY(:ids)"
        params["ids"] = list(ids)
    with engine.connect() as conn:
        return conn.execute(text(query), params).scalar()


def test_answer_lost_across_smbc_maintenance_with_cancels(system, harness, profile, engine,
                                                          members):
    # The load starts a few seconds before 21:00 and runs on into the maintenance window.
    lead = int(profile.load_s) + 2
    set_clock(system, f"{SUNDAY}T20:59:{60 - lead:02d}+09:00")
    load = Load(system, members, rate=profile.rate, banks=("0009",))
    lost_before = bank_stats(system)["lost_answers"]
    try:
        with harness.scenario("answer_lost_over_maintenance", load=load) as (run, _load):
            run.faults_from = "lost_answers"
            with run.window(count=0), Canceller(system, load) as canceller:
                system.bank(lose_response_rate=1.0)
                time.sleep(lead + profile.doubt_s)  # across 21:00, cancels all along
                poll(lambda: _held_over_maintenance(engine), timeout=60, interval=0.5,
                     what="a transfer in doubt held over the maintenance window")
                load.stop()
                system.bank(lose_response_rate=0.0)  # the bank answers again...
                set_clock(system, "2026-12-07T07:00:00+09:00")  # ...and SMBC reopens
            run.stats["lost_answers"] = bank_stats(system)["lost_answers"] - lost_before
            run.stats["cancels"] = dict(canceller.answers)
    finally:
        system.bank(lose_response_rate=0.0)
    print(f"[chaos] cancels during the doubt: {dict(canceller.answers)}", flush=True)
    assert canceller.answers["refused_in_doubt"] > 0, "no cancel met a transfer in doubt"
    assert not sent_then_released(engine), sent_then_released(engine)
    assert_clean(run.result)


def _held_over_maintenance(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT COUNT(*) FROM transfers WHERE status = 'processing' "
            "AND sent_at IS NOT NULL AND note LIKE '%maintenance%'")).scalar()


def _scheduled_of(engine, member_ids: list[int]) -> set[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return {r[0] for r in conn.execute(text(
            "SELECT id FROM transfers WHERE status = 'scheduled' AND member_id = ANY(:m)"),
            {"m": member_ids})}


def _accepted_left(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT COUNT(*) FROM transfers WHERE status = 'accepted'")).scalar()


def test_members_suspended_while_the_0930_batch_is_in_doubt(system, harness, profile, engine):
    set_clock(system, f"{WEDNESDAY}T08:00:00+09:00")  # 0005: scheduled for 09:30 today
    fresh = [new_member(system, credit_limit=2_000_000) for _ in range(4)]
    load = Load(system, fresh, rate=profile.rate, banks=("0005",))
    lost_before = bank_stats(system)["lost_answers"]
    try:
        with harness.scenario("suspended_in_doubt_0930", load=load) as (run, _load):
            run.faults_from = "lost_answers"
            time.sleep(profile.beat_load_s)
            load.stop()
            poll(lambda: not _accepted_left(engine), timeout=30, what="claims to finish")
            scheduled = _scheduled_of(engine, [m["member_id"] for m in fresh])
            assert scheduled, "nothing was scheduled for 09:30"
            with run.window(count=0):
                system.bank(lose_response_rate=1.0)
                set_clock(system, f"{WEDNESDAY}T09:29:58+09:00")
                poll(lambda: in_doubt(engine, scheduled) == len(scheduled), timeout=60,
                     interval=0.25, what="the whole 09:30 batch to be in doubt")
                canceller = Canceller(system, load)
                with httpx.Client(base_url=system.url, timeout=10) as http:
                    for transfer_id in list(scheduled)[:20]:
                        canceller.cancel(http, transfer_id, load.owners[transfer_id])
                    suspended = fresh[: len(fresh) // 2]
                    for member in suspended:
                        r = http.post(f"/v1/admin/members/{member['member_id']}/suspend",
                                      headers=ADMIN)
                        assert r.status_code == 200, r.text
                time.sleep(profile.doubt_s)  # suspended, in doubt, answers still lost
                system.bank(lose_response_rate=0.0)
            run.stats["lost_answers"] = bank_stats(system)["lost_answers"] - lost_before
    finally:
        system.bank(lose_response_rate=0.0)
        set_clock(system, f"{WEDNESDAY}T10:00:00+09:00")
    assert canceller.answers["refused_in_doubt"] > 0 and not canceller.cancelled
    ids = [m["member_id"] for m in suspended]
    with engine.connect() as conn:
        theirs = Counter(r[0] for r in conn.execute(text(
            "SELECT status FROM transfers WHERE member_id = ANY(:m)"), {"m": ids}))
    # The bank paid them before the suspension: the inquiry decides, never the suspension.
    assert set(theirs) == {"settled"}, theirs
    assert_clean(run.result)


def add_payee(system, member: dict, account: str, name: str) -> None:  # type: ignore[no-untyped-def]
    r = system.http.post("/v1/payees", headers=member["headers"], json={
        "bank_code": "0005", "branch_code": "001", "account_type": "ordinary",
        "account_number": account, "holder_name": "ﾔﾏﾀﾞ ﾀﾛｳ", "pin": member["pin"]})
    assert r.status_code == 201, r.text
    member["payees"][name] = r.json()["id"]


def test_a_batch_where_the_bank_refuses_some_orders(system, harness, profile, engine):
    set_clock(system, f"{THURSDAY}T08:00:00+09:00")
    fresh = [new_member(system, credit_limit=2_000_000) for _ in range(3)]
    for member in fresh:
        add_payee(system, member, "9999999", "closed")
        add_payee(system, member, "9999998", "mismatch")
    load = Load(system, fresh, rate=profile.rate,
                banks=("0005", "0005", "0005", "0005", "closed", "mismatch"))
    try:
        with harness.scenario("batch_refuses_one_order", load=load) as (run, _load):
            time.sleep(profile.beat_load_s)
            load.stop()
            poll(lambda: not _accepted_left(engine), timeout=30, what="claims to finish")
            scheduled = _scheduled_of(engine, [m["member_id"] for m in fresh])
            with run.window(count=0):
                set_clock(system, f"{THURSDAY}T09:29:58+09:00")
                moved = time.monotonic()
                poll(lambda: not _unfinished(engine, scheduled), timeout=RECOVERY_BOUND_S,
                     interval=0.2, what="the 09:30 batch to finish")
                run.recovered_in(max(0.0, time.monotonic() - moved - 2.0))
            with engine.connect() as conn:
                rows = list(conn.execute(text(
                    "SELECT t.status, t.failure_code, t.attempts, t.last_error, b.requests "
                    "FROM transfers t LEFT JOIN bank_sim_payments b ON b.transfer_id = t.id "
                    "WHERE t.id = ANY(:ids)"), {"ids": list(scheduled)}))
            outcomes = Counter((r.status, r.failure_code) for r in rows)
            refused = (outcomes[("failed", "account_closed")]
                       + outcomes[("failed", "name_mismatch")])
            run.result.faults = refused  # orders the bank refused permanently
    finally:
        set_clock(system, f"{THURSDAY}T10:00:00+09:00")
    assert refused > 0 and outcomes[("settled", None)] > 0, outcomes
    assert sum(outcomes.values()) == refused + outcomes[("settled", None)], outcomes
    # Nobody waited on the refused orders: every order went to the bank once, answered.
    assert {(r.attempts, r.requests, r.last_error) for r in rows} == {(1, 1, None)}
    assert_clean(run.result)


def _unfinished(engine, ids: set[str]) -> list:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return list(conn.execute(
            text("SELECT id FROM transfers WHERE id = ANY(:ids) AND status NOT IN "
                 "('settled', 'rejected', 'failed', 'cancelled')"), {"ids": list(ids)}))
