"""Chaos around repayments: a collection the bank may have made while we have no answer.

- `collection_in_doubt`: members who borrowed repay while the bank loses every answer
  (it collects, then the answer is lost); the answers come back. Each repayment must be
  collected exactly once (the bank's record has one row per repayment, asked for once:
  the lost answers are resolved by inquiries, not by collecting again), settled with its
  split, the principal lowered by exactly its principal part, and never failed or
  released on a guess; `shunfuri reconcile` clean for payments and collections.

It ends like every chaos scenario (tests/chaos/harness.py) for the transfers running
beside it.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter

import httpx
import pytest
from sqlalchemy import text

from tests.chaos.harness import RECOVERY_BOUND_S, Load
from tests.chaos.test_chaos import assert_clean, bank_stats
from tests.e2e.conftest import new_member
from tests.system import poll

pytestmark = pytest.mark.e2e

FINAL = ("settled", "failed", "rejected")


class Repayer:
    """Members repaying ¥1,000 at a time with an Idempotency-Key, retried on a 5xx."""

    def __init__(self, system, members: list[dict], every_s: float = 0.25) -> None:  # type: ignore[no-untyped-def]
        self.system, self.members, self.every_s = system, members, every_s
        self.accepted: dict[str, dict] = {}
        self.refused: Counter = Counter()
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        turn = 0
        with httpx.Client(base_url=self.system.url, timeout=10) as http:
            while not self.stop_event.wait(self.every_s):
                member = self.members[turn % len(self.members)]
                turn += 1
                self.repay(http, member)

    def repay(self, http: httpx.Client, member: dict) -> None:
        headers = {**member["headers"], "Idempotency-Key": uuid.uuid4().hex}
        body = {"payee_id": member["payees"]["0033"], "amount": 1000}
        for _ in range(20):
            try:
                r = http.post("/v1/repayments", json=body, headers=headers)
            except httpx.HTTPError:
                time.sleep(0.5)
                continue
            if r.status_code == 202:
                self.accepted[r.json()["id"]] = member
                return
            if r.status_code < 500:
                self.refused[r.json().get("code")] += 1
                return
            time.sleep(0.5)
        self.refused["gave_up"] += 1

    def __enter__(self) -> Repayer:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop_event.set()
        self.thread.join(timeout=30)


def _unfinished(engine, ids: list[str]) -> list:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return list(conn.execute(text(
            "SELECT id, status FROM repayments WHERE id = ANY(:ids) "
            "AND status NOT IN ('settled', 'failed', 'rejected')"), {"ids": ids}))


def _outstanding(system, member: dict) -> int:
    return system.http.get("/v1/me", headers=member["headers"]).json()["outstanding"]


def test_a_collection_in_doubt_is_asked_about_never_collected_twice(system, harness, profile,
                                                                    engine):
    fresh = [new_member(system, credit_limit=2_000_000) for _ in range(3)]
    load = Load(system, fresh, rate=profile.rate, banks=("0033",))
    before = bank_stats(system)
    with harness.scenario("collection_in_doubt", load=load) as (run, _load):
        poll(lambda: all(_outstanding(system, m) >= 5_000 for m in fresh), timeout=60,
             interval=0.5, what="every member to have borrowed")
        with run.window(count=0), Repayer(system, fresh) as repayer:
            system.bank(lose_response_rate=1.0)
            time.sleep(profile.doubt_s)  # every collection's answer is lost meanwhile
            system.bank(lose_response_rate=0.0)
        cleared = time.monotonic()
        run.stats["repayments"] = len(repayer.accepted)
        run.stats["lost_answers"] = bank_stats(system)["lost_answers"] - before["lost_answers"]
        run.faults_from = "lost_answers"
    ids = list(repayer.accepted)
    assert ids, f"no repayment was accepted: {dict(repayer.refused)}"
    poll(lambda: not _unfinished(engine, ids),
         timeout=max(1.0, RECOVERY_BOUND_S - (time.monotonic() - cleared)), interval=0.25,
         what="every repayment to be final")
    after = bank_stats(system)
    with engine.connect() as conn:
        rows = list(conn.execute(text(
            "SELECT r.id, r.status, r.amount, r.to_interest, r.to_principal, r.attempts, "
            "b.requests, b.amount AS collected FROM repayments r "
            "LEFT JOIN bank_sim_collections b ON b.repayment_id = r.id "
            "WHERE r.id = ANY(:ids)"), {"ids": ids}))
    print(f"[chaos] repayments {len(rows)}, refused {dict(repayer.refused)}, "
          f"bank collections {after['collections'] - before['collections']}, "
          f"inquiries {after['inquiries'] - before['inquiries']}", flush=True)
    # Every repayment collected once and settled with its split; none failed on a guess.
    assert Counter(r.status for r in rows) == Counter({"settled": len(ids)})
    assert all(r.requests == 1 and r.collected == r.amount for r in rows), rows
    assert all(r.to_interest + r.to_principal == r.amount for r in rows)
    # The lost answers were resolved by asking the bank.
    assert run.stats["lost_answers"] > 0 and after["inquiries"] > before["inquiries"]
    assert max(r.attempts for r in rows) > 1
    reconciled = system.cli("reconcile", "--json", "--data-dir", str(system.data_dir))
    assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr
    assert '"clean": true' in reconciled.stdout.splitlines()[-1]
    assert_clean(run.result)
