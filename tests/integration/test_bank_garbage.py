"""A bank answer of 200 whose body is not the protocol's JSON object (issue 23, item 10),
through the real HTTP gateway against the bank simulator as a process (its
`garbage_rate` / `garbage_body` fault, applied after the bank did the work).

The bank may have paid (or collected), so such an answer is no answer: the order stays
in doubt and is asked about later, never failed or released on a guess. Before, the body
escaped the gateway as `ValueError` / `AttributeError` after the claim had committed and
ended the drain pass."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from shunfuri.db.models import LedgerEntry, Member, Repayment, Transfer
from shunfuri.db.session import engine_for, session_factory
from shunfuri.gateway.base import TransientBankError
from shunfuri.gateway.http import HttpBankGateway
from shunfuri.services.orders import pipeline
from simulators.faults import GARBAGE
from tests import factories
from tests.bank_simulator import running_bank
from tests.integration.test_bank_gateway import order
from tests.integration.test_repayments import REPAID, ask, borrower
from tests.integration.test_settlement import TUESDAY_15, Clocks, accept, make_ctx


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    with running_bank(tmp_path_factory.mktemp("bank")) as process:
        yield process


@pytest.fixture()
def gateway(bank):
    bank.control(latency_ms=0, transient_rate=0, lose_response_rate=0, outage=False,
                 garbage_rate=0)
    yield HttpBankGateway(bank.url, timeout=5)
    bank.control(garbage_rate=0)


def no_answer(call) -> None:  # type: ignore[no-untyped-def]
    """The call gives no trustworthy answer: a transient error for the whole call, or
    (results that are not objects, a one-id answer without the id) each order
    unanswered. Never another exception, never a definitive answer."""
    try:
        answers = call()
    except TransientBankError as exc:
        assert "bank answered 200" in str(exc)
        return
    assert {getattr(a, "outcome", None) or a.answer for a in answers} == {"unanswered"}


@pytest.mark.parametrize("body", sorted(GARBAGE))
def test_a_garbled_200_is_no_answer_for_payments_collections_and_inquiries(
        bank, gateway, body):
    garbled = bank.stats()["garbled_answers"]
    for book in (gateway, gateway.collections()):
        one, two = order(), order()
        bank.control(garbage_rate=1.0, garbage_body=body)
        no_answer(lambda: book.pay([one, two]))
        no_answer(lambda: book.inquire([one.transfer_id]))
        no_answer(lambda: book.inquire([one.transfer_id, two.transfer_id]))
        bank.control(garbage_rate=0)
        # The bank did the work before the answer was garbled: asking finds it, once.
        answers = book.inquire([one.transfer_id, two.transfer_id])
        assert [(a.answer, a.amount) for a in answers] == [("paid", 1000), ("paid", 1000)]
    assert bank.stats()["garbled_answers"] == garbled + 6


def bank_requests(bank, table: str, key: str, order_id: str) -> int:  # type: ignore[no-untyped-def]
    with engine_for(bank.record_url).connect() as conn:
        return conn.execute(text(f"SELECT requests FROM {table} WHERE {key} = :id"),
                            {"id": order_id}).scalar_one()


@pytest.mark.parametrize("body", ["text", "array", "items"])
def test_the_drain_pass_survives_a_garbled_payment_answer_and_pays_once(
        db, bank, gateway, body):
    m = factories.member()
    first = accept(m, factories.payee(m), 9_000, TUESDAY_15).transfer
    second = accept(m, factories.payee(m, account_number="7654321"), 4_000,
                    TUESDAY_15).transfer
    clocks = Clocks(TUESDAY_15)
    clocks.real = datetime.now(UTC)
    ctx = make_ctx(gateway, clocks)
    bank.control(garbage_rate=1.0, garbage_body=body)
    outcome, _ = pipeline.drain(ctx)  # the pass ends normally
    assert outcome.claimed == 2 and outcome.settled == 0 and outcome.failed == 0
    with session_factory()() as session:
        rows = [session.get(Transfer, t["id"]) for t in (first, second)]
        assert {(t.status, t.sent_at is not None) for t in rows} == {("processing", True)}
        assert all(t.last_error for t in rows)
        member = session.get(Member, m)
        assert (member.held, member.outstanding) == (13_000, 0)  # holds kept, nothing guessed
        clocks.real = max(t.next_attempt_at for t in rows)
    bank.control(garbage_rate=0)
    outcome, _ = pipeline.drain(ctx)
    assert outcome.settled == 2
    with session_factory()() as session:
        assert session.get(Member, m).outstanding == 13_000
        assert len(session.scalars(select(LedgerEntry)).all()) == 2
    for t in (first, second):  # asked about, not paid again
        assert bank_requests(bank, "bank_sim_payments", "transfer_id", t["id"]) == 1


def test_the_collection_pass_survives_a_garbled_answer_and_collects_once(db, bank, gateway):
    m, p = borrower()
    accepted = ask(m, p, 5_000).repayment
    clocks = Clocks(REPAID)
    clocks.real = datetime.now(UTC)
    ctx = make_ctx(gateway, clocks)
    bank.control(garbage_rate=1.0, garbage_body="null")
    outcome, _ = pipeline.drain_repayments(ctx)
    assert outcome.claimed == 1 and outcome.settled == 0 and outcome.failed == 0
    with session_factory()() as session:
        r = session.get(Repayment, accepted["id"])
        assert (r.status, r.sent_at is not None) == ("processing", True)
        assert "not an object" in r.last_error
        assert session.get(Member, m).outstanding == 100_000
        clocks.real = r.next_attempt_at
    bank.control(garbage_rate=0)
    assert pipeline.drain_repayments(ctx)[0].settled == 1
    assert bank_requests(bank, "bank_sim_collections", "repayment_id", accepted["id"]) == 1
