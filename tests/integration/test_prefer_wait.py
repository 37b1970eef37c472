"""`POST /v1/transfers` with `Prefer: wait=N` (RFC 7240): one round trip to the transfer's
resting state. A real drain runs beside the API in a thread (PostgreSQL, Redis events,
the in-process bank), so the answer comes from the worker's event as in production."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest

from shunfuri.broker import get_redis, publish_transfer_events
from shunfuri.clock import SimulatedClock, get_clock, set_clock
from shunfuri.db.session import session_factory
from shunfuri.domain.instants import parse_instant
from shunfuri.gateway.fake import FakeBank
from shunfuri.services.orders import pipeline
from tests import factories


@pytest.fixture()
def at():
    def move(instant: str) -> None:
        set_clock(SimulatedClock(start=parse_instant(instant), speed=0.0001))

    move("2026-12-01T10:00:00+09:00")
    yield move
    set_clock(None)


@pytest.fixture()
def worker(db, at):
    """Drains accepted transfers until the test ends, publishing events like a worker."""
    stop = threading.Event()
    ctx = pipeline.Context(
        sessions=session_factory(), gateway=FakeBank(), now=lambda: get_clock().now(),
        wall=lambda: datetime.now(UTC),
        publish=lambda changes: publish_transfer_events(get_redis(), changes),
    )

    def run() -> None:
        while not stop.is_set():
            moved, _ = pipeline.drain(ctx)
            if not moved.claimed:
                stop.wait(0.01)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=10)


@pytest.fixture()
def member(db):
    member_id = factories.member(credit_limit=50_000)
    return {
        "payees": {code: factories.payee(member_id, bank_code=code) for code in ("0009", "0005")},
        "headers": {"Authorization": f"Bearer {factories.token(member_id)}"},
    }


def post(client, member, *, prefer=None, bank="0009", amount=10_000, key=None):  # type: ignore[no-untyped-def]
    headers = dict(member["headers"])
    if prefer is not None:
        headers["Prefer"] = prefer
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post("/v1/transfers", json={"payee_id": member["payees"][bank],
                                              "amount": amount}, headers=headers)


def test_instant_transfer_answers_settled_in_one_request(client, member, worker):
    r = post(client, member, prefer="wait=10")
    assert r.status_code == 201, r.text
    assert r.headers["Preference-Applied"] == "wait=10"
    body = r.json()
    assert (body["status"], body["decision"], body["amount"]) == ("settled", "instant", 10_000)
    assert body["settled_at"]
    # The same transfer as a read gives afterwards.
    assert client.get(f"/v1/transfers/{body['id']}", headers=member["headers"]).json() == body


def test_scheduled_transfer_answers_once_booked(client, member, worker, at):
    at("2026-12-01T15:00:00+09:00")  # past the standard banks' cut-off
    r = post(client, member, prefer="wait=10", bank="0005")
    assert r.status_code == 201, r.text
    assert (r.json()["status"], r.json()["settle_at"]) == (
        "scheduled", "2026-12-02T09:30:00+09:00")


def test_without_a_worker_it_answers_202_with_the_current_state_after_the_wait(client, member):
    started = time.monotonic()
    r = post(client, member, prefer="wait=1")
    assert r.status_code == 202
    assert r.headers["Preference-Applied"] == "wait=1"
    assert r.json()["status"] == "accepted"
    assert time.monotonic() - started >= 1


def test_without_prefer_it_answers_202_at_once(client, member, worker):
    r = post(client, member)
    assert (r.status_code, r.json()["status"]) == (202, "accepted")
    assert "Preference-Applied" not in r.headers


@pytest.mark.parametrize("prefer", ["wait=", "wait=-1", "wait=1.5", "wait=abc", "wait=0",
                                    "respond-async", "handling=strict"])
def test_a_preference_it_cannot_use_is_ignored(client, member, prefer):
    r = post(client, member, prefer=prefer)
    assert (r.status_code, r.json()["status"]) == (202, "accepted")
    assert "Preference-Applied" not in r.headers


def test_a_longer_wait_is_shortened_to_30_and_says_so(client, member, worker):
    r = post(client, member, prefer="respond-async, wait=600")
    assert r.status_code == 201
    assert r.headers["Preference-Applied"] == "wait=30"


def test_a_replay_answers_200_with_the_same_settled_transfer(client, member, worker):
    first = post(client, member, prefer="wait=10", key="k-1")
    assert first.status_code == 201
    again = post(client, member, prefer="wait=10", key="k-1")
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["Preference-Applied"] == "wait=10"


def test_a_refusal_is_the_same_problem_with_or_without_prefer(client, member, worker):
    plain = post(client, member, amount=60_000)
    waited = post(client, member, amount=60_000, prefer="wait=5")
    assert plain.status_code == waited.status_code == 409
    assert plain.json() == waited.json()
    assert waited.json()["code"] == "insufficient_credit"


def test_prefer_is_in_the_openapi_document(client):
    operation = client.get("/openapi.json").json()["paths"]["/v1/transfers"]["post"]
    assert any(p["name"] == "Prefer" and p["in"] == "header" for p in operation["parameters"])
    assert {"200", "201", "202"} <= set(operation["responses"])
    assert "Preference-Applied" in operation["responses"]["201"]["headers"]


def test_an_exhausted_connection_pool_is_503_not_500(client, member):
    """Under overload every pooled connection may stay busy past the pool's timeout:
    that is `database_unavailable` with Retry-After, as when the database is away."""
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    async def exhausted(*_):  # type: ignore[no-untyped-def]
        raise PoolTimeout("QueuePool limit of size 20 overflow 0 reached")

    client.app.state.db.run = exhausted
    r = post(client, member, prefer="wait=1")
    assert (r.status_code, r.json()["code"]) == (503, "database_unavailable")
    assert r.headers["Retry-After"] == "2"
