"""The transfer endpoints over HTTP (TestClient, PostgreSQL, Redis; no worker here)."""

from __future__ import annotations

import pytest

from shunfuri.clock import SimulatedClock, set_clock
from shunfuri.domain.instants import parse_instant
from tests import factories


@pytest.fixture()
def at():
    def move(instant: str) -> None:
        set_clock(SimulatedClock(start=parse_instant(instant), speed=0.0001))

    move("2026-12-01T10:00:00+09:00")
    yield move
    set_clock(None)


@pytest.fixture()
def member(db):
    member_id = factories.member(credit_limit=50_000)
    return {
        "id": member_id,
        "payee": factories.payee(member_id, bank_code="0009"),
        "headers": {"Authorization": f"Bearer {factories.token(member_id)}"},
    }


def post(client, member, amount=10_000, **extra):
    headers = {**member["headers"], **extra.pop("headers", {})}
    body = {"payee_id": member["payee"], "amount": amount, **extra}
    return client.post("/v1/transfers", json=body, headers=headers)


def test_accepted_transfer_has_the_contract_fields(client, member, at):
    r = post(client, member)
    assert r.status_code == 202
    body = r.json()
    assert set(body) >= {"id", "status", "amount", "payee_id", "accepted_at", "decision",
                         "settle_at"}
    assert (body["status"], body["decision"]) == ("accepted", "instant")
    assert body["accepted_at"].endswith("+09:00")


@pytest.mark.parametrize("amount", [0, -1000, 999, 1500, 10**30])
def test_bad_amounts_are_invalid_amount(client, member, at, amount):
    r = post(client, member, amount=amount)
    assert (r.status_code, r.json()["code"]) == (422, "invalid_amount")
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail_ja"]


@pytest.mark.parametrize("amount", [1000.5, "1000", None, True])
def test_non_integer_amounts_are_validation_errors(client, member, at, amount):
    r = post(client, member, amount=amount)
    assert (r.status_code, r.json()["code"]) == (422, "validation_error")
    assert r.json()["errors"][0]["field"] == "amount"


def test_more_than_available_is_refused_at_once(client, member, at):
    r = post(client, member, amount=60_000)
    assert (r.status_code, r.json()["code"]) == (409, "insufficient_credit")
    assert r.json()["available"] == 50_000


def test_unknown_or_foreign_payee_is_not_found(client, member, at):
    other = factories.member()
    foreign = factories.payee(other)
    for payee_id in (foreign, foreign + 1000):
        r = client.post("/v1/transfers", json={"payee_id": payee_id, "amount": 1000},
                        headers=member["headers"])
        assert (r.status_code, r.json()["code"]) == (404, "not_found")
        assert r.json()["errors"] == [{"field": "payee_id", "message": "no such payee"}]


def test_service_closed_carries_retry_at_and_retry_after(client, member, at):
    at("2026-11-30T06:00:00+09:00")
    r = post(client, member)
    assert (r.status_code, r.json()["code"]) == (503, "service_closed")
    assert r.json()["retry_at"] == "2026-11-30T07:00:00+09:00"
    assert int(r.headers["Retry-After"]) == 3600


def test_idempotency_key_rules(client, member, at):
    first = post(client, member, headers={"Idempotency-Key": "abc-1"})
    again = post(client, member, headers={"Idempotency-Key": "abc-1"})
    assert first.json()["id"] == again.json()["id"]
    other = post(client, member, amount=2000, headers={"Idempotency-Key": "abc-1"})
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_key_reused")
    bad = post(client, member, headers={"Idempotency-Key": "has space"})
    assert (bad.status_code, bad.json()["code"]) == (422, "validation_error")


def test_another_members_transfer_is_404(client, member, at):
    transfer_id = post(client, member).json()["id"]
    other = factories.member()
    headers = {"Authorization": f"Bearer {factories.token(other)}"}
    for path in (f"/v1/transfers/{transfer_id}", f"/v1/transfers/{transfer_id}?wait=1"):
        r = client.get(path, headers=headers)
        assert (r.status_code, r.json()["code"]) == (404, "not_found")
    r = client.post(f"/v1/transfers/{transfer_id}/cancel", headers=headers)
    assert r.status_code == 404


def test_list_is_newest_first_filtered_and_paginated(client, member, at):
    ids = []
    for minute in range(5):
        at(f"2026-12-01T10:0{minute}:00+09:00")
        ids.append(post(client, member, amount=1000).json()["id"])
    page = client.get("/v1/transfers?limit=2", headers=member["headers"]).json()
    assert [t["id"] for t in page["items"]] == ids[::-1][:2]
    seen = [t["id"] for t in page["items"]]
    while page["next_cursor"]:
        page = client.get(f"/v1/transfers?limit=2&cursor={page['next_cursor']}",
                          headers=member["headers"]).json()
        seen += [t["id"] for t in page["items"]]
    assert seen == ids[::-1]
    assert client.get("/v1/transfers?status=settled", headers=member["headers"]).json() == {
        "items": [], "next_cursor": None}
    bad = client.get("/v1/transfers?status=lost", headers=member["headers"])
    assert bad.status_code == 422
    assert client.get("/v1/transfers?cursor=!!!", headers=member["headers"]).status_code == 422


def test_wait_is_bounded_and_returns_when_nothing_changes(client, member, at):
    transfer_id = post(client, member).json()["id"]
    assert client.get(f"/v1/transfers/{transfer_id}?wait=31",
                      headers=member["headers"]).status_code == 422
    r = client.get(f"/v1/transfers/{transfer_id}?wait=0.2", headers=member["headers"])
    assert (r.status_code, r.json()["status"]) == (200, "accepted")


def test_cancel_only_while_scheduled(client, member, at):
    transfer_id = post(client, member).json()["id"]
    r = client.post(f"/v1/transfers/{transfer_id}/cancel", headers=member["headers"])
    assert (r.status_code, r.json()["code"]) == (409, "not_cancellable")


def test_without_a_token_nothing_is_shown(client, member, at):
    r = client.post("/v1/transfers", json={"payee_id": member["payee"], "amount": 1000})
    assert (r.status_code, r.json()["code"]) == (401, "not_authenticated")
    r = client.get("/v1/transfers", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401


def test_once_the_payee_is_known_refusals_still_get_their_precise_answer(client, member, at):
    """The second transfer to a payee takes the session-free insert; when it does not
    insert, the session path still says why."""
    assert post(client, member).status_code == 202  # this process now knows the payee
    short = post(client, member, amount=60_000)  # holds come with the worker: none yet
    assert (short.status_code, short.json()["code"]) == (409, "insufficient_credit")
    assert short.json()["available"] == 50_000
    other = factories.member()
    foreign = {**member, "headers": {"Authorization": f"Bearer {factories.token(other)}"}}
    stolen = post(client, foreign)  # a payee id this process knows, but not theirs
    assert (stolen.status_code, stolen.json()["code"]) == (404, "not_found")
    nobody = post(client, {**member, "headers": {"Authorization": "Bearer not-a-token"}})
    assert nobody.status_code == 401
    replay = post(client, member, headers={"Idempotency-Key": "k-2"})
    again = post(client, member, headers={"Idempotency-Key": "k-2"})
    assert (replay.status_code, again.status_code) == (202, 202)
    assert replay.json()["id"] == again.json()["id"]
