"""The credit bureau client against the simulator as a real process: records set over HTTP
and found again by the spec's key (kana and phone read as the application reads them), a
person without a record owes nothing, and every fault is no answer - never a guess."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from shunfuri.domain.screening import NO_RECORD, BureauAnswer
from shunfuri.gateway.bureau import BureauKey, BureauUnavailable, HttpBureauGateway
from tests.integration import application_helpers as helpers
from tests.integration.application_helpers import (
    new_phone,
)
from tests.system import free_port

# Fixtures (pytest finds them by these names).
bureau = helpers.bureau
bureau_process = helpers.bureau_process


def test_a_record_is_found_by_its_key_however_it_was_typed(bureau):
    phone = new_phone()
    bureau.record(kana_name="すずき　いちろう", birth_date="1985-07-07",
                  phone=f"{phone[:3]}-{phone[3:7]}-{phone[7:]}", other_balance=450_000,
                  other_count=2, delinquent=True)
    gateway = HttpBureauGateway(bureau.url)
    key = BureauKey("スズキ イチロウ", date(1985, 7, 7), phone)
    assert gateway.inquire(key) == BureauAnswer(450_000, 2, True)
    assert gateway.inquire(BureauKey("スズキ イチロウ", date(1985, 7, 8), phone)) is NO_RECORD
    bureau.record(kana_name="スズキ イチロウ", birth_date="1985-07-07", phone=phone,
                  other_balance=0, other_count=0, delinquent=False)  # the record changes
    assert gateway.inquire(key) == BureauAnswer(0, 0, False)


def test_a_record_the_bureau_cannot_key_is_refused(bureau):
    response = httpx.put(f"{bureau.url}/v1/bureau/records", json={
        "kana_name": "Suzuki", "birth_date": "1985-07-07", "phone": "12345",
        "other_balance": 0, "other_count": 0, "delinquent": False})
    assert response.status_code == 422


@pytest.mark.parametrize("fault, kind", [
    ({"outage": True}, "server_error"), ({"transient_rate": 1.0}, "server_error"),
    ({"lose_response_rate": 1.0}, "server_error"), ({"latency_ms": 1500}, "timeout"),
])
def test_every_fault_is_no_answer(bureau, fault, kind):
    bureau.control(**fault)
    gateway = HttpBureauGateway(bureau.url, timeout=0.5)
    with pytest.raises(BureauUnavailable) as caught:
        gateway.inquire(BureauKey("スズキ イチロウ", date(1985, 7, 7), new_phone()))
    assert caught.value.kind == kind
    assert "スズキ" not in str(caught.value)


def test_a_bureau_nobody_answers_for_is_unreachable():
    gateway = HttpBureauGateway(f"http://127.0.0.1:{free_port()}", timeout=0.5)
    with pytest.raises(BureauUnavailable) as caught:
        gateway.inquire(BureauKey("スズキ イチロウ", date(1985, 7, 7), "09000000000"))
    assert caught.value.kind == "unreachable"
