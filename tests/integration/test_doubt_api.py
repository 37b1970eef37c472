"""Transfers in doubt over HTTP (TestClient, PostgreSQL, Redis) with the bank simulator
as a real process: the member's cancel is refused and says why; staff see, count and
resolve them with the bank."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from shunfuri.clock import SimulatedClock, set_clock
from shunfuri.db.models import AuditEntry
from shunfuri.db.session import session_factory
from shunfuri.domain.instants import parse_instant
from shunfuri.domain.orders import Budget
from shunfuri.gateway.http import HttpBankGateway
from shunfuri.services.orders import pipeline
from shunfuri.settings import get_settings
from tests import factories
from tests.bank_simulator import running_bank
from tests.integration.test_settlement import Clocks, make_ctx

TUESDAY_10 = parse_instant("2026-12-01T10:00:00+09:00")


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    with running_bank(tmp_path_factory.mktemp("bank")) as process:
        yield process


@pytest.fixture()
def with_bank(bank, configured, monkeypatch):
    monkeypatch.setenv("SHUNFURI_BANK_URL", bank.url)
    get_settings.cache_clear()
    bank.control(latency_ms=0, lose_response_rate=0.0, outage=False, transient_rate=0.0)
    set_clock(SimulatedClock(start=TUESDAY_10, speed=0.0001))
    yield bank
    set_clock(None)
    get_settings.cache_clear()


@pytest.fixture()
def member(db, with_bank):
    member_id = factories.member(credit_limit=100_000)
    return {"id": member_id, "payee": factories.payee(member_id, bank_code="0009"),
            "headers": {"Authorization": f"Bearer {factories.token(member_id)}"}}


def in_doubt(client, bank, member, *, budget: Budget = Budget()) -> tuple[str, Clocks, object]:
    """A transfer accepted over HTTP, paid by the bank, its answer lost."""
    r = client.post("/v1/transfers", headers=member["headers"],
                    json={"payee_id": member["payee"], "amount": 10_000})
    assert r.status_code == 202, r.text
    bank.control(lose_response_rate=1.0)
    clocks = Clocks(TUESDAY_10)
    clocks.real = datetime.now(UTC)
    ctx = make_ctx(HttpBankGateway(bank.url), clocks)
    ctx.budget = budget
    pipeline.drain(ctx)
    return r.json()["id"], clocks, ctx


def test_cancel_of_a_transfer_in_doubt_is_409_and_says_the_bank_is_being_asked(
    client, member, with_bank
):
    transfer_id, _clocks, _ctx = in_doubt(client, with_bank, member)
    r = client.post(f"/v1/transfers/{transfer_id}/cancel", headers=member["headers"])
    body = r.json()
    assert (r.status_code, body["code"], body["transfer_status"], body["in_doubt"]) == (
        409, "not_cancellable", "processing", True)
    assert "銀行に結果を確認しています" in body["detail_ja"] and "settled" in body["detail_ja"]
    assert r.headers["content-type"].startswith("application/problem+json")
    me = client.get("/v1/me", headers=member["headers"]).json()
    assert (me["held"], me["outstanding"]) == (10_000, 0)


def gauge(client, name: str) -> float:
    text = client.get("/metrics").text
    [line] = [x for x in text.splitlines() if x.startswith(name + " ")]
    return float(line.split()[-1])


def test_staff_see_count_and_resolve_a_transfer_needing_attention(
    client, member, with_bank, admin_headers
):
    transfer_id, clocks, ctx = in_doubt(client, with_bank, member, budget=Budget(max_attempts=2))
    assert gauge(client, "shunfuri_transfers_in_doubt") == 1
    # Sent, so it waits on the bank, not on us: no stall to alert about.
    assert gauge(client, "shunfuri_transfers_instant_waiting_oldest_seconds") == 0
    assert gauge(client, "shunfuri_transfers_due_waiting_oldest_seconds") == 0
    clocks.real += timedelta(minutes=1)
    pipeline.drain(ctx)  # asked again: the answer is lost again, and the budget is spent
    got = client.get(f"/v1/transfers/{transfer_id}", headers=member["headers"]).json()
    assert got["status"] == "needs_attention"
    assert gauge(client, "shunfuri_transfers_needs_attention") == 1
    assert client.get("/v1/admin/doubts").status_code == 403  # staff only
    listed = client.get("/v1/admin/doubts", headers=admin_headers).json()
    assert [(d["id"], d["kind"], d["status"], d["attempts"]) for d in listed] == [
        (transfer_id, "transfer", "needs_attention", 2)]
    assert listed[0]["last_error"]
    seen = client.get(f"/v1/admin/transfers/{transfer_id}", headers=admin_headers).json()
    assert seen["in_doubt"] is True and seen["sent_at"] and seen["member_id"] == member["id"]
    # The bank still loses its answers: nothing is decided, the refusal says so.
    r = client.post(f"/v1/admin/transfers/{transfer_id}/inquire", headers=admin_headers)
    assert (r.status_code, r.json()["code"]) == (503, "bank_unavailable")
    with_bank.control(lose_response_rate=0.0)
    r = client.post(f"/v1/admin/transfers/{transfer_id}/inquire", headers=admin_headers)
    assert r.status_code == 200, r.text
    assert r.json()["bank"]["answer"] == "paid" and r.json()["transfer"]["status"] == "settled"
    me = client.get("/v1/me", headers=member["headers"]).json()
    assert (me["held"], me["outstanding"]) == (0, 10_000)
    assert gauge(client, "shunfuri_transfers_needs_attention") == 0
    with session_factory()() as session:
        audited = [(a.action, a.ok) for a in session.scalars(select(AuditEntry)
                                                             .order_by(AuditEntry.id))]
    assert audited == [("staff_key_refused", False), ("view_doubts", True),
                       ("view_transfer", True), ("inquire_transfer", False),
                       ("inquire_transfer", True)]
