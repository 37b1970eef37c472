"""Collections over HTTP against the bank simulator as a real process: keyed by repayment
id apart from payments, the same fault controls; a collection whose answer was lost is
asked about and settled once; `reconcile` matches repayments against the collections of
the bank's statement."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from shunfuri.db.models import Member, Repayment
from shunfuri.db.session import engine_for, session_factory
from shunfuri.gateway.http import HttpBankGateway
from shunfuri.services.operations.reconcile import reconcile
from shunfuri.services.orders import pipeline
from shunfuri.settings import get_settings
from tests.bank_simulator import running_bank
from tests.integration.test_bank_gateway import order
from tests.integration.test_repayments import REPAID, ask, borrower
from tests.integration.test_settlement import Clocks, make_ctx


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    with running_bank(tmp_path_factory.mktemp("bank")) as process:
        yield process


@pytest.fixture()
def gateway(bank):
    bank.control(latency_ms=0, transient_rate=0, lose_response_rate=0, outage=False)
    return HttpBankGateway(bank.url, timeout=5)


def test_collections_are_a_book_of_their_own_keyed_by_repayment_id(gateway):
    same_id = order()
    collected = gateway.collections().pay([same_id, order("9999999")])
    assert [(r.outcome, r.code) for r in collected] == [
        ("paid", None), ("rejected", "account_closed")]
    # The id is unknown to payments: the two books never answer for each other.
    assert gateway.inquire([same_id.transfer_id])[0].answer == "not_found"
    answer = gateway.collections().inquire([same_id.transfer_id])[0]
    assert (answer.answer, answer.amount) == ("paid", 1000)
    again = gateway.collections().pay([same_id])  # the same id is collected once
    assert again[0].reference == collected[0].reference
    unknown = gateway.collections().inquire([str(uuid.uuid4()), same_id.transfer_id])
    assert [a.answer for a in unknown] == ["not_found", "paid"]


def test_a_lost_collection_answer_is_asked_about_and_reconciles(db, bank, gateway):
    from sqlalchemy import text

    bank_engine = engine_for(bank.record_url)
    with bank_engine.begin() as conn:  # the other test's collections are not this one's
        conn.execute(text("TRUNCATE bank_sim_collections"))
    m, p = borrower()
    accepted = ask(m, p, 5_000).repayment
    bank.control(lose_response_rate=1.0)
    clocks = Clocks(REPAID)
    clocks.real = datetime.now(UTC)
    ctx = make_ctx(gateway, clocks)
    before = bank.stats()
    pipeline.drain_repayments(ctx)
    with session_factory()() as session:
        r = session.get(Repayment, accepted["id"])
        assert r.status == "processing" and r.sent_at is not None
        assert session.get(Member, m).outstanding == 100_000
        clocks.real = r.next_attempt_at
    ours = engine_for(get_settings().resolved_database_url)
    report = reconcile(ours, gateway)
    # Collected, the answer on its way: in flight, not missing. (The transfers' side is
    # not this test's: its advance was written without a bank.)
    assert report.repayments.in_flight == 1 and report.repayments.clean
    bank.control(lose_response_rate=0.0)
    outcome, _ = pipeline.drain_repayments(ctx)
    assert outcome.settled == 1
    after = bank.stats()
    assert after["collections"] - before["collections"] == 1  # collected once, then asked
    assert after["inquiries"] - before["inquiries"] >= 1
    report = reconcile(ours, gateway)
    assert (report.repayments.ours, report.repayments.bank, report.repayments.in_flight) == (
        1, 1, 0)
    assert report.repayments.clean and report.as_dict()["repayments"]["clean"]



def test_staff_resolve_a_repayment_needing_attention_by_asking_the_bank(
        client, admin_headers, bank, gateway, monkeypatch):
    from shunfuri.clock import SimulatedClock, set_clock
    from shunfuri.domain.orders import Budget

    monkeypatch.setenv("SHUNFURI_BANK_URL", bank.url)
    get_settings.cache_clear()
    set_clock(SimulatedClock(start=REPAID, speed=0.0001))  # the staff call's business day
    try:
        _needs_attention_resolved(client, admin_headers, bank, gateway, Budget)
    finally:
        set_clock(None)
        get_settings.cache_clear()


def _needs_attention_resolved(client, admin_headers, bank, gateway, Budget) -> None:  # type: ignore[no-untyped-def]
    m, p = borrower()
    accepted = ask(m, p, 5_000).repayment
    bank.control(lose_response_rate=1.0)
    clocks = Clocks(REPAID)
    clocks.real = datetime.now(UTC)
    ctx = make_ctx(gateway, clocks)
    ctx.budget = Budget(max_attempts=1)  # the first lost answer spends the budget
    pipeline.drain_repayments(ctx)
    bank.control(lose_response_rate=0.0)
    with session_factory()() as session:
        assert session.get(Repayment, accepted["id"]).status == "needs_attention"
    listed = client.get("/v1/admin/doubts", headers=admin_headers).json()
    assert [(d["kind"], d["id"]) for d in listed] == [("repayment", accepted["id"])]
    resent = client.post(f"/v1/admin/repayments/{accepted['id']}/resend",
                         headers=admin_headers)
    assert resent.status_code == 200, resent.text
    assert resent.json()["bank"]["answer"] == "paid"  # collected: never sent again
    repayment = resent.json()["repayment"]
    assert repayment["status"] == "settled" and repayment["to_principal"] == 5_000 - 487
    with session_factory()() as session:
        assert session.get(Member, m).outstanding == 100_000 - (5_000 - 487)
    again = client.post(f"/v1/admin/repayments/{accepted['id']}/inquire",
                        headers=admin_headers)
    assert again.status_code == 200 and again.json()["repayment"]["status"] == "settled"
