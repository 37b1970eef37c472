"""The pipeline as users see it: real API, workers, beat, bank simulator, PostgreSQL
and Redis, each a process of `shunfuri up`; the simulated clock is moved with
`shunfuri clock`. Waits are polls with deadlines, never sleeps."""

from __future__ import annotations

import concurrent.futures as cf

import httpx
import pytest
from sqlalchemy import create_engine, text

from shunfuri.db.session import normalise_url
from tests.e2e.conftest import new_member
from tests.system import poll, running_system

pytestmark = pytest.mark.e2e

FINAL = {"settled", "rejected", "failed", "cancelled"}


@pytest.fixture(scope="module")
def system():
    with running_system(clock="2026-12-01T10:00:00+09:00") as running:
        yield running


def set_clock(system, spec: str) -> None:
    result = system.cli("clock", spec, "--data-dir", str(system.data_dir))
    assert result.returncode == 0, result.stderr


def post_transfer(system, member, bank: str, amount: int, key: str | None = None):
    headers = dict(member["headers"])
    if key:
        headers["Idempotency-Key"] = key
    return system.http.post(
        "/v1/transfers", json={"payee_id": member["payees"][bank], "amount": amount},
        headers=headers,
    )


def wait_status(system, member, transfer_id: str, wanted: set[str], timeout: float = 30) -> dict:
    def check():
        r = system.http.get(
            f"/v1/transfers/{transfer_id}", params={"wait": 5}, headers=member["headers"]
        )
        assert r.status_code == 200, r.text
        return r.json() if r.json()["status"] in wanted else None

    return poll(check, timeout=timeout, interval=0, what=f"{transfer_id} to be {wanted}")


def reconcile_clean(system) -> None:
    result = system.cli("reconcile", "--data-dir", str(system.data_dir))
    assert result.returncode == 0, result.stdout + result.stderr


def test_instant_transfer_settles(system):
    set_clock(system, "2026-12-01T10:00:00+09:00")
    member = new_member(system)
    r = post_transfer(system, member, "0009", 10_000)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["decision"] == "instant" and body["status"] == "accepted"
    settled = wait_status(system, member, body["id"], {"settled"})
    assert settled["settled_at"] is not None
    me = system.http.get("/v1/me", headers=member["headers"]).json()
    assert (me["outstanding"], me["held"]) == (10_000, 0)
    # Workers record into the shared multiprocess registry; the API serves it.
    metrics = system.http.get("/metrics").text
    for name in ("shunfuri_transfers_accepted_total", "shunfuri_transfers_settled_total",
                 "shunfuri_queue_lag_seconds_bucket", "shunfuri_accept_to_settled_seconds_bucket",
                 "shunfuri_batch_size_bucket", "shunfuri_batch_duration_seconds_bucket"):
        assert name in metrics, name
    settled = [line for line in metrics.splitlines()
               if line.startswith('shunfuri_transfers_settled_total{decision="instant"}')]
    assert settled and float(settled[0].split()[-1]) >= 1


def test_standard_bank_at_1500_settles_next_business_day_0930(system):
    set_clock(system, "2026-12-01T15:00:00+09:00")
    member = new_member(system)
    body = post_transfer(system, member, "0005", 20_000).json()
    assert body["decision"] == "scheduled"
    assert body["settle_at"] == "2026-12-02T09:30:00+09:00"
    wait_status(system, member, body["id"], {"scheduled"})
    set_clock(system, "2026-12-02T09:29:59+09:00")
    settled = wait_status(system, member, body["id"], {"settled"})
    assert settled["settled_at"] >= "2026-12-02T09:30:00+09:00"


def test_smbc_sunday_2200_waits_for_monday_0700(system):
    set_clock(system, "2026-12-06T22:00:00+09:00")
    member = new_member(system)
    body = post_transfer(system, member, "0009", 5_000).json()
    assert (body["decision"], body["settle_at"]) == ("scheduled", "2026-12-07T07:00:00+09:00")
    assert wait_status(system, member, body["id"], {"scheduled"})["status"] == "scheduled"
    set_clock(system, "2026-12-07T06:59:59+09:00")
    settled = wait_status(system, member, body["id"], {"settled"})
    assert settled["settled_at"] >= "2026-12-07T07:00:00+09:00"


