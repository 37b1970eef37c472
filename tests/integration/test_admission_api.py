"""Admission control over HTTP (TestClient, PostgreSQL, Redis). No worker runs here, so
the instant queue is never drained: once its oldest transfer has waited
`SHUNFURI_ADMISSION_MAX_WAIT`, the system is saturated as far as the promise goes, and
a new instant transfer must be refused up front, storing nothing."""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import func, select

from shunfuri.clock import SimulatedClock, set_clock
from shunfuri.db.models import Member, Transfer
from shunfuri.db.session import session_factory
from shunfuri.domain.instants import parse_instant
from shunfuri.services.transfers.admission import GATE
from shunfuri.settings import get_settings
from tests import factories

MAX_WAIT = 0.3


@pytest.fixture()
def admission(db, monkeypatch):
    monkeypatch.setenv("SHUNFURI_ADMISSION_MAX_WAIT", str(MAX_WAIT))
    get_settings.cache_clear()
    GATE.forget()
    # Tuesday 16:00: SMBC (0009) pays at once; the standard bank (0005) is closed, so a
    # transfer to it is scheduled for the next business day's 09:30.
    set_clock(SimulatedClock(start=parse_instant("2026-12-01T16:00:00+09:00"), speed=0.0001))
    yield
    set_clock(None)
    get_settings.cache_clear()
    GATE.forget()


@pytest.fixture()
def member(admission):
    member_id = factories.member(credit_limit=200_000)
    return {
        "id": member_id,
        "instant": factories.payee(member_id, bank_code="0009"),
        "standard": factories.payee(member_id, bank_code="0005"),
        "headers": {"Authorization": f"Bearer {factories.token(member_id)}"},
    }


def post(client, member, payee: str = "instant", key: str | None = None, amount=1000):
    headers = {**member["headers"], "Idempotency-Key": key or uuid.uuid4().hex}
    return client.post("/v1/transfers", json={"payee_id": member[payee], "amount": amount},
                       headers=headers)


def stored() -> tuple[int, int, int]:
    """Rows, and the members' holds and balances (all of them)."""
    with session_factory()() as session:
        rows = session.scalar(select(func.count()).select_from(Transfer))
        held = session.scalar(select(func.coalesce(func.sum(Member.held), 0)))
        outstanding = session.scalar(select(func.coalesce(func.sum(Member.outstanding), 0)))
    return rows, held, outstanding


def saturate(client, member) -> tuple[str, object]:
    """Accept instant transfers until the API refuses one (bounded); returns the key of
    the first accepted one and the refusal."""
    first = post(client, member, key="first-accepted")
    assert first.status_code == 202, first.text
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        r = post(client, member)
        if r.status_code == 503:
            return "first-accepted", r
        assert r.status_code == 202, r.text
        time.sleep(0.05)
    raise AssertionError("never refused although nothing drains the instant queue")


def test_a_saturated_instant_queue_refuses_up_front_and_stores_nothing(client, member):
    first_key, refused = saturate(client, member)
    body = refused.json()
    assert (refused.status_code, body["code"]) == (503, "overloaded")
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(refused.headers["Retry-After"]) <= 30
    assert "10秒" in body["detail_ja"] and body["detail_ja"].endswith("ください。")
    assert "retry_after" not in body  # the header carries it

    before = stored()
    key = uuid.uuid4().hex
    again = post(client, member, key=key)
    assert (again.status_code, again.json()["code"]) == (503, "overloaded")
    assert stored() == before  # no row, no hold, no balance
    with session_factory()() as session:
        assert session.scalar(select(Transfer).where(
            Transfer.idempotency_key == key)) is None


def test_scheduled_transfers_and_replays_are_still_answered(client, member):
    first_key, _ = saturate(client, member)
    scheduled = post(client, member, payee="standard")
    assert scheduled.status_code == 202, scheduled.text
    assert scheduled.json()["decision"] == "scheduled"
    # A retry of a transfer already accepted is answered with it, not "nothing changed".
    rows = stored()[0]
    replay = post(client, member, key=first_key)
    assert replay.status_code == 202, replay.text
    assert replay.json()["status"] == "accepted"
    assert stored()[0] == rows


def test_once_the_queue_is_drained_the_same_key_is_accepted_once(client, member):
    _, refused = saturate(client, member)
    key = uuid.uuid4().hex
    assert post(client, member, key=key).status_code == 503
    # A worker claims the backlog (here: by hand) and the next sample sees an empty queue.
    with session_factory()() as session:
        session.execute(Transfer.__table__.update().where(
            Transfer.status == "accepted").values(status="processing"))
        session.commit()
    deadline = time.monotonic() + 5
    while (r := post(client, member, key=key)).status_code == 503:
        assert time.monotonic() < deadline, r.text
        time.sleep(0.05)
    assert r.status_code == 202
    with session_factory()() as session:
        assert session.scalar(select(func.count()).select_from(Transfer).where(
            Transfer.idempotency_key == key)) == 1


def test_switched_off_it_never_refuses(client, member, monkeypatch):
    monkeypatch.setenv("SHUNFURI_ADMISSION_MAX_WAIT", "0")
    get_settings.cache_clear()
    post(client, member)
    time.sleep(MAX_WAIT + 0.2)  # older than the limit would have been
    assert post(client, member).status_code == 202
