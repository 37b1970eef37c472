"""The HTTP bank gateway against the bank simulator as a real process: per-order
results, and the status inquiry with the simulator's fault controls."""

from __future__ import annotations

import uuid

import httpx
import pytest

from shunfuri.gateway.base import PaymentOrder, TransientBankError
from shunfuri.gateway.http import HttpBankGateway
from tests.bank_simulator import running_bank


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    with running_bank(tmp_path_factory.mktemp("bank")) as process:
        yield process


@pytest.fixture()
def gateway(bank):
    bank.control(latency_ms=0, transient_rate=0, lose_response_rate=0, outage=False)
    return HttpBankGateway(bank.url, timeout=5)


def order(account: str = "1234567", amount: int = 1000) -> PaymentOrder:
    return PaymentOrder(str(uuid.uuid4()), amount, "0009", "001", "ordinary", account,
                        "ﾔﾏﾀﾞ ﾀﾛｳ")


def test_one_unreadable_order_is_refused_alone_and_the_rest_are_paid(bank, gateway):
    good, closed, unreadable = order(), order("9999999"), order(amount=0)
    results = gateway.pay([good, closed, unreadable])
    assert [(r.outcome, r.code) for r in results] == [
        ("paid", None), ("rejected", "account_closed"), ("rejected", "invalid_order")]
    # The refusal is recorded like any other: asking later gives the same answer.
    answers = gateway.inquire([good.transfer_id, closed.transfer_id, unreadable.transfer_id])
    assert [a.answer for a in answers] == ["paid", "rejected", "rejected"]
    assert answers[0].reference == results[0].reference and answers[0].amount == 1000
    # An order the answer leaves out (no usable id) is unanswered, not a failed batch.
    raw = httpx.post(f"{bank.url}/v1/payments:batch", timeout=5,
                     json={"payments": [{"amount": 1000}, {"transfer_id": 7}]}).json()
    assert raw == {"results": []}


def test_an_id_the_bank_never_received_is_not_found(gateway):
    [answer] = gateway.inquire([str(uuid.uuid4())])
    assert answer.answer == "not_found"
    answers = gateway.inquire([str(uuid.uuid4()), str(uuid.uuid4())])
    assert {a.answer for a in answers} == {"not_found"}


def test_a_paid_order_whose_answer_was_lost_is_found_by_an_inquiry(bank, gateway):
    lost = order()
    before = bank.stats()["lost_answers"]
    bank.control(lose_response_rate=1.0)
    with pytest.raises(TransientBankError):
        gateway.pay([lost])
    # The same fault control loses inquiry answers too...
    with pytest.raises(TransientBankError):
        gateway.inquire([lost.transfer_id])
    bank.control(lose_response_rate=0.0)
    [answer] = gateway.inquire([lost.transfer_id])  # ...until the bank answers again
    assert answer.answer == "paid" and bank.stats()["lost_answers"] == before + 1


@pytest.mark.parametrize("fault", [{"outage": True}, {"transient_rate": 1.0}])
def test_inquiries_honour_the_outage_and_transient_errors(bank, gateway, fault):
    bank.control(**fault)
    for ids in ([str(uuid.uuid4())], [str(uuid.uuid4()), str(uuid.uuid4())]):
        with pytest.raises(TransientBankError):
            gateway.inquire(ids)


def test_inquiries_honour_the_latency(bank):
    bank.control(latency_ms=3000)
    slow = HttpBankGateway(bank.url, timeout=0.5)
    with pytest.raises(TransientBankError):
        slow.inquire([str(uuid.uuid4())])
