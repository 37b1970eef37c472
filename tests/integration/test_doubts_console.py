"""Repayments in doubt on the staff console's 要確認 page (issue 23, item 9), with the bank
simulator as a real process: each row posts to its own kind, so a repayment is asked
about as a repayment (it answered "not found" when every row went to
`/staff/transfers/{id}/…`), and one the bank never received, handed back to be sent
again, wakes the collector (`repayments.drain`), not the transfers' drain."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from shunfuri.broker import get_redis
from shunfuri.clock import SimulatedClock, set_clock
from shunfuri.db.models import Repayment
from shunfuri.db.session import session_factory
from shunfuri.domain.orders import Budget
from shunfuri.gateway.http import HttpBankGateway
from shunfuri.services.orders import pipeline
from shunfuri.settings import get_settings
from tests.bank_simulator import running_bank
from tests.integration.staff_helpers import CSRF, enrolled
from tests.integration.test_repayments import REPAID, ask, borrower
from tests.integration.test_settlement import Clocks, make_ctx


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    with running_bank(tmp_path_factory.mktemp("bank")) as process:
        yield process


@pytest.fixture()
def with_bank(bank, configured, monkeypatch):
    monkeypatch.setenv("SHUNFURI_BANK_URL", bank.url)
    get_settings.cache_clear()
    bank.control(latency_ms=0, lose_response_rate=0.0, outage=False, transient_rate=0.0)
    set_clock(SimulatedClock(start=REPAID, speed=0.0001))
    yield bank
    bank.control(lose_response_rate=0.0, transient_rate=0.0)
    set_clock(None)
    get_settings.cache_clear()


def needing_attention(bank, fault: dict) -> str:  # type: ignore[no-untyped-def]
    """A repayment sent once under `fault`, its one-attempt budget spent: staff's now."""
    m, p = borrower()
    repayment_id = ask(m, p, 5_000).repayment["id"]
    bank.control(**fault)
    clocks = Clocks(REPAID)
    clocks.real = datetime.now(UTC)
    ctx = make_ctx(HttpBankGateway(bank.url), clocks)
    ctx.budget = Budget(max_attempts=1)
    pipeline.drain_repayments(ctx)
    bank.control(lose_response_rate=0.0, transient_rate=0.0)
    with session_factory()() as session:
        assert session.get(Repayment, repayment_id).status == "needs_attention"
    return repayment_id


def press(client, page: str, repayment_id: str, button: str):  # type: ignore[no-untyped-def]
    """Submit the row's form whose button is `button`, as a browser would: to its action."""
    row = re.search(rf'<tr id="doubt-{repayment_id}">(.*?)</tr>', page, re.S).group(1)
    forms = re.findall(r'<form method="post" action="([^"]+)">.*?>([^<>]+)</button></form>',
                       row, re.S)
    [action] = [action for action, label in forms if label == button]
    return client.post(action, data={"csrf_token": CSRF.search(page).group(1)})


def test_an_operator_settles_a_repayment_in_doubt_from_the_console(client, with_bank):
    repayment_id = needing_attention(with_bank, {"lose_response_rate": 1.0})  # collected
    enrolled(client, "op-repay", "operator")
    page = client.get("/staff/doubts").text
    assert f'action="/staff/repayments/{repayment_id}/inquire"' in page
    answer = press(client, page, repayment_id, "銀行に照会する")
    assert answer.status_code == 200
    assert "銀行はお引落とし済みと回答しました" in answer.text
    assert re.search(r'id="result-status">ご返済完了（settled）<', answer.text)
    assert f'id="doubt-{repayment_id}"' not in answer.text
    with session_factory()() as session:
        assert session.get(Repayment, repayment_id).status == "settled"


def test_a_repayment_the_bank_never_received_is_handed_back_and_wakes_the_collector(
        client, with_bank):
    repayment_id = needing_attention(with_bank, {"transient_rate": 1.0})  # never recorded
    enrolled(client, "op-resend", "operator")
    page = client.get("/staff/doubts").text
    get_redis().delete("instant")  # the queue the wake-up message goes to
    answer = press(client, page, repayment_id, "照会して再送")
    assert answer.status_code == 200
    assert "同じIDでもう一度お引落としを依頼します" in answer.text
    with session_factory()() as session:
        assert session.get(Repayment, repayment_id).status == "processing"
    tasks = [json.loads(m)["headers"]["task"] for m in get_redis().lrange("instant", 0, -1)]
    assert tasks == ["repayments.drain"]
