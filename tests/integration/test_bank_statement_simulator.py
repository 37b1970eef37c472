"""The bank simulator's statement (`GET /v1/statements`, `GET /v1/statements/{day}`) as
a real process, read raw and through the HTTP gateway: every order booked once on its
day, page after page, refusals included; bad questions refused with a stable code."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from sqlalchemy import text

from shunfuri.db.session import engine_for
from shunfuri.gateway.base import TransientBankError
from shunfuri.gateway.http import HttpBankGateway
from tests.bank_simulator import running_bank
from tests.integration.test_bank_gateway import order

JST = dt.timezone(dt.timedelta(hours=9))


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    with running_bank(tmp_path_factory.mktemp("bank")) as process:
        yield process


@pytest.fixture()
def gateway(bank):
    bank.control(latency_ms=0, transient_rate=0, lose_response_rate=0, outage=False,
                 garbage_rate=0)
    with engine_for(bank.record_url).begin() as conn:  # each test books its own orders
        conn.execute(text("TRUNCATE bank_sim_payments, bank_sim_collections"))
    return HttpBankGateway(bank.url, timeout=5)


def book_on(bank, table: str, key: str, order_id: str, when: dt.datetime) -> None:
    """Move one recorded order to another booking instant (the simulator books by its
    own clock; a test cannot wait for midnight)."""
    with engine_for(bank.record_url).begin() as conn:
        conn.execute(text(f"UPDATE {table} SET paid_at = :at WHERE {key} = :id"),
                     {"at": when, "id": order_id})


def test_every_order_is_on_its_booking_day_in_japan_once_page_after_page(bank, gateway):
    payments = [order() for _ in range(5)] + [order("9999999")]
    gateway.pay(payments)
    collected = [order(amount=700) for _ in range(3)]
    gateway.collections().pay(collected)
    # 23:30 UTC on the 1st is 08:30 on the 2nd in Japan: booked on the 2nd.
    book_on(bank, "bank_sim_payments", "transfer_id", payments[0].transfer_id,
            dt.datetime(2025, 12, 1, 23, 30, tzinfo=dt.UTC))
    book_on(bank, "bank_sim_collections", "repayment_id", collected[0].transfer_id,
            dt.datetime(2025, 12, 2, 0, 0, tzinfo=JST))
    days = gateway.statement_days()
    assert days[0] == dt.date(2025, 12, 2) and len(days) in (2, 3)  # today may cross midnight
    pages, after = [], None
    for day in days:
        while True:
            query = {"limit": 2, **({"after": after} if after else {})}
            body = httpx.get(f"{bank.url}/v1/statements/{day}", params=query, timeout=5).json()
            assert body["day"] == day.isoformat() and len(body["lines"]) <= 2
            pages.append(body["lines"])
            after = body["next"]
            if after is None:
                break
    lines = [line for page in pages for line in page]
    assert sorted(line["id"] for line in lines) == sorted(
        o.transfer_id for o in payments + collected)
    first_day = [line["id"] for line in lines[:2]]
    assert first_day == [payments[0].transfer_id, collected[0].transfer_id]
    refused = [line for line in lines if line["status"] == "rejected"]
    assert [(r["id"], r["code"]) for r in refused] == [
        (payments[-1].transfer_id, "account_closed")]
    # The gateway reads the same, whole, in pages of its own size.
    read = [(x.kind, x.order_id, x.amount) for d in days for x in gateway.statement(d)]
    assert sorted(read) == sorted((line["kind"], line["id"], line["amount"]) for line in lines)
    assert sum(1 for kind, *_ in read if kind == "collection") == 3


def test_bad_questions_get_a_stable_code_and_a_japanese_detail(bank, gateway):
    for query, path, code in [
        ({}, "/v1/statements/2026-13-01", "invalid_day"),
        ({"limit": "0"}, "/v1/statements/2026-12-01", "invalid_limit"),
        ({"limit": "5001"}, "/v1/statements/2026-12-01", "invalid_limit"),
        ({"limit": "x"}, "/v1/statements/2026-12-01", "invalid_limit"),
        ({"after": "fee/1"}, "/v1/statements/2026-12-01", "invalid_cursor"),
        ({"after": "payment/"}, "/v1/statements/2026-12-01", "invalid_cursor"),
    ]:
        r = httpx.get(f"{bank.url}{path}", params=query, timeout=5)
        assert (r.status_code, r.json()["error"]) == (400, code), (query, path)
        assert r.json()["detail_ja"].endswith("。")
    empty = httpx.get(f"{bank.url}/v1/statements/2001-01-01", timeout=5).json()
    assert empty == {"day": "2001-01-01", "lines": [], "next": None}


def test_a_bank_that_is_down_gives_no_statement_rather_than_part_of_one(bank, gateway):
    gateway.pay([order()])
    bank.control(outage=True)
    with pytest.raises(TransientBankError):
        gateway.statement_days()
    with pytest.raises(TransientBankError):
        list(gateway.statement(dt.date.today()))
    bank.control(outage=False)
    assert gateway.statement_days()