def test_fifty_concurrent_against_a_limit_for_ten(system):
    set_clock(system, "2026-12-08T10:00:00+09:00")
    member = new_member(system, credit_limit=100_000)
    engine = create_engine(normalise_url(system.database_url))
    worst = {"over": 0}

    def probe():
        with engine.connect() as conn:
            over = conn.execute(
                text("SELECT COUNT(*) FROM members WHERE outstanding + held > credit_limit")
            ).scalar()
        worst["over"] = max(worst["over"], over)

    with cf.ThreadPoolExecutor(max_workers=50) as pool:
        futures = [pool.submit(post_transfer, system, member, "0009", 10_000) for _ in range(50)]
        while not all(f.done() for f in futures):
            probe()
        responses = [f.result() for f in futures]
    accepted = [r.json()["id"] for r in responses if r.status_code == 202]
    refused = [r for r in responses if r.status_code != 202]
    assert all(r.json()["code"] == "insufficient_credit" for r in refused)
    finals = [wait_status(system, member, i, FINAL) for i in accepted]
    probe()
    settled = [f for f in finals if f["status"] == "settled"]
    rejected = [f for f in finals if f["status"] == "rejected"]
    assert len(settled) == 10
    assert all(f["failure_code"] == "insufficient_credit" for f in rejected)
    assert len(rejected) + len(refused) == 40
    assert worst["over"] == 0
    me = system.http.get("/v1/me", headers=member["headers"]).json()
    assert (me["outstanding"], me["held"], me["available"]) == (100_000, 0, 0)
    engine.dispose()


def test_twenty_concurrent_requests_with_one_key_make_one_transfer(system):
    set_clock(system, "2026-12-08T10:00:00+09:00")
    member = new_member(system)
    with cf.ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(
            pool.map(lambda _: post_transfer(system, member, "0009", 3_000, key="same-key"),
                     range(20))
        )
    assert {r.status_code for r in responses} == {202}
    assert len({r.json()["id"] for r in responses}) == 1
    listing = system.http.get("/v1/transfers", headers=member["headers"]).json()
    assert len(listing["items"]) == 1


def test_redelivered_tasks_and_a_lost_bank_answer_settle_exactly_once(system):
    set_clock(system, "2026-12-08T10:00:00+09:00")
    member = new_member(system)
    system.bank(lose_response_rate=1.0)
    try:
        body = post_transfer(system, member, "0009", 4_000).json()
        engine = create_engine(normalise_url(system.database_url))

        def paid_by_bank():
            with engine.connect() as conn:
                return conn.execute(
                    text("SELECT requests FROM bank_sim_payments WHERE transfer_id = :i"),
                    {"i": body["id"]},
                ).scalar()

        poll(paid_by_bank, timeout=20, what="the bank to pay")
        assert system.http.get(
            f"/v1/transfers/{body['id']}", headers=member["headers"]
        ).json()["status"] == "processing"
    finally:
        system.bank(lose_response_rate=0.0)
    wait_status(system, member, body["id"], {"settled"})
    # Asked again, paid once: a transfer in doubt is resolved by a status inquiry (a pass
    # that outlived its lease may also have sent the order again: the bank answers that
    # from its record, and reconcile below finds one payment).
    assert paid_by_bank() >= 1
    stats = httpx.get(f"{system.env_of_children()['SHUNFURI_BANK_URL']}/v1/stats").json()
    assert stats["inquiries"] >= 1
    # A duplicated message for work already done changes nothing.
    from celery import Celery

    producer = Celery(broker=system.broker_url)
    for _ in range(2):
        producer.send_task("transfers.settle_chunk", args=[[body["id"]]], queue="batch")
        producer.send_task("transfers.drain_instant", queue="instant")
    me = poll(
        lambda: system.http.get("/v1/me", headers=member["headers"]).json(), timeout=5
    )
    assert me["outstanding"] == 4_000
    reconcile_clean(system)
    engine.dispose()
